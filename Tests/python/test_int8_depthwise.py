"""Static int8 depthwise convolutions: QuantizedDepthwiseConv (110; docs/QUANTIZATION.md).

With `--weights int8 --calibration`, a depthwise Conv becomes a QuantizedDepthwiseConv: u8
activations × s8 per-channel weights → exact int32 → the int8 epilogue. Checked here:
  - against a numpy transcription of its definition (QuantizedDepthwiseReference), bit for bit, on
    odd sizes, strides, paddings, dilations and fused activations;
  - against onnxruntime on the equivalent QDQ graph (QuantizeLinear → DequantizeLinear → Conv);
  - a MobileNet-style net: int8 static vs float32 cosine ≥ 0.99, u8 through the depthwise layers,
    identical results with 1 and 2 threads and on the AVX2 and baseline paths.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

import models
from conftest import ort_run, run_cli

REPO = Path(__file__).resolve().parents[2]


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def u8_params(x):
    """The converter's static parameters for calibration samples x (minmax; Int8Weights.u8Params)."""
    lo, hi = min(np.float32(x.min()), np.float32(0)), max(np.float32(x.max()), np.float32(0))
    s = np.float32((float(hi) - float(lo)) / 255)
    if not (s > 0) or not np.isfinite(s):
        s = np.float32(1)
    z = int(min(max(np.rint(np.float32(-lo) / s), 0), 255))
    return s, z


def quantize_weights(w):
    """Symmetric int8 per output channel (axis 0)."""
    m = np.abs(w.reshape(w.shape[0], -1)).max(1).astype(np.float32)
    s = np.where(m > 0, m / np.float32(127), np.float32(1)).astype(np.float32)
    q = np.clip(np.rint(w / s.reshape(-1, 1, 1, 1)), -127, 127).astype(np.int8)
    return q, s


def reference(x, sx, zx, q, sw, bias, act, stride, pads, dilation):
    """QuantizedDepthwiseReference in numpy: float32 output (no y parameters)."""
    qx = np.clip(np.rint(x / sx) + np.float32(zx), 0, 255).astype(np.int64) - zx
    n, c, h, w = x.shape
    k = q.shape[2]
    t, l, b_, r = pads
    qx = np.pad(qx, ((0, 0), (0, 0), (t, b_), (l, r)))          # padding taps add 0
    oh = (h + t + b_ - dilation * (k - 1) - 1) // stride + 1
    ow = (w + l + r - dilation * (k - 1) - 1) // stride + 1
    acc = np.zeros((n, c, oh, ow), np.int64)
    for kh in range(k):
        for kw in range(k):
            patch = qx[:, :, kh * dilation: kh * dilation + stride * (oh - 1) + 1: stride,
                          kw * dilation: kw * dilation + stride * (ow - 1) + 1: stride]
            acc += patch * q[:, 0, kh, kw].astype(np.int64).reshape(1, c, 1, 1)
    mult = (np.float32(sx) * sw).astype(np.float32).reshape(1, c, 1, 1)
    y = acc.astype(np.float32) * mult + bias.reshape(1, c, 1, 1)
    if act == "relu6":
        y = np.minimum(np.maximum(y, np.float32(0)), np.float32(6))
    elif act == "relu":
        y = np.maximum(y, np.float32(0))
    elif act == "leaky":
        y = np.where(y < 0, y * np.float32(0.1), y)
    return y.astype(np.float32)


def act_nodes(act, src, dst):
    if act is None:
        return [helper.make_node("Identity", [src], [dst])]
    if act == "relu6":
        return [helper.make_node("Clip", [src, "zero", "six"], [dst])]
    if act == "relu":
        return [helper.make_node("Relu", [src], [dst])]
    return [helper.make_node("LeakyRelu", [src], [dst], alpha=0.1)]


