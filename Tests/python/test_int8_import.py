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


@pytest.mark.parametrize("kind", ["zero_point_input", "int32_output_read", "zero_point_overflow", "plain_matmulinteger"])
def test_outside_the_chain_runs_on_integer_ops(kind, cli, dlrt_mod, tmp_path):
    """Integer ops that are not quantize_dynamic's exact chain run as DynamicQuantizeLinear (112) /
    MatMulInteger (113): the same integers as onnxruntime (bit-exact), float outputs within
    rounding."""
    model = _refusal(kind)
    r, dst = convert(cli, model, tmp_path)
    assert r.returncode == 0, r.stderr
    assert op_counts(cli, dst).get("MatMulInteger") == 1
    rng = np.random.default_rng(9)
    with dlrt_mod.Model(dst) as m:
        for _ in range(3):
            feeds = {"a": rng.integers(0, 256, (2, 8)).astype(np.uint8)} if kind == "plain_matmulinteger" else \
                {"x": rng.standard_normal((2, 8)).astype(np.float32)}
            if kind == "zero_point_input":
                feeds["l_wz"] = np.array(rng.integers(-3, 4), np.int8)
            got, want = m.run(feeds), ort_run(model, feeds)
            for k in want:
                if want[k].dtype == np.int32:
                    np.testing.assert_array_equal(got[k], want[k], err_msg=k)
                else:
                    np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-6, err_msg=k)


# ---- The integer ops at run time (112–114) vs onnxruntime, bit for bit -------------------------------

def _int_model(node, inputs, outputs, opset=13):
    g = helper.make_graph([node], "intop", inputs, outputs)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)


def _ort_or_skip(model, feeds):
    """onnxruntime's outputs; ONNX's reference evaluator where onnxruntime supports only per-tensor
    zero points; None for dtype combinations onnxruntime lacks."""
    try:
        return ort_run(model, feeds)
    except Exception as e:
        if "NOT_IMPLEMENTED" in str(e) or "Could not find an implementation" in str(e):
            return None
        if "zero point" not in str(e).lower() and "Zero_Point" not in str(e):
            raise
    from onnx.reference import ReferenceEvaluator
    ref = ReferenceEvaluator(model)
    names = [o.name for o in model.graph.output]
    return {k: np.asarray(v).astype(np.int32) for k, v in zip(names, ref.run(None, feeds))}


def _run_exact(cli, dlrt_mod, tmp_path, model, feeds_list, name):
    r, dst = convert(cli, model, tmp_path, name)
    assert r.returncode == 0, r.stderr
    checked = 0
    with dlrt_mod.Model(dst) as m, dlrt_mod.Model(dst, threads=2) as m2:
        for feeds in feeds_list:
            want = _ort_or_skip(model, feeds)
            if want is None:
                return 0
            got, got2 = m.run(feeds), m2.run(feeds)
            for k in want:
                assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape, (k, got[k].dtype, got[k].shape, want[k].shape)
                np.testing.assert_array_equal(got[k], want[k], err_msg=f"{name} {k}")
                np.testing.assert_array_equal(got2[k], want[k], err_msg=f"{name} {k} (2 threads)")
            checked += 1
    return checked


DQL_INPUTS = [np.zeros((3, 4), np.float32), -np.arange(1, 13, dtype=np.float32).reshape(3, 4),
              np.arange(12, dtype=np.float32).reshape(3, 4) * 0.37,
              np.array([[0.5, -0.5, 1.5, 2.5], [1e-8, -1e-8, 3.0, -7.0], [255, -255, 0.25, 1.0]], np.float32)]


def test_dynamicquantizelinear_bit_exact(cli, dlrt_mod, tmp_path):
    node = helper.make_node("DynamicQuantizeLinear", ["x"], ["y", "y_scale", "y_zero_point"])
    model = _int_model(node, [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 4])],
                       [helper.make_tensor_value_info("y", TensorProto.UINT8, ["n", 4]),
                        helper.make_tensor_value_info("y_scale", TensorProto.FLOAT, []),
                        helper.make_tensor_value_info("y_zero_point", TensorProto.UINT8, [])])
    rng = np.random.default_rng(3)
    feeds = [{"x": x} for x in DQL_INPUTS]
    feeds += [{"x": (rng.standard_normal((n, 4)) * rng.uniform(0.01, 100) + rng.uniform(-3, 3)).astype(np.float32)}
              for n in (1, 2, 5, 17, 67)]
    assert _run_exact(cli, dlrt_mod, tmp_path, model, feeds, "dql") == len(feeds)


I8 = {np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}


def _ints(rng, dtype, shape):
    lo, hi = (0, 256) if dtype == np.uint8 else (-128, 128)
    return rng.integers(lo, hi, shape).astype(dtype)


