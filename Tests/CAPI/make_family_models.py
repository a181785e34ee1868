#!/usr/bin/env python3
"""Writes small versions of the benchmark models (benchmarks/zoo.py) for the C-level hot-path
checks (`make test-c`: each is converted and run by test_noalloc, 0 heap allocations per run
after warm-up, 1 and 2 threads).

    python Tests/CAPI/make_family_models.py OUTDIR
"""
import sys
from pathlib import Path

import onnx

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
import zoo  # noqa: E402

SMALL = {
    "mobilenetv2": lambda: zoo.mobilenetv2(size=64),
    "pilotnet": zoo.pilotnet,
    "dcgan": zoo.dcgan,
    "lstm2": lambda: zoo.lstm2(steps=8, features=16, hidden=32),
    "bert": lambda: zoo.bert6(layers=2, hidden=64, heads=4, vocab=1000),
    "gpt": lambda: zoo.gpt(layers=2, hidden=64, heads=4, vocab=512, context=64),
    "mlp": zoo.mlp,
}



class _Built:
    def __init__(self, model):
        self.model = model


def rtvalues():
    """Operands fed at run time: a Conv W (packed per run) and a Reshape shape (a value input,
    read when planning; test_noalloc binds it to the same values every run, so no re-plan)."""
    from onnx import TensorProto, helper
    vi = helper.make_tensor_value_info
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Reshape", ["v", "shape"], ["r"]),
             helper.make_node("Add", ["c", "r"], ["y"])]
    g = helper.make_graph(nodes, "rtvalues",
                          [vi("x", TensorProto.FLOAT, ["n", 3, 8, 8]), vi("w", TensorProto.FLOAT, [4, 3, 3, 3]),
                           vi("v", TensorProto.FLOAT, [1]), vi("shape", TensorProto.INT64, [3])],
                          [vi("y", TensorProto.FLOAT, None)])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return _Built(m)


SMALL["rtvalues"] = rtvalues

if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for name, build in SMALL.items():
        onnx.save(build().model, out / f"{name}.onnx")
        print(out / f"{name}.onnx")