def depthwise_model(w, bias, act, stride, pads, dilation, x_shape, qdq=None):
    """Depthwise Conv (+ activation). qdq = (sx, zx, qw, sw): the QDQ form onnxruntime runs."""
    c, k = w.shape[0], w.shape[2]
    inits = [numpy_helper.from_array(bias, "B"), numpy_helper.from_array(np.array(0, np.float32), "zero"),
             numpy_helper.from_array(np.array(6, np.float32), "six")]
    nodes = []
    x, wname = "x", "W"
    if qdq is None:
        inits.append(numpy_helper.from_array(w, "W"))
    else:
        sx, zx, qw, sw = qdq
        inits += [numpy_helper.from_array(np.array(sx, np.float32), "sx"), numpy_helper.from_array(np.array(zx, np.uint8), "zx"),
                  numpy_helper.from_array(qw, "qw"), numpy_helper.from_array(sw, "sw"),
                  numpy_helper.from_array(np.zeros(c, np.int8), "zw")]
        nodes += [helper.make_node("QuantizeLinear", ["x", "sx", "zx"], ["xq"]),
                  helper.make_node("DequantizeLinear", ["xq", "sx", "zx"], ["xd"]),
                  helper.make_node("DequantizeLinear", ["qw", "sw", "zw"], ["Wd"], axis=0)]
        x, wname = "xd", "Wd"
    nodes.append(helper.make_node("Conv", [x, wname, "B"], ["conv"], group=c, kernel_shape=[k, k], strides=[stride, stride],
                                  pads=[pads[0], pads[1], pads[2], pads[3]], dilations=[dilation, dilation]))
    nodes += act_nodes(act, "conv", "y")
    g = helper.make_graph(nodes, "dw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", *x_shape[1:]])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


# (channels, h, w, kernel, stride, pads [top, left, bottom, right], dilation, activation, batch)
CASES = [
    (2, 5, 7, 3, 1, (1, 1, 1, 1), 1, None, 1),      # group 1 would be a plain Conv
    (7, 9, 11, 3, 2, (1, 1, 1, 1), 1, "relu6", 2),
    (16, 8, 8, 3, 1, (1, 1, 1, 1), 1, "relu", 1),
    (17, 13, 6, 5, 2, (2, 2, 2, 2), 1, "relu6", 3),
    (19, 10, 10, 3, 2, (0, 0, 1, 1), 1, "relu6", 1),
    (33, 15, 17, 3, 1, (2, 2, 2, 2), 2, "leaky", 1),
    (67, 7, 9, 3, 2, (0, 0, 0, 0), 1, None, 1),
    (32, 1, 1, 3, 1, (1, 1, 1, 1), 1, "relu6", 2),
    (24, 9, 37, 3, 1, (1, 1, 1, 1), 1, "relu6", 1),     # ≥ 16 output columns: the AVX-512 plane path
    (21, 12, 50, 3, 2, (0, 0, 1, 1), 1, "relu6", 2),
    (18, 6, 40, 5, 2, (2, 2, 2, 2), 1, "leaky", 1),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "c{}_{}x{}_k{}_s{}_p{}_d{}_{}_n{}".format(*c[:5], "".join(map(str, c[5])), *c[6:]))
def test_depthwise_matches_reference_and_onnxruntime(case, cli, dlrt_mod, tmp_path):
    c, h, w_, k, stride, pads, dilation, act, batch = case
    rng = np.random.default_rng(c * 1000 + h)
    w = (rng.standard_normal((c, 1, k, k)) * 0.5).astype(np.float32)
    w[0] *= 0.01                                             # a channel with a much smaller scale
    bias = (rng.standard_normal(c) * 0.2).astype(np.float32)
    calib = (rng.standard_normal((16, c, h, w_)) * 1.5 + 0.3).astype(np.float32)
    x = (rng.standard_normal((batch, c, h, w_)) * 1.5 + 0.3).astype(np.float32)
    x.flat[0] = 40.0                                         # saturates at 255
    src, dst = tmp_path / "dw.onnx", tmp_path / "dw.dlrt"
    import onnx
    onnx.save(depthwise_model(w, bias, act, stride, pads, dilation, x.shape), str(src))
    np.savez(tmp_path / "calib.npz", x=calib)
    r = run_cli(cli, "convert", src, "-o", dst, "--weights", "int8", "--calibration", tmp_path / "calib.npz")
    assert r.returncode == 0, r.stderr
    info = json.loads(run_cli(cli, "inspect", dst, "--json", check=True).stdout)
    assert info["op_counts"].get("QuantizedDepthwiseConv") == 1, info["op_counts"]
    with dlrt_mod.Model(dst) as m:
        got = m.run({"x": x})["y"]
    sx, zx = u8_params(calib)
    qw, sw = quantize_weights(w)
    want = reference(x, sx, zx, qw, sw, bias, act, stride, pads, dilation)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got, want)                 # bit for bit with the definition
    ort = ort_run(depthwise_model(w, bias, act, stride, pads, dilation, x.shape, qdq=(sx, zx, qw, sw)), {"x": x})["y"]
    np.testing.assert_allclose(got, ort, rtol=1e-4, atol=1e-5 * float(np.abs(ort).max() + 1))


