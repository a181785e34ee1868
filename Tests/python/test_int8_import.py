"""ONNX integer ops as onnxruntime's `quantize_dynamic` writes them (docs/QUANTIZATION.md,
"Quantized ONNX input"): DynamicQuantizeLinear → MatMulInteger / ConvInteger → Cast → Mul by the
scales become dlrt's DynamicQuantizeMatMul / DynamicQuantizeConv with the model's own int8 weights
and per-tensor u8 activations — the same integers and the same float epilogue as onnxruntime.

Compared with onnxruntime running the same int8 ONNX: within one output quantization step
(x_scale · w_scale · a few units, from an occasional one-ulp difference in the activation scale)
and cosine ≥ 0.9999; refusals name the node.
"""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import models
from conftest import ort_run, run_cli


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def convert(cli, model, tmp_path, name="m", *extra):
    src, dst = tmp_path / f"{name}.onnx", tmp_path / f"{name}.dlrt"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", dst, *extra)
    return r, dst


def op_counts(cli, path):
    return json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]


def _dynamic_chain(nodes, inits, x, w_q, w_scale, w_zero, y, op="MatMulInteger", attrs=None, tag="l"):
    """What onnxruntime's MatMulInteger / ConvInteger quantizers write for one layer."""
    nodes.append(helper.make_node("DynamicQuantizeLinear", [x], [f"{tag}_xq", f"{tag}_xs", f"{tag}_xz"], name=f"{tag}_dql"))
    inits += [numpy_helper.from_array(w_q, f"{tag}_wq"), numpy_helper.from_array(np.asarray(w_scale, np.float32), f"{tag}_ws"),
              numpy_helper.from_array(w_zero, f"{tag}_wz")]
    nodes.append(helper.make_node(op, [f"{tag}_xq", f"{tag}_wq", f"{tag}_xz", f"{tag}_wz"], [f"{tag}_i32"], name=f"{tag}_quant",
                                  **(attrs or {})))
    nodes.append(helper.make_node("Cast", [f"{tag}_i32"], [f"{tag}_f"], to=TensorProto.FLOAT))
    nodes.append(helper.make_node("Mul", [f"{tag}_xs", f"{tag}_ws"], [f"{tag}_s"], name=f"{tag}_scales_mul"))
    nodes.append(helper.make_node("Mul", [f"{tag}_f", f"{tag}_s"], [y], name=f"{tag}_output_scale_mul"))


def _sym_int8(rng, shape, axis=None, reduce_range=True):
    """Symmetric int8 weights as onnxruntime quantizes them (7-bit with reduce_range)."""
    w = rng.standard_normal(shape).astype(np.float32)
    q_max = 63 if reduce_range else 127
    if axis is None:
        scale = np.float32(np.abs(w).max() / q_max)
    else:
        red = tuple(i for i in range(w.ndim) if i != axis)
        scale = (np.abs(w).max(axis=red) / q_max).astype(np.float32)
    s = scale if axis is None else np.expand_dims(scale, red)
    return np.clip(np.round(w / s), -q_max, q_max).astype(np.int8), scale


def _model(nodes, inits, inputs, outputs, name):
    g = helper.make_graph(nodes, name, inputs, outputs, inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def hand_matmul(per_channel: bool, uint8_weights: bool = False):
    """x [batch, 5, 37] · W [37, 29] as a quantize_dynamic MatMul, then Relu and a second layer."""
    rng = np.random.default_rng(11 + per_channel + 2 * uint8_weights)
    nodes, inits = [], []
    q, s = _sym_int8(rng, (37, 29), axis=1 if per_channel else None)
    z = np.zeros(29 if per_channel else (), np.int8)
    if uint8_weights:
        q, z = (q.astype(np.int16) + 128).astype(np.uint8), np.full(z.shape, 128, np.uint8)
    _dynamic_chain(nodes, inits, "x", q, s, z, "h", tag="l1")
    nodes.append(helper.make_node("Relu", ["h"], ["hr"]))
    q2, s2 = _sym_int8(rng, (29, 7), axis=1 if per_channel else None, reduce_range=False)
    _dynamic_chain(nodes, inits, "hr", q2, s2, np.zeros(7 if per_channel else (), np.int8), "y", tag="l2")
    return _model(nodes, inits, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 5, 37])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 5, 7])], "hand_matmul")


