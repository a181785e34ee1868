"""`--weights int8` on ConvTranspose (docs/QUANTIZATION.md): weight-only int8. W [C, M/group, k…]
is stored symmetric int8 per output channel (axis 1) with a DequantizeLinear the runtime folds
when the model loads; the layer then runs its float32 GEMM + col2im. Checked on the DCGAN
generator of benchmarks/zoo.py (cosine vs float32, file size) and on small odd-shaped
ConvTransposes against onnxruntime."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import models
from conftest import ort_run, run_cli

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "benchmarks"))


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def pair(cli, model, tmp_path):
    src, f32, q8 = tmp_path / "m.onnx", tmp_path / "m.f32.dlrt", tmp_path / "m.int8.dlrt"
    onnx.save(model, str(src))
    run_cli(cli, "convert", src, "-o", f32, check=True)
    r = run_cli(cli, "convert", src, "-o", q8, "--weights", "int8", check=True)
    return f32, q8, r.stdout + r.stderr


def test_dcgan_generator(cli, dlrt_mod, tmp_path):
    import zoo
    m = zoo.dcgan().model
    f32, q8, out = pair(cli, m, tmp_path)
    assert "int8 weights: 5 layers quantized" in out, out
    size32, size8 = f32.stat().st_size, q8.stat().st_size
    assert size8 < 0.3 * size32, (size32, size8)
    ops = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)["op_counts"]
    assert ops.get("ConvTranspose") == 5 and ops.get("DequantizeLinear") == 5, ops
    rng = np.random.default_rng(3)
    worst = 1.0
    with dlrt_mod.Model(f32) as a, dlrt_mod.Model(q8) as b:
        for batch in (1, 4):
            z = rng.standard_normal((batch, 100, 1, 1)).astype(np.float32)
            ya, yb = a.run({"z": z}), b.run({"z": z})
            for k in ya:
                for i in range(batch):
                    worst = min(worst, cosine(ya[k][i], yb[k][i]))
    print(f"DCGAN: {size32} → {size8} bytes ({size8 / size32:.1%}), min per-image cosine vs float32 {worst:.6f}")
    assert worst >= 0.999


@pytest.mark.parametrize("group,strides,pads,out_pad", [(1, [2, 2], [1, 1, 1, 1], [1, 1]), (2, [3, 1], [0, 2, 1, 0], [0, 0]),
                                                        (1, [1, 1], [0, 0, 0, 0], [0, 0])])
def test_small_convtranspose_vs_onnxruntime(group, strides, pads, out_pad, cli, dlrt_mod, tmp_path):
    rng = np.random.default_rng(7 + group)
    w = (0.3 * rng.standard_normal((6, 5, 3, 4))).astype(np.float32)  # [C, M/group, kH, kW]
    bias = rng.standard_normal(5 * group).astype(np.float32)
    node = helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], group=group, strides=strides, pads=pads, output_padding=out_pad)
    g = helper.make_graph([node], "ct", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 6, 7, 9])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    f32, q8, out = pair(cli, model, tmp_path)
    with dlrt_mod.Model(q8) as m:
        for batch in (1, 2):
            feeds = {"x": models.rnd(900 + batch, batch, 6, 7, 9)}
            got, want = m.run(feeds)["y"], ort_run(model, feeds)["y"]
            assert got.shape == want.shape
            assert cosine(got, want) >= 0.999
            # each output is a sum of ≤ 6·(12/stride) products, each weight off by ≤ scale/2
            scale = np.abs(w).max(axis=(0, 2, 3)) / 127
            bound = np.abs(feeds["x"]).max() * 6 * 12 * scale.max() / 2
            assert np.max(np.abs(got - want)) <= bound


def test_nonfinite_weight_kept_float(cli, tmp_path):
    w = np.ones((2, 3, 2, 2), np.float32)
    w[0, 0, 0, 0] = np.inf
    node = helper.make_node("ConvTranspose", ["x", "w"], ["y"])
    g = helper.make_graph([node], "ct", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 3])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [numpy_helper.from_array(w, "w")])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    src = tmp_path / "m.onnx"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt", "--weights", "int8", check=True)
    assert "ConvTranspose" in r.stdout + r.stderr and "non-finite" in r.stdout + r.stderr