def run_isa(path: Path, feeds: dict, isa: str | None, threads: int, tmp: Path) -> np.ndarray:
    """Runs the model in a fresh process (DLRT_ISA is read once at start-up)."""
    np.savez(tmp / "feeds.npz", **feeds)
    code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import dlrt\n"
            "f = dict(np.load(sys.argv[3]))\n"
            "with dlrt.Model(sys.argv[2], threads=int(sys.argv[5])) as m: out = m.run(f)\n"
            "np.save(sys.argv[4], next(iter(out.values())))\n")
    env = dict(os.environ)
    env.pop("DLRT_ISA", None)
    if isa:
        env["DLRT_ISA"] = isa
    out = tmp / f"out_{isa}_{threads}.npy"
    subprocess.run([sys.executable, "-c", code, str(REPO / "bindings" / "python"), str(path), str(tmp / "feeds.npz"),
                    str(out), str(threads)], check=True, env=env, timeout=120)
    return np.load(out)


def test_mobilenet_like_static_stays_close_and_u8(cli, dlrt_mod, tmp_path):
    import onnx
    case = models.mobilenet_like()
    src, f32, q8 = tmp_path / "mb.onnx", tmp_path / "mb.f32.dlrt", tmp_path / "mb.int8.dlrt"
    onnx.save(case.model, str(src))
    rng = np.random.default_rng(31)
    np.savez(tmp_path / "calib.npz", input=rng.standard_normal((32, 3, 32, 32)).astype(np.float32))
    run_cli(cli, "convert", src, "-o", f32, check=True)
    r = run_cli(cli, "convert", src, "-o", q8, "--weights", "int8", "--calibration", tmp_path / "calib.npz", check=True)
    info = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)
    assert info["op_counts"].get("QuantizedDepthwiseConv") == 3, info["op_counts"]
    assert "kept float32: depthwise" not in r.stdout + r.stderr
    # The stem conv's output feeds the first depthwise conv, each depthwise conv feeds its 1×1 conv.
    assert "activations passed as u8" in r.stdout, r.stdout
    x = rng.standard_normal((8, 3, 32, 32)).astype(np.float32)
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8, dlrt_mod.Model(q8, threads=2) as m2:
        a, b, b2 = m32.run({"input": x})["logits"], m8.run({"input": x})["logits"], m2.run({"input": x})["logits"]
    per_image = [cosine(a[i], b[i]) for i in range(len(x))]
    assert min(per_image) >= 0.99, per_image
    assert np.array_equal(b, b2), "results depend on the thread count"
    for isa in ("avx2", "baseline"):
        assert np.array_equal(run_isa(q8, {"input": x}, isa, 1, tmp_path), b), f"DLRT_ISA={isa} differs"


def test_dynamic_mode_keeps_depthwise_float(cli, tmp_path):
    import onnx
    src = tmp_path / "mb.onnx"
    onnx.save(models.mobilenet_like().model, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "mb.dlrt", "--weights", "int8", check=True)
    assert "kept float32: depthwise (group 32): kept float32 (int8 depthwise needs static activations)" in r.stdout + r.stderr