def hand_conv(group: int = 1):
    """ConvInteger 2-D, stride 2, pads, with a bias Add after the scales Mul (as quantize_dynamic)."""
    rng = np.random.default_rng(21 + group)
    nodes, inits = [], []
    q, s = _sym_int8(rng, (6, 4 // group, 3, 3))
    _dynamic_chain(nodes, inits, "x", q, s, np.zeros((), np.int8), "c", op="ConvInteger",
                   attrs=dict(strides=[2, 2], pads=[1, 1, 1, 1], group=group), tag="c1")
    inits.append(numpy_helper.from_array(rng.standard_normal((1, 6, 1, 1)).astype(np.float32), "bias"))
    nodes.append(helper.make_node("Add", ["c", "bias"], ["y"]))
    return _model(nodes, inits, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4, 11, 9])],
                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 6, 6, 5])], "hand_conv")


def check_against_ort(model, got, feeds, steps=2.0):
    want = ort_run(model, feeds)
    for k, w in want.items():
        g = got[k]
        assert g.shape == w.shape
        c = cosine(g, w)
        # One output step of the last layer is x_scale · w_scale ≤ (range / 255) · max w_scale;
        # measure it from the data: the largest gap between distinct output values is ≥ it.
        err = float(np.max(np.abs(g - w)))
        scale = float(np.max(np.abs(w))) or 1.0
        assert c >= 0.9999, f"output {k}: cosine {c:.6f} vs onnxruntime"
        assert err <= steps * scale / 127, f"output {k}: max |dlrt − onnxruntime| {err:.3g} (output max {scale:.3g})"
        print(f"{k}: cosine {c:.7f}, max abs diff {err:.3g}")


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("uint8_weights", [False, True])
def test_hand_built_matmulinteger_chain(per_channel, uint8_weights, cli, dlrt_mod, tmp_path):
    model = hand_matmul(per_channel, uint8_weights)
    r, dst = convert(cli, model, tmp_path)
    assert r.returncode == 0, r.stderr
    ops = op_counts(cli, dst)
    assert ops.get("DynamicQuantizeMatMul") == 2 and "MatMul" not in ops, ops
    with dlrt_mod.Model(dst) as m:
        assert m.metadata["weights"] == "int8" and m.metadata["activations"] == "dynamic"
        for batch in (1, 3):
            feeds = {"x": models.rnd(300 + batch, batch, 5, 37)}
            check_against_ort(model, m.run(feeds), feeds)


@pytest.mark.parametrize("group", [1, 2])
def test_hand_built_convinteger_chain(group, cli, dlrt_mod, tmp_path):
    model = hand_conv(group)
    r, dst = convert(cli, model, tmp_path)
    assert r.returncode == 0, r.stderr
    assert op_counts(cli, dst).get("DynamicQuantizeConv") == 1
    with dlrt_mod.Model(dst) as m:
        for batch in (1, 3):  # one activation scale for the whole batch, as DynamicQuantizeLinear
            feeds = {"x": models.rnd(400 + batch, batch, 4, 11, 9)}
            feeds["x"][-1] *= 5  # images of different ranges
            check_against_ort(model, m.run(feeds), feeds)


def _bert():
    from test_transformer import bert_layer
    return bert_layer(False, 17)


ORT_CASES = {
    "mlp_matmul": lambda: models.mlp_matmul(17),
    "mlp_gemm": lambda: models.mlp_gemm(17),
    "cnn_logits": lambda: models.cnn_logits(17),
    "bert_layer": _bert,
}


