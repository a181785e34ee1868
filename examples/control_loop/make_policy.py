"""Writes the control-loop example's policy: an ONNX MLP 24 → 256 → 256 → 6 (ReLU, ReLU, Tanh)
with random (He-initialised, seeded) weights, shaped like a PyTorch export: Gemm with transB=1 and
a symbolic batch dimension.

    python make_policy.py policy.onnx [--seed 0]
    dlrt convert policy.onnx -o policy.dlrt

Input "observation" [batch, 24] float32, output "action" [batch, 6] float32 in (-1, 1).
Only numpy and onnx are needed; the .dlrt is produced at build/test time, never committed.
"""
import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OBS, HIDDEN, ACT = 24, 256, 6


def build(seed: int) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)

    def linear(name, n_in, n_out, gain):
        w = (rng.standard_normal((n_out, n_in)) * gain * np.sqrt(2.0 / n_in)).astype(np.float32)
        b = (rng.standard_normal(n_out) * 0.01).astype(np.float32)
        return [numpy_helper.from_array(w, f"{name}.weight"), numpy_helper.from_array(b, f"{name}.bias")]

    inits = linear("fc1", OBS, HIDDEN, 1.0) + linear("fc2", HIDDEN, HIDDEN, 1.0) + linear("head", HIDDEN, ACT, 0.5)
    nodes = [
        helper.make_node("Gemm", ["observation", "fc1.weight", "fc1.bias"], ["h1"], transB=1, name="fc1"),
        helper.make_node("Relu", ["h1"], ["a1"], name="relu1"),
        helper.make_node("Gemm", ["a1", "fc2.weight", "fc2.bias"], ["h2"], transB=1, name="fc2"),
        helper.make_node("Relu", ["h2"], ["a2"], name="relu2"),
        helper.make_node("Gemm", ["a2", "head.weight", "head.bias"], ["h3"], transB=1, name="head"),
        helper.make_node("Tanh", ["h3"], ["action"], name="tanh"),
    ]
    graph = helper.make_graph(
        nodes, "policy",
        [helper.make_tensor_value_info("observation", TensorProto.FLOAT, ["batch", OBS])],
        [helper.make_tensor_value_info("action", TensorProto.FLOAT, ["batch", ACT])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="dlrt-examples", producer_version="0.1")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("output")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    onnx.save(build(args.seed), args.output)
    print(f"wrote {args.output}: MLP {OBS}->{HIDDEN}->{HIDDEN}->{ACT}")


if __name__ == "__main__":
    main()
