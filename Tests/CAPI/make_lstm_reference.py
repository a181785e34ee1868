"""Writes MODEL.onnx (one bidirectional LSTM with symbolic seq and batch, as torch.onnx.export
writes nn.LSTM(bidirectional=True) with (h0, c0)) and CASES.bin for test_symbolic.c: for each of
3 sequence lengths, int64 seq, int64 batch, then float32 x [seq, batch, 4], h0 [2, batch, 8],
c0 [2, batch, 8], and onnxruntime's y [seq, batch, 16], h_n [2, batch, 8] (raw little-endian).

usage: make_lstm_reference.py MODEL.onnx CASES.bin"""
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

FEAT, HIDDEN = 4, 8
onnx_path, cases_path = sys.argv[1:3]
rng = np.random.default_rng(3)
inits = [numpy_helper.from_array((rng.standard_normal(s) * 0.4).astype(np.float32), n)
         for n, s in (("W", [2, 4 * HIDDEN, FEAT]), ("R", [2, 4 * HIDDEN, HIDDEN]), ("B", [2, 8 * HIDDEN]))]
inits.append(numpy_helper.from_array(np.array([0, 0, -1], np.int64), "merge"))
nodes = [
    helper.make_node("LSTM", ["x", "W", "R", "B", "", "h0", "c0"], ["Y", "h_n", "c_n"], name="lstm",
                     hidden_size=HIDDEN, direction="bidirectional"),
    helper.make_node("Transpose", ["Y"], ["Yt"], perm=[0, 2, 1, 3]),
    helper.make_node("Reshape", ["Yt", "merge"], ["y"]),
]
state = lambda n: helper.make_tensor_value_info(n, TensorProto.FLOAT, [2, "batch", HIDDEN])
graph = helper.make_graph(nodes, "lstm_symbolic",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["seq", "batch", FEAT]), state("h0"), state("c0")],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["seq", "batch", 2 * HIDDEN]), state("h_n")],
                          initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dlrt-tests")
model.ir_version = 8
onnx.checker.check_model(model, full_check=True)
onnx.save(model, onnx_path)

session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
with open(cases_path, "wb") as f:
    for seq, batch in ((1, 2), (9, 3), (40, 1)):
        feeds = {"x": rng.standard_normal((seq, batch, FEAT)).astype(np.float32),
                 "h0": rng.standard_normal((2, batch, HIDDEN)).astype(np.float32),
                 "c0": rng.standard_normal((2, batch, HIDDEN)).astype(np.float32)}
        y, hn = session.run(["y", "h_n"], feeds)
        np.array([seq, batch], np.int64).tofile(f)
        for a in (feeds["x"], feeds["h0"], feeds["c0"], y, hn):
            np.ascontiguousarray(a, np.float32).tofile(f)
