#!/usr/bin/env python3
"""int8 speed on a ResNet-18-shaped net at 224×224, batch 1, single thread, side by side in one
process (alternating calls): dlrt float32, dlrt int8 dynamic, dlrt int8 static (calibrated), dlrt
converting onnxruntime's QDQ model (its ranges instead of dlrt's calibration) and
onnxruntime float32 and static QDQ int8 (`onnxruntime.quantization.quantize_static`, per-channel,
QUInt8 activations / QInt8 weights — what its quantizer emits by default for CPU).

    python benchmarks/int8_resnet_speed.py [--runs 20] [--cli PATH]

Weights are random (He init, BatchNormalization with random statistics, folded by both
converters); calibration uses 8 random images for both runtimes. Prints the median latency per
call and the ratios the quantization issue asks for. The machine is shared and noisy.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bindings" / "python"))
import dlrt  # noqa: E402


def resnet18(seed: int = 0) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    counter = [0]

    def name(base):
        counter[0] += 1
        return f"{base}{counter[0]}"

    def const(value):
        n = name("c")
        inits.append(numpy_helper.from_array(value.astype(np.float32), n))
        return n

    def conv_bn(x, cin, cout, k, stride, relu):
        w = const(rng.standard_normal((cout, cin, k, k)) * np.sqrt(2 / (cin * k * k)))
        y = name("conv")
        nodes.append(helper.make_node("Conv", [x, w], [y], kernel_shape=[k, k], strides=[stride, stride],
                                      pads=[k // 2] * 4))
        bn = name("bn")
        nodes.append(helper.make_node("BatchNormalization", [y, const(1 + 0.1 * rng.standard_normal(cout)),
                                                             const(0.1 * rng.standard_normal(cout)),
                                                             const(0.1 * rng.standard_normal(cout)),
                                                             const(1 + 0.1 * rng.random(cout))], [bn]))
        if not relu:
            return bn
        r = name("relu")
        nodes.append(helper.make_node("Relu", [bn], [r]))
        return r

    h = conv_bn("input", 3, 64, 7, 2, True)
    p = name("pool")
    nodes.append(helper.make_node("MaxPool", [h], [p], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]))
    h, cin = p, 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        a = conv_bn(h, cin, cout, 3, stride, True)
        b = conv_bn(a, cout, cout, 3, 1, False)
        short = conv_bn(h, cin, cout, 1, stride, False) if (stride != 1 or cin != cout) else h
        s, r = name("add"), name("relu")
        nodes.append(helper.make_node("Add", [b, short], [s]))
        nodes.append(helper.make_node("Relu", [s], [r]))
        h, cin = r, cout
    g, f = name("gap"), name("flat")
    nodes.append(helper.make_node("GlobalAveragePool", [h], [g]))
    nodes.append(helper.make_node("Flatten", [g], [f]))
    nodes.append(helper.make_node("Gemm", [f, const(rng.standard_normal((1000, 512)) / np.sqrt(512)),
                                           const(np.zeros(1000))], ["logits"], transB=1))
    graph = helper.make_graph(nodes, "resnet18", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 3, 224, 224])],
                              [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 1000])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--cli")
    args = ap.parse_args()
    cli = args.cli or os.environ.get("DLRT_CLI") or str(REPO / ".build" / "release" / "dlrt")

    import onnxruntime as ort
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    tmp = Path(tempfile.mkdtemp(prefix="dlrt_resnet_"))
    src = tmp / "resnet18.onnx"
    onnx.save(resnet18(), str(src))
    rng = np.random.default_rng(1)
    calib = rng.standard_normal((8, 3, 224, 224)).astype(np.float32)
    np.savez(tmp / "calib.npz", input=calib)
    x = rng.standard_normal((1, 3, 224, 224)).astype(np.float32)

    paths = {k: tmp / f"resnet18.{k}.dlrt" for k in ("f32", "dynamic", "static")}
    subprocess.run([cli, "convert", src, "-o", paths["f32"]], check=True, capture_output=True)
    subprocess.run([cli, "convert", src, "-o", paths["dynamic"], "--weights", "int8"], check=True, capture_output=True)
    subprocess.run([cli, "convert", src, "-o", paths["static"], "--weights", "int8", "--calibration", tmp / "calib.npz"],
                   check=True, capture_output=True)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter([{"input": calib[i:i + 1]} for i in range(len(calib))])

        def get_next(self):
            return next(self.items, None)

    pre = tmp / "resnet18.pre.onnx"
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
    qdq = tmp / "resnet18.qdq.onnx"
    quantize_static(str(pre), str(qdq), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)

    paths["qdq"] = tmp / "resnet18.qdq.dlrt"  # dlrt importing onnxruntime's QDQ model (its own ranges)
    subprocess.run([cli, "convert", qdq, "-o", paths["qdq"]], check=True, capture_output=True)

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    runners = {
        "dlrt float32": dlrt.Model(paths["f32"], threads=1),
        "dlrt int8 dynamic": dlrt.Model(paths["dynamic"], threads=1),
        "dlrt int8 static": dlrt.Model(paths["static"], threads=1),
        "dlrt int8 from the QDQ model": dlrt.Model(paths["qdq"], threads=1),
        "onnxruntime float32": ort.InferenceSession(str(src), so, providers=["CPUExecutionProvider"]),
        "onnxruntime int8 QDQ static": ort.InferenceSession(str(qdq), so, providers=["CPUExecutionProvider"]),
    }

    def call(r):
        return r.run({"input": x})["logits"] if isinstance(r, dlrt.Model) else r.run(None, {"input": x})[0]

    outs = {k: call(r) for k, r in runners.items()}
    ref = outs["dlrt float32"].ravel().astype(np.float64)
    times = {k: [] for k in runners}
    for _ in range(3):
        for r in runners.values():
            call(r)
    for _ in range(args.runs):
        for k, r in runners.items():
            t0 = time.perf_counter()
            call(r)
            times[k].append(time.perf_counter() - t0)
    med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
    print(f"ResNet-18-shaped net, 1×3×224×224, 1 thread, median of {args.runs} alternating calls")
    print(f"{'runtime':30s} {'ms/call':>9s} {'cosine vs dlrt f32':>19s}")
    for k in runners:
        o = outs[k].ravel().astype(np.float64)
        cos = o @ ref / (np.linalg.norm(o) * np.linalg.norm(ref))
        print(f"{k:30s} {med[k]:9.2f} {cos:19.5f}")
    print(f"dlrt int8 static vs dlrt float32:           {med['dlrt float32'] / med['dlrt int8 static']:.2f}× faster (goal ≥ 2.5×)")
    print(f"dlrt int8 static vs onnxruntime QDQ static: {med['onnxruntime int8 QDQ static'] / med['dlrt int8 static']:.2f}× "
          f"(> 1: dlrt faster; goal ≥ 1)")
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
