#!/usr/bin/env python3
"""int8 weights vs float32: file size, accuracy and latency (docs/QUANTIZATION.md).

    python benchmarks/int8_accuracy.py [--runs 500] [--cli PATH]

Converts each model with `dlrt convert` (float32), `--weights int8` (dynamic: activations
quantized per run) and, where calibration samples exist, `--weights int8 --calibration` (static),
runs them with the Python binding and prints one row per model and mode:
  - size: the .dlrt file, float32 → int8;
  - min cosine: the smallest per-sample cosine similarity between int8 and float32 outputs;
  - accuracy: digits CNN test accuracy (float32 → int8); other models: argmax agreement;
  - µs/call: median latency at batch 1 (binding overhead included; the machine is shared and noisy).
Models: the digits CNN (examples/digits, trained), a BERT-style transformer encoder layer
(Tests/python/test_transformer.py), an LSTM cell unrolled over 8 steps (MatMul gates, Sigmoid /
Tanh, as exported from a scripted LSTMCell loop), the control-loop policy MLP and the MobileNet-style
net of Tests/python/models.py (depthwise convs; static mode: QuantizedDepthwiseConv).
The CLI comes from --cli, $DLRT_CLI or .build/release/dlrt; the library from $DLRT_LIBRARY.
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

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bindings" / "python"))
sys.path.insert(0, str(REPO / "examples" / "control_loop"))
sys.path.insert(0, str(REPO / "Tests" / "python"))
import dlrt  # noqa: E402


def find_cli(given: str | None) -> str:
    for c in (given, os.environ.get("DLRT_CLI"), REPO / ".build" / "release" / "dlrt"):
        if c and Path(c).is_file():
            return str(c)
    raise SystemExit("dlrt CLI not found: pass --cli or set DLRT_CLI (swift build -c release)")


def convert(cli: str, src: Path, dst: Path, *extra: str) -> bool:
    r = subprocess.run([cli, "convert", str(src), "-o", str(dst), *extra], capture_output=True, text=True)
    if r.returncode != 0:
        print(f"  ({dst.name}: {r.stderr.strip().splitlines()[-1] if r.stderr.strip() else 'failed'})")
    return r.returncode == 0


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1).astype(np.float64), b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)


def latency(m: dlrt.Model, feed: dict, runs: int) -> float:
    for _ in range(20):
        m.run(feed)
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        m.run(feed)
        t.append(time.perf_counter() - t0)
    return float(np.median(t) * 1e6)


def lstm2_batch_first():
    """benchmarks/zoo.py's lstm2 (two ONNX LSTM ops, hidden 128, then a linear head) with a
    batch-first input x [batch, 32, 64] (Transpose in front) so samples slice along axis 0."""
    from onnx import TensorProto, helper
    sys.path.insert(0, str(REPO / "benchmarks"))
    import zoo
    m = zoo.lstm2().model
    old = m.graph.input[0].name
    m.graph.input.remove(m.graph.input[0])
    m.graph.input.insert(0, helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 32, 64]))
    m.graph.node.insert(0, helper.make_node("Transpose", ["x"], [old], perm=[1, 0, 2]))
    m.graph.name = "lstm2_batch_first"
    return m


def lstm_unrolled(steps: int = 8, inp: int = 32, hidden: int = 128, out: int = 16):
    """x [batch, steps, inp] → an LSTM cell (gates i, f, g, o from x·W + h·R + b) applied per step,
    then a linear head on the last h. Built with onnx.helper like a scripted LSTMCell export."""
    import onnx
    from onnx import helper, numpy_helper
    rng = np.random.default_rng(0)
    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(value.astype(np.float32) if value.dtype.kind == "f" else value, name))
        return name

    w = const("W", rng.standard_normal((inp, 4 * hidden)) / np.sqrt(inp))
    r = const("R", rng.standard_normal((hidden, 4 * hidden)) / np.sqrt(hidden))
    bias = const("B", 0.1 * rng.standard_normal(4 * hidden))
    h, c = "h0", "c0"
    const("h0", np.zeros((1, hidden))), const("c0", np.zeros((1, hidden)))
    for t in range(steps):
        xt = f"x{t}"
        nodes.append(helper.make_node("Gather", ["x", const(f"t{t}", np.array(t, np.int64))], [xt], axis=1))
        nodes.append(helper.make_node("MatMul", [xt, w], [f"xw{t}"]))
        nodes.append(helper.make_node("MatMul", [h, r], [f"hr{t}"]))
        nodes.append(helper.make_node("Add", [f"xw{t}", f"hr{t}"], [f"s{t}"]))
        nodes.append(helper.make_node("Add", [f"s{t}", bias], [f"z{t}"]))
        nodes.append(helper.make_node("Split", [f"z{t}"], [f"i{t}", f"f{t}", f"g{t}", f"o{t}"], axis=1, num_outputs=4))
        for gate, act in (("i", "Sigmoid"), ("f", "Sigmoid"), ("g", "Tanh"), ("o", "Sigmoid")):
            nodes.append(helper.make_node(act, [f"{gate}{t}"], [f"{gate}a{t}"]))
        nodes.append(helper.make_node("Mul", [f"fa{t}", c], [f"fc{t}"]))
        nodes.append(helper.make_node("Mul", [f"ia{t}", f"ga{t}"], [f"ig{t}"]))
        nodes.append(helper.make_node("Add", [f"fc{t}", f"ig{t}"], [f"c{t + 1}"]))
        nodes.append(helper.make_node("Tanh", [f"c{t + 1}"], [f"tc{t}"]))
        nodes.append(helper.make_node("Mul", [f"oa{t}", f"tc{t}"], [f"h{t + 1}"]))
        h, c = f"h{t + 1}", f"c{t + 1}"
    head = const("Wy", rng.standard_normal((hidden, out)) / np.sqrt(hidden))
    nodes.append(helper.make_node("MatMul", [h, head], ["y"]))
    graph = helper.make_graph(nodes, "lstm_unrolled",
                              [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["batch", steps, inp])],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["batch", out])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    m.ir_version = 8
    return m


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=500)
    ap.add_argument("--cli")
    args = ap.parse_args()
    cli = find_cli(args.cli)

    import onnx
    import make_policy
    from test_transformer import VOCAB, bert_layer
    import models as models_py

    tmp = Path(tempfile.mkdtemp(prefix="dlrt_int8_"))
    digits = np.load(REPO / "examples" / "digits" / "digits_test.npz")
    rng = np.random.default_rng(0)
    bert = bert_layer(False, 17).model
    seq = 32
    bert_feed = {"input_ids": rng.integers(0, VOCAB, (200, seq)).astype(np.int64),
                 "attention_mask": np.ones((200, seq), np.int64), "token_type_ids": np.zeros((200, seq), np.int64)}
    models = [
        ("digits CNN", REPO / "examples" / "digits" / "digits_cnn.onnx", {"input": digits["images"].astype(np.float32)},
         "probabilities", digits["labels"]),
        ("transformer encoder layer", bert, bert_feed, "hidden_output_0", None),
        ("LSTM cell ×8 steps", lstm_unrolled(), {"x": rng.standard_normal((500, 8, 32)).astype(np.float32)}, "y", None),
        ("LSTM op 2×128, 32 steps", lstm2_batch_first(), {"x": rng.standard_normal((500, 32, 64)).astype(np.float32)},
         "prediction", None),
        ("policy MLP 24-256-256-6", make_policy.build(0), {"observation": rng.standard_normal((1000, 24)).astype(np.float32)},
         "action", None),
        # Depthwise layers: static mode runs them as QuantizedDepthwiseConv (u8 through the block).
        ("MobileNet-style (depthwise)", models_py.mobilenet_like().model,
         {"input": rng.standard_normal((200, 3, 32, 32)).astype(np.float32)}, "logits", None),
    ]

    header = (f"{'model':26s} {'mode':8s} {'size f32 → int8 (bytes)':>26s} {'min cosine':>11s} "
              f"{'accuracy / agreement':>24s} {'µs/call f32/int8':>17s}")
    print(header)
    print("-" * len(header))
    for name, src, feed, out, labels in models:
        if isinstance(src, onnx.ModelProto):
            path = tmp / (src.graph.name + ".onnx")
            onnx.save(src, str(path))
            src = path
        f32 = tmp / (src.stem + ".f32.dlrt")
        convert(cli, src, f32)
        calib = tmp / (src.stem + ".calib.npz")
        np.savez(calib, **{k: v[: min(len(v), 100)] for k, v in feed.items()})
        modes = [("dynamic", []), ("static", ["--calibration", str(calib)])]
        for mode, extra in modes:
            q8 = tmp / (src.stem + f".{mode}.dlrt")
            if not convert(cli, src, q8, "--weights", "int8", *extra):
                continue
            with dlrt.Model(f32) as m32, dlrt.Model(q8) as m8:
                a, b = m32.run(feed)[out], m8.run(feed)[out]
                one = {k: np.ascontiguousarray(v[:1]) for k, v in feed.items()}
                lat32, lat8 = latency(m32, one, args.runs), latency(m8, one, args.runs)
            if a.ndim == 3:
                a, b = a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1])
            if labels is not None:
                acc = f"{(a.argmax(1) == labels).mean():.2%} → {(b.argmax(1) == labels).mean():.2%}"
            else:
                acc = f"{(a.argmax(1) == b.argmax(1)).mean():.1%} agree"
            s32, s8 = f32.stat().st_size, q8.stat().st_size
            print(f"{name:26s} {mode:8s} {f'{s32:,} → {s8:,} ({s8 / s32:.0%})':>26s} {cosines(a, b).min():11.5f} "
                  f"{acc:>24s} {f'{lat32:.1f} / {lat8:.1f}':>17s}")
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