@pytest.mark.parametrize("per_channel", [False, True])
@pytest.mark.parametrize("name", sorted(ORT_CASES))
def test_quantize_dynamic_models(name, per_channel, cli, dlrt_mod, tmp_path):
    """onnxruntime's own quantize_dynamic output converts to dlrt's int8 ops and matches
    onnxruntime running that int8 model."""
    from onnxruntime.quantization import quantize_dynamic
    case = ORT_CASES[name]()
    src, q = tmp_path / "f.onnx", tmp_path / "q.onnx"
    onnx.save(case.model, str(src))
    quantize_dynamic(str(src), str(q), per_channel=per_channel)
    qm = onnx.load(str(q))
    assert any(n.op_type in ("MatMulInteger", "ConvInteger") for n in qm.graph.node)
    dst = tmp_path / "q.dlrt"
    run_cli(cli, "convert", q, "-o", dst, check=True)
    ops = op_counts(cli, dst)
    assert "DynamicQuantizeMatMul" in ops or "DynamicQuantizeConv" in ops, ops
    with dlrt_mod.Model(dst) as m:
        for feeds in case.feeds[:2]:
            got = m.run(feeds)
            check_against_ort(qm, got, feeds, steps=4.0)
            ref = ort_run(case.model, feeds)
            for k in got:
                assert cosine(got[k], ref[k]) >= 0.99, f"{k}: vs the float32 model"


def test_float16_weights_dequantize_the_integer_ops(cli, dlrt_mod, tmp_path):
    model = hand_matmul(True)
    r, dst = convert(cli, model, tmp_path, "h", "--weights", "float16")
    assert r.returncode == 0, r.stderr
    ops = op_counts(cli, dst)
    assert "DynamicQuantizeMatMul" not in ops and "MatMulInteger" not in ops, ops
    with dlrt_mod.Model(dst) as m:
        feeds = {"x": models.rnd(500, 2, 5, 37)}
        assert cosine(m.run(feeds)["y"], ort_run(model, feeds)["y"]) >= 0.999


def _refusal(kind):
    rng = np.random.default_rng(5)
    q, s = _sym_int8(rng, (8, 4))
    nodes, inits = [], []
    _dynamic_chain(nodes, inits, "x", q, s, np.zeros((), np.int8), "y", tag="l")
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 8])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 4])]
    if kind == "zero_point_input":  # the weight zero point is a graph input
        inits = [i for i in inits if i.name != "l_wz"]
        inputs.append(helper.make_tensor_value_info("l_wz", TensorProto.INT8, []))
    elif kind == "int32_output_read":  # the int32 result is also a graph output
        outputs.append(helper.make_tensor_value_info("l_i32", TensorProto.INT32, [2, 4]))
    elif kind == "zero_point_overflow":  # w − zero does not fit int8
        for i, t in enumerate(inits):
            if t.name == "l_wz":
                inits[i] = numpy_helper.from_array(np.int8(-100), "l_wz")
    elif kind == "plain_matmulinteger":  # A is a uint8 graph input
        nodes = [helper.make_node("MatMulInteger", ["a", "l_wq"], ["y"])]
        inputs = [helper.make_tensor_value_info("a", TensorProto.UINT8, [2, 8])]
        outputs = [helper.make_tensor_value_info("y", TensorProto.INT32, [2, 4])]
    return _model(nodes, inits, inputs, outputs, kind)


@pytest.mark.parametrize("kind,message", [
    ("zero_point_input", "b_zero_point 'l_wz' is not a constant"),
    ("int32_output_read", "MatMulInteger"),
    ("zero_point_overflow", "does not fit int8"),
    ("plain_matmulinteger", "not part of such a chain"),
])
def test_refusals(kind, message, cli, tmp_path):
    r, _ = convert(cli, _refusal(kind), tmp_path)
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert "quantize_dynamic" in r.stderr or "int8" in r.stderr
