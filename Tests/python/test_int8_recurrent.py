"""`--weights int8` on LSTM / GRU / RNN (docs/QUANTIZATION.md): weight-only int8. W and R are
stored symmetric int8 per gate row (axis 1) with a DequantizeLinear the runtime folds when the
model loads; the recurrence then runs in float32 as before. Checked on zoo.lstm2() and the
recurrent models of test_recurrent.py: cosine ≥ 0.99 vs float32, weights a quarter of the bytes."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest

from conftest import run_cli

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))
import test_recurrent  # noqa: E402


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def convert_pair(cli, model, tmp_path, name):
    src, f32, q8 = tmp_path / f"{name}.onnx", tmp_path / f"{name}.f32.dlrt", tmp_path / f"{name}.int8.dlrt"
    onnx.save(model, str(src))
    run_cli(cli, "convert", src, "-o", f32, check=True)
    r = run_cli(cli, "convert", src, "-o", q8, "--weights", "int8", check=True)
    return f32, q8, r.stdout + r.stderr


def compare(f32, q8, feeds_list, dlrt_mod):
    worst = 1.0
    with dlrt_mod.Model(f32) as a, dlrt_mod.Model(q8) as b:
        for feeds in feeds_list:
            ya, yb = a.run(feeds), b.run(feeds)
            for k in ya:
                if ya[k].dtype.kind == "f" and ya[k].size:
                    worst = min(worst, cosine(ya[k], yb[k]))
    return worst


def test_lstm2(cli, dlrt_mod, tmp_path):
    import zoo
    m = zoo.lstm2().model
    f32, q8, out = convert_pair(cli, m, tmp_path, "lstm2")
    ops = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)["op_counts"]
    assert ops.get("LSTM") == 2 and ops.get("DequantizeLinear") == 4, ops
    rng = np.random.default_rng(1)
    feeds = [{"sequence": rng.standard_normal((32, batch, 64)).astype(np.float32)} for batch in (1, 3)]
    worst = compare(f32, q8, feeds, dlrt_mod)
    s32, s8 = f32.stat().st_size, q8.stat().st_size
    print(f"lstm2: {s32} → {s8} bytes ({s8 / s32:.1%}), min cosine vs float32 {worst:.6f}")
    assert worst >= 0.99 and s8 < 0.32 * s32  # biases and the head stay float32


@pytest.mark.parametrize("case", test_recurrent.CASES, ids=[c.name for c in test_recurrent.CASES])
def test_recurrent_family(case, cli, dlrt_mod, tmp_path):
    f32, q8, out = convert_pair(cli, case.model, tmp_path, case.name)
    assert "LSTM" in out or "GRU" in out or "RNN" in out, out
    worst = compare(f32, q8, case.feeds, dlrt_mod)
    print(f"{case.name}: min cosine vs float32 {worst:.6f}")
    assert worst >= 0.99


def test_large_weights_stay_within_load_time_folding_budget(cli, dlrt_mod, tmp_path):
    """A weight whose dequantized copy would exceed the runtime's load-time folding budget stays
    float32 (an LSTM needs W and R constant once loaded): the model still loads and runs."""
    from onnx import TensorProto, helper, numpy_helper
    hidden, inp = 1024, 1024
    rng = np.random.default_rng(2)
    w = (0.03 * rng.standard_normal((1, 4 * hidden, inp))).astype(np.float32)
    r = (0.03 * rng.standard_normal((1, 4 * hidden, hidden))).astype(np.float32)
    node = helper.make_node("LSTM", ["x", "w", "r"], ["", "h"], hidden_size=hidden)
    g = helper.make_graph([node], "big", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [3, 1, inp])],
                          [helper.make_tensor_value_info("h", TensorProto.FLOAT, [1, 1, hidden])],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(r, "r")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    f32, q8, out = convert_pair(cli, model, tmp_path, "big")
    assert "load-time folding budget" in out and "int8 weights: 1 layer quantized" in out, out
    feeds = [{"x": rng.standard_normal((3, 1, inp)).astype(np.float32)}]
    assert compare(f32, q8, feeds, dlrt_mod) >= 0.99
