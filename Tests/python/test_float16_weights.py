"""`dlrt convert --weights float16`: large weights stored as float16 (+ a Cast folded at load).

For each model: the file is about half the float32 file, outputs stay within cosine 0.999 of the
float32 conversion and close to onnxruntime (loose tolerance: float16 has ~3 significant digits),
the metadata records weights=float16 and `dlrt inspect` lists the float16 constants. The digits
CNN must predict the same class as the float32 model on ≥ 99.9 % of its test set.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import models
from conftest import ort_run, run_cli

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "examples" / "digits"
sys.path.insert(0, str(REPO / "examples" / "control_loop"))


def _policy():
    import make_policy
    return make_policy.build(0)


CASES = {
    "mlp_gemm": lambda: models.mlp_gemm(17),
    "mlp_matmul": lambda: models.mlp_matmul(17),
    "cnn_pytorch": lambda: models.cnn_pytorch(17),      # BN folding, depthwise, residual, grouped/dilated
    "cnn_logits": lambda: models.cnn_logits(17),
    "mobilenet_like": lambda: models.mobilenet_like(),
}


@pytest.fixture(scope="module")
def pair(cli, tmp_path_factory):
    """pair(name, onnx model or path) -> (f32 path, f16 path, convert stdout of the f16 run)."""
    import onnx
    root = tmp_path_factory.mktemp("f16")
    cache = {}

    def _pair(name, model):
        if name in cache:
            return cache[name]
        src = root / f"{name}.onnx"
        if isinstance(model, onnx.ModelProto):
            onnx.save(model, str(src))
        else:
            src = Path(model)
        f32, f16 = root / f"{name}.f32.dlrt", root / f"{name}.f16.dlrt"
        run_cli(cli, "convert", src, "-o", f32, check=True)
        r = run_cli(cli, "convert", src, "-o", f16, "--weights", "float16", check=True)
        cache[name] = (f32, f16, r.stdout)
        return cache[name]

    return _pair


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def converted_bytes(stdout: str):
    m = re.search(r"float16 weights: (\d+) tensors? converted, (\d+) → (\d+) bytes", stdout)
    assert m, f"no float16 summary in the convert output:\n{stdout}"
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


@pytest.mark.parametrize("name", sorted(CASES))
def test_models_f16_close_to_f32_and_onnxruntime(name, pair, dlrt_mod):
    case = CASES[name]()
    f32, f16, out = pair(name, case.model)
    n, before, after = converted_bytes(out)
    assert n >= 1 and after * 2 == before
    s32, s16 = f32.stat().st_size, f16.stat().st_size
    # The file shrinks by the halved weights, give or take alignment and the Cast nodes/tensors.
    assert abs((s32 - s16) - (before - after)) <= 256 * n, (s32, s16, before, after)
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(f16) as m16:
        assert m16.metadata["weights"] == "float16" and "weights" not in m32.metadata
        for i, feeds in enumerate(case.feeds):
            a, b = m32.run(feeds), m16.run(feeds)
            ref = ort_run(case.model, feeds)
            for k in a:
                assert b[k].shape == a[k].shape and b[k].dtype == a[k].dtype
                c = cosine(a[k], b[k])
                assert c >= 0.999, f"{name} run {i} output {k}: cosine {c:.6f} vs float32"
                scale = max(float(np.abs(ref[k]).max()), 1e-6)
                err = float(np.abs(b[k] - ref[k]).max())
                assert err <= 5e-3 * scale + 1e-4, f"{name} run {i} output {k}: max err {err:.3g} vs onnxruntime (scale {scale:.3g})"


def test_policy_mlp_half_size(pair, dlrt_mod):
    """The control-loop policy (24→256→256→6): weights are the whole file, so it halves."""
    f32, f16, out = pair("policy", _policy())
    ratio = f16.stat().st_size / f32.stat().st_size
    assert 0.49 <= ratio <= 0.52, ratio
    x = np.random.default_rng(5).standard_normal((64, 24)).astype(np.float32)
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(f16) as m16:
        a, b = m32.run({"observation": x})["action"], m16.run({"observation": x})["action"]
    assert cosine(a, b) >= 0.9999
    assert np.abs(a - b).max() < 5e-3


def test_digits_predictions_identical(pair, dlrt_mod):
    f32, f16, _ = pair("digits", DIGITS / "digits_cnn.onnx")
    assert f16.stat().st_size < 0.6 * f32.stat().st_size
    data = np.load(DIGITS / "digits_test.npz")
    x, labels = data["images"].astype(np.float32), data["labels"]
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(f16) as m16:
        a, b = m32.run({"input": x})["probabilities"], m16.run({"input": x})["probabilities"]
    agree = float((a.argmax(1) == b.argmax(1)).mean())
    assert agree >= 0.999, f"float16 predictions agree with float32 on {agree:.2%} of {len(x)} images"
    assert (b.argmax(1) == labels).mean() >= (a.argmax(1) == labels).mean() - 0.005
    assert np.abs(a - b).max() < 5e-3


def test_inspect_shows_float16_weights(cli, pair):
    _, f16, _ = pair("digits", DIGITS / "digits_cnn.onnx")
    info = json.loads(run_cli(cli, "inspect", f16, "--json", check=True).stdout)
    assert info["metadata"]["weights"] == "float16"
    halves = {c["name"] for c in info["constants"] if c["dtype"] == "float16"}
    assert {"conv2.weight", "fc.weight"} <= halves, halves
    biases = [c for c in info["constants"] if c["name"].endswith("bias")]
    assert biases and all(c["dtype"] == "float32" for c in biases), biases
    assert info["op_counts"]["Cast"] == len(halves)
    text = run_cli(cli, "inspect", f16, check=True).stdout
    assert "weights: float16" in text and re.search(r"fc\.weight: float16 \[10, 512\] 10240 bytes", text)


def test_float16_runs_with_two_threads_and_batches(pair, dlrt_mod):
    case = models.cnn_pytorch(17)
    f32, f16, _ = pair("cnn_pytorch", case.model)
    with dlrt_mod.Model(f16, threads=2) as m16, dlrt_mod.Model(f32) as m32:
        for n in (1, 5, 1, 3):
            feeds = {"input": models.rnd(4000 + n, n, 3, 16, 16)}
            assert cosine(m16.run(feeds)["probs"], m32.run(feeds)["probs"]) >= 0.999


def test_other_weight_types_refused(cli, tmp_path):
    out = tmp_path / "x.dlrt"
    r = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", out, "--weights", "int32")
    assert r.returncode != 0 and "--weights must be float32, float16 or int8" in r.stderr
    assert not out.exists()