@pytest.mark.parametrize("adt,bdt", [(np.uint8, np.uint8), (np.uint8, np.int8), (np.int8, np.uint8), (np.int8, np.int8)])
@pytest.mark.parametrize("shapes,zeros", [
    (((1, 1), (1, 1)), "none"), (((3, 5), (5, 7)), "scalar"), (((67, 33), (33, 1)), "per_row_col"),
    (((2, 3, 9), (9, 17)), "scalar"), (((4, 1, 5, 6), (3, 6, 2)), "per_row_col"), (((13,), (13, 5)), "none"),
    (((6, 13), (13,)), "scalar"), (((2, 67, 64), (2, 64, 67)), "scalar"),
])
def test_matmulinteger_bit_exact(adt, bdt, shapes, zeros, cli, dlrt_mod, tmp_path):
    (ash, bsh) = shapes
    m = ash[-2] if len(ash) > 1 else 1
    n = bsh[-1] if len(bsh) > 1 else 1
    ins = ["A", "B"]
    vis = [helper.make_tensor_value_info("A", I8[adt], list(ash)), helper.make_tensor_value_info("B", I8[bdt], list(bsh))]
    zsh = {"none": None, "scalar": ([], []), "per_row_col": ([m, 1], [n])}[zeros]
    if zsh is not None:
        ins += ["az", "bz"]
        vis += [helper.make_tensor_value_info("az", I8[adt], zsh[0]), helper.make_tensor_value_info("bz", I8[bdt], zsh[1])]
    node = helper.make_node("MatMulInteger", ins, ["Y"])
    model = _int_model(node, vis, [helper.make_tensor_value_info("Y", TensorProto.INT32, None)])
    rng = np.random.default_rng(sum(ash) + 7 * sum(bsh))
    feeds = []
    for _ in range(2):
        f = {"A": _ints(rng, adt, ash), "B": _ints(rng, bdt, bsh)}
        if zsh is not None:
            f["az"], f["bz"] = _ints(rng, adt, zsh[0]), _ints(rng, bdt, zsh[1])
        feeds.append(f)
    name = f"mmi_{np.dtype(adt).name}_{np.dtype(bdt).name}_{len(ash)}_{zeros}"
    if _run_exact(cli, dlrt_mod, tmp_path, model, feeds, name) == 0:
        pytest.skip("onnxruntime has no MatMulInteger for this dtype combination")


@pytest.mark.parametrize("xdt,wdt", [(np.uint8, np.uint8), (np.uint8, np.int8), (np.int8, np.int8)])
@pytest.mark.parametrize("case", [
    dict(x=(1, 1, 5, 5), w=(1, 1, 3, 3)),
    dict(x=(2, 3, 7, 9), w=(4, 3, 3, 2), pads=[1, 0, 2, 1], strides=[2, 1], wz="per_channel"),
    dict(x=(1, 4, 11, 6), w=(6, 2, 3, 3), group=2, dilations=[2, 1], pads=[1, 1, 1, 1]),
    dict(x=(1, 3, 9, 9), w=(5, 3, 3, 3), auto_pad="SAME_UPPER", strides=[2, 2]),
    dict(x=(2, 5, 17), w=(3, 5, 4), pads=[2, 1], strides=[3]),
    dict(x=(1, 8, 6, 6), w=(8, 1, 3, 3), group=8, pads=[1, 1, 1, 1], wz="per_channel"),
], ids=["1x1_3x3", "pads_strides", "group_dilation", "same_upper", "conv1d", "depthwise"])
def test_convinteger_bit_exact(xdt, wdt, case, cli, dlrt_mod, tmp_path):
    c = dict(case)
    xs, ws, wz = c.pop("x"), c.pop("w"), c.pop("wz", "scalar")
    vis = [helper.make_tensor_value_info("x", I8[xdt], list(xs)), helper.make_tensor_value_info("w", I8[wdt], list(ws)),
           helper.make_tensor_value_info("xz", I8[xdt], []),
           helper.make_tensor_value_info("wz", I8[wdt], [ws[0]] if wz == "per_channel" else [])]
    node = helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], **c)
    model = _int_model(node, vis, [helper.make_tensor_value_info("y", TensorProto.INT32, None)])
    rng = np.random.default_rng(sum(xs))
    feeds = [{"x": _ints(rng, xdt, xs), "w": _ints(rng, wdt, ws), "xz": _ints(rng, xdt, ()),
              "wz": _ints(rng, wdt, (ws[0],) if wz == "per_channel" else ())} for _ in range(2)]
    name = f"ci_{np.dtype(xdt).name}_{np.dtype(wdt).name}_{len(xs)}_{c.get('group', 1)}"
    if _run_exact(cli, dlrt_mod, tmp_path, model, feeds, name) == 0:
        pytest.skip("onnxruntime has no ConvInteger for this dtype combination")


def test_integer_op_refusals(cli, tmp_path):
    """Bad dtypes and unsupported ranks are refused at convert time, naming the node."""
    node = helper.make_node("MatMulInteger", ["A", "B"], ["Y"], name="mmi")
    model = _int_model(node, [helper.make_tensor_value_info("A", TensorProto.INT32, [2, 3]),
                              helper.make_tensor_value_info("B", TensorProto.UINT8, [3, 2])],
                       [helper.make_tensor_value_info("Y", TensorProto.INT32, None)])
    r, _ = convert(cli, model, tmp_path, "bad_mmi")
    assert r.returncode != 0 and "'mmi'" in r.stderr and "uint8 or int8" in r.stderr, r.stderr
    node = helper.make_node("ConvInteger", ["x", "w"], ["y"], name="ci3d")
    model = _int_model(node, [helper.make_tensor_value_info("x", TensorProto.UINT8, [1, 1, 3, 3, 3]),
                              helper.make_tensor_value_info("w", TensorProto.UINT8, [1, 1, 2, 2, 2])],
                       [helper.make_tensor_value_info("y", TensorProto.INT32, None)])
    r, _ = convert(cli, model, tmp_path, "bad_ci")
    assert r.returncode != 0 and "'ci3d'" in r.stderr and "3-D" in r.stderr, r.stderr
