"""Operands given as graph inputs instead of constants, end to end against onnxruntime (rtol 1e-4).

Step 1 (weights fed at run time, fixed shape, packed into plan scratch on every run): Conv W/B,
LSTM / GRU / RNN W, R, B (and LSTM P). Every case runs several times on the SAME Model with
different weights (and input shapes), so a stale pack would show. Refusals: a run-time weight of
unknown shape is refused at conversion, a wrongly shaped one when the model is run."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import compare, ort_run, run_cli
from models import F32, I32, rnd, vi


def raw_model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "m", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def run_all(model, name, feeds_list, convert, dlrt_mod, rtol=1e-4, atol=1e-5):
    path = convert(model, name)
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(feeds_list):
            got, want = m.run(feeds), ort_run(model, feeds)
            compare(f"{name} run {i} {({k: v.shape for k, v in feeds.items()})}", got, want, rtol, atol)


def refusal(tmp_path, cli, model, *needles):
    src = tmp_path / "m.onnx"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode != 0, f"conversion should fail: {r.stdout}"
    for n in needles:
        assert n in r.stderr, f"{n!r} not in: {r.stderr}"


# ---- Conv ------------------------------------------------------------------------------------------

CONV_CASES = [
    # name, x dims (after batch), W shape, attributes, bias
    ("2d_pad", [3, 9, 8], [5, 3, 3, 3], dict(pads=[1, 1, 1, 1]), True),
    ("2d_stride_asym", [4, 11, 7], [6, 4, 3, 2], dict(strides=[2, 1], pads=[1, 0, 0, 1]), False),
    ("2d_pointwise", [8, 5, 6], [16, 8, 1, 1], {}, True),
    ("2d_group", [6, 7, 7], [9, 2, 3, 3], dict(group=3, pads=[1, 1, 1, 1]), True),
    ("2d_depthwise", [8, 12, 10], [8, 1, 3, 3], dict(group=8, strides=[2, 2], pads=[1, 1, 1, 1]), True),
    ("2d_dilated", [2, 13, 9], [3, 2, 3, 3], dict(dilations=[2, 2], pads=[2, 1, 2, 1]), False),
    ("2d_same_upper", [2, 9, 8], [3, 2, 3, 3], dict(strides=[2, 2], auto_pad="SAME_UPPER"), True),
    ("1d", [5, 17], [7, 5, 3], dict(pads=[1, 2]), True),
    ("2d_large", [32, 20, 20], [64, 32, 3, 3], dict(pads=[1, 1, 1, 1]), True),
]


@pytest.mark.parametrize("name,xdims,wshape,attrs,bias", CONV_CASES, ids=[c[0] for c in CONV_CASES])
def test_conv_runtime_weights(name, xdims, wshape, attrs, bias, convert, dlrt_mod):
    ins = ["x", "w"] + (["b"] if bias else [])
    inputs = [vi("x", ["n"] + xdims), vi("w", wshape)] + ([vi("b", [wshape[0]])] if bias else [])
    m = raw_model([helper.make_node("Conv", ins, ["y"], name="conv1", **attrs)], inputs, [vi("y", None)])
    feeds = []
    for run, n in enumerate((1, 2, 1)):
        f = {"x": rnd(10 + run, n, *xdims), "w": rnd(20 + run, *wshape, scale=0.3)}
        if bias:
            f["b"] = rnd(30 + run, wshape[0])
        feeds.append(f)
    run_all(m, f"conv_rt_{name}", feeds, convert, dlrt_mod)


def test_conv_runtime_weights_with_relu(convert, dlrt_mod):
    """The fused activation still applies with a run-time W."""
    m = raw_model([helper.make_node("Conv", ["x", "w"], ["c"], name="c1", pads=[1, 1, 1, 1]),
                   helper.make_node("Relu", ["c"], ["y"])],
                  [vi("x", [1, 3, 6, 6]), vi("w", [4, 3, 3, 3])], [vi("y", [1, 4, 6, 6])])
    run_all(m, "conv_rt_relu", [{"x": rnd(1, 1, 3, 6, 6), "w": rnd(2 + k, 4, 3, 3, 3)} for k in range(3)],
            convert, dlrt_mod)


def test_conv_runtime_weights_wrong_shape(convert, dlrt_mod):
    m = raw_model([helper.make_node("Conv", ["x", "w"], ["y"], name="c1")],
                  [vi("x", [1, 3, 6, 6]), vi("w", [4, 3, 3, 3])], [vi("y", [1, 4, 4, 4])])
    with dlrt_mod.Model(convert(m, "conv_rt_bad")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(1, 1, 3, 6, 6), "w": rnd(2, 4, 3, 3, 2)})
        assert "w" in str(e.value)


def test_refuse_conv_symbolic_weights(tmp_path, cli):
    m = raw_model([helper.make_node("Conv", ["x", "w"], ["y"], name="c2", kernel_shape=[3, 3])],
                  [vi("x", [1, 2, 6, 6]), vi("w", ["m", 2, 3, 3])], [vi("y", None)])
    refusal(tmp_path, cli, m, "'c2'", "W", "neither a constant nor of fixed shape")


# ---- LSTM / GRU / RNN ----------------------------------------------------------------------------

def recurrent_model(op, gates, inp, hidden, direction, with_bias, with_p, lbr):
    dirs = 2 if direction == "bidirectional" else 1
    names = ["x", "w", "r", "b" if with_bias else ""]
    inputs = [vi("x", ["seq", "batch", inp]), vi("w", [dirs, gates * hidden, inp]), vi("r", [dirs, gates * hidden, hidden])]
    if with_bias:
        inputs.append(vi("b", [dirs, 2 * gates * hidden]))
    if with_p:
        names += ["", "", "", "p"]
        inputs.append(vi("p", [dirs, 3 * hidden]))
    attrs = dict(hidden_size=hidden, direction=direction)
    if op == "GRU":
        attrs["linear_before_reset"] = lbr
    outs = ["y", "yh"]
    node = helper.make_node(op, names, outs, name="rec", **attrs)
    return raw_model([node], inputs, [vi("y", None), vi("yh", None)]), dirs


RECURRENT_CASES = [
    ("lstm_fwd", "LSTM", 4, 5, 7, "forward", True, False, 0),
    ("lstm_bidir_p", "LSTM", 4, 3, 6, "bidirectional", True, True, 0),
    ("lstm_nobias", "LSTM", 4, 6, 4, "reverse", False, False, 0),
    ("gru_fwd", "GRU", 3, 5, 7, "forward", True, False, 0),
    ("gru_lbr_bidir", "GRU", 3, 4, 5, "bidirectional", True, False, 1),
    ("rnn_fwd", "RNN", 1, 6, 9, "forward", True, False, 0),
    ("rnn_bidir_nobias", "RNN", 1, 3, 4, "bidirectional", False, False, 0),
]


@pytest.mark.parametrize("name,op,gates,inp,hidden,direction,bias,p,lbr", RECURRENT_CASES, ids=[c[0] for c in RECURRENT_CASES])
def test_recurrent_runtime_weights(name, op, gates, inp, hidden, direction, bias, p, lbr, convert, dlrt_mod):
    m, dirs = recurrent_model(op, gates, inp, hidden, direction, bias, p, lbr)
    feeds = []
    for run, (seq, batch) in enumerate([(3, 2), (5, 1), (3, 2)]):
        f = {"x": rnd(50 + run, seq, batch, inp), "w": rnd(60 + run, dirs, gates * hidden, inp, scale=0.5),
             "r": rnd(70 + run, dirs, gates * hidden, hidden, scale=0.5)}
        if bias:
            f["b"] = rnd(80 + run, dirs, 2 * gates * hidden, scale=0.5)
        if p:
            f["p"] = rnd(90 + run, dirs, 3 * hidden, scale=0.5)
        feeds.append(f)
    run_all(m, f"rec_rt_{name}", feeds, convert, dlrt_mod)


def test_lstm_runtime_r_constant_w(convert, dlrt_mod):
    """Mixed: W a constant, R fed at run time (everything is then packed per run)."""
    w = onnx.numpy_helper.from_array(rnd(1, 1, 16, 3, scale=0.5), "w")
    node = helper.make_node("LSTM", ["x", "w", "r"], ["y"], name="rec", hidden_size=4)
    m = raw_model([node], [vi("x", [2, 1, 3]), vi("r", [1, 16, 4])], [vi("y", None)], [w])
    run_all(m, "rec_rt_mixed", [{"x": rnd(2, 2, 1, 3), "r": rnd(3 + k, 1, 16, 4, scale=0.5)} for k in range(2)],
            convert, dlrt_mod)


def test_refuse_recurrent_symbolic_weights(tmp_path, cli):
    node = helper.make_node("GRU", ["x", "w", "r"], ["y"], name="g1", hidden_size=4)
    m = raw_model([node], [vi("x", [2, 1, 3]), vi("w", [1, 12, "i"]), vi("r", [1, 12, 4])], [vi("y", None)])
    refusal(tmp_path, cli, m, "'g1'", "W", "neither a constant nor of fixed shape")


# ---- value inputs: operands read when planning (Reshape shape) -------------------------------------

def reshape_model():
    m = raw_model([helper.make_node("Reshape", ["x", "shape"], ["r"], name="reshape1"),
                   helper.make_node("Relu", ["r"], ["y"])],
                  [vi("x", ["n", 3, 4]), vi("shape", [2], onnx.TensorProto.INT64)], [vi("y", None)])
    return m


def test_reshape_value_input_changes_between_runs(convert, dlrt_mod):
    """The same Model re-plans when the shape VALUES change (and reuses the plan when they do not)."""
    m = reshape_model()
    feeds = []
    for n, shape in [(2, [4, 6]), (2, [6, -1]), (2, [4, 6]), (1, [0, -1]), (2, [24, 1]), (2, [-1, 12]), (3, [3, 12])]:
        feeds.append({"x": rnd(n, n, 3, 4), "shape": np.array(shape, np.int64)})
    run_all(m, "reshape_value_input", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("shape,needle", [([5, 5], "cannot reshape"), ([-1, -1], "at most one"),
                                          ([-3, 8], "≥ -1"), ([2**62, 4], "overflows"), ([7, -1], "does not divide")])
def test_reshape_value_input_hostile(shape, needle, convert, dlrt_mod):
    m = reshape_model()
    with dlrt_mod.Model(convert(m, "reshape_value_input")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(1, 2, 3, 4), "shape": np.array(shape, np.int64)})
        assert "reshape1" in str(e.value) and needle in str(e.value), str(e.value)
        # A good value afterwards runs normally on the same Model.
        feeds = {"x": rnd(1, 2, 3, 4), "shape": np.array([4, 6], np.int64)}
        compare("after error", model.run(feeds), ort_run(m, feeds), 1e-4, 1e-5)


def test_reshape_constant_shape_unchanged(tmp_path, cli):
    """A constant shape still converts exactly as before (no value input)."""
    s = onnx.numpy_helper.from_array(np.array([4, 6], np.int64), "s")
    m = raw_model([helper.make_node("Reshape", ["x", "s"], ["y"], name="r1")], [vi("x", [2, 3, 4])], [vi("y", [4, 6])], [s])
    src = tmp_path / "m.onnx"
    onnx.save(m, str(src))
    assert run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt").returncode == 0


def test_refuse_reshape_computed_shape(tmp_path, cli):
    m = raw_model([helper.make_node("Add", ["s", "s"], ["s2"]),
                   helper.make_node("Reshape", ["x", "s2"], ["y"], name="r2")],
                  [vi("x", [2, 3, 4]), vi("s", [2], onnx.TensorProto.INT64)], [vi("y", None)])
    refusal(tmp_path, cli, m, "'r2'", "shape", "graph input")


def test_refuse_reshape_large_shape_input(tmp_path, cli):
    m = raw_model([helper.make_node("Reshape", ["x", "s"], ["y"], name="r3")],
                  [vi("x", [2, 3, 4]), vi("s", ["k"], onnx.TensorProto.INT64)], [vi("y", None)])
    refusal(tmp_path, cli, m, "'r3'", "shape")


# ---- value inputs: Reduce* axes ---------------------------------------------------------------------

def reduce_model(op, keepdims, k=2):
    return raw_model([helper.make_node(op, ["x", "axes"], ["y"], name="red1", keepdims=keepdims)],
                     [vi("x", ["n", 3, 4, 5]), vi("axes", [k], onnx.TensorProto.INT64)], [vi("y", None)], opset=18)


@pytest.mark.parametrize("op", ["ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceL2", "ReduceProd"])
@pytest.mark.parametrize("keepdims", [0, 1])
def test_reduce_axes_value_input(op, keepdims, convert, dlrt_mod):
    m = reduce_model(op, keepdims)
    feeds = [{"x": rnd(i, n, 3, 4, 5), "axes": np.array(a, np.int64)}
             for i, (n, a) in enumerate([(2, [1, 2]), (2, [0, 3]), (2, [-1, 1]), (1, [1, 2]), (3, [3, 0])])]
    run_all(m, f"reduce_axes_{op}_{keepdims}", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("axes,needle", [([4, 0], "axes"), ([1, 1], "twice"), ([-5, 0], "axes")])
def test_reduce_axes_value_input_hostile(axes, needle, convert, dlrt_mod):
    m = reduce_model("ReduceSum", 1)
    with dlrt_mod.Model(convert(m, "reduce_axes_hostile")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(1, 2, 3, 4, 5), "axes": np.array(axes, np.int64)})
        assert "red1" in str(e.value) and needle in str(e.value), str(e.value)
        feeds = {"x": rnd(1, 2, 3, 4, 5), "axes": np.array([0, 2], np.int64)}
        compare("after error", model.run(feeds), ort_run(m, feeds), 1e-4, 1e-5)


def test_reduce_constant_axes_unchanged(tmp_path, cli):
    """Constant axes still become the attribute (the dlrt node has one input)."""
    a = onnx.numpy_helper.from_array(np.array([1], np.int64), "a")
    m = raw_model([helper.make_node("ReduceSum", ["x", "a"], ["y"], name="r1")], [vi("x", [2, 3])], [vi("y", [2, 1])], [a], opset=18)
    src = tmp_path / "m.onnx"
    onnx.save(m, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode == 0 and "parameters: 0" in r.stdout, r.stdout + r.stderr


# ---- value inputs: TopK K ---------------------------------------------------------------------------

def topk_model(largest=1):
    return raw_model([helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk1", axis=1, largest=largest)],
                     [vi("x", ["n", 10]), vi("k", [1], onnx.TensorProto.INT64)], [vi("v", None), vi("i", None, onnx.TensorProto.INT64)],
                     opset=11)


@pytest.mark.parametrize("largest", [1, 0])
def test_topk_k_value_input(largest, convert, dlrt_mod):
    m = topk_model(largest)
    feeds = [{"x": rnd(i, n, 10), "k": np.array([k], np.int64)} for i, (n, k) in enumerate([(2, 3), (2, 7), (1, 3), (3, 10), (2, 0), (2, 1)])]
    run_all(m, f"topk_k_{largest}", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("k,needle", [(11, "larger than"), (-1, "expected 0"), (2**40, "expected 0")])
def test_topk_k_value_input_hostile(k, needle, convert, dlrt_mod):
    m = topk_model()
    with dlrt_mod.Model(convert(m, "topk_k_hostile")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(1, 2, 10), "k": np.array([k], np.int64)})
        assert "topk1" in str(e.value) and needle in str(e.value), str(e.value)
        feeds = {"x": rnd(1, 2, 10), "k": np.array([4], np.int64)}
        compare("after error", model.run(feeds), ort_run(m, feeds), 1e-4, 1e-5)


# ---- value inputs: Trilu k --------------------------------------------------------------------------

@pytest.mark.parametrize("upper", [1, 0])
def test_trilu_k_value_input(upper, convert, dlrt_mod):
    m = raw_model([helper.make_node("Trilu", ["x", "k"], ["y"], name="tri1", upper=upper)],
                  [vi("x", ["n", 4, 6]), vi("k", [], onnx.TensorProto.INT64)], [vi("y", None)], opset=14)
    feeds = [{"x": rnd(i, n, 4, 6), "k": np.array(k, np.int64)}
             for i, (n, k) in enumerate([(2, 0), (2, 2), (1, -3), (2, 0), (3, 100), (2, -(2**62))])]
    run_all(m, f"trilu_k_{upper}", feeds, convert, dlrt_mod)


# ---- value inputs: Unsqueeze / Squeeze axes -------------------------------------------------------

def test_unsqueeze_axes_value_input(convert, dlrt_mod):
    m = raw_model([helper.make_node("Unsqueeze", ["x", "axes"], ["u"], name="unsq1"), helper.make_node("Relu", ["u"], ["y"])],
                  [vi("x", ["n", 3, 4]), vi("axes", [2], onnx.TensorProto.INT64)], [vi("y", None)], opset=13)
    feeds = [{"x": rnd(i, n, 3, 4), "axes": np.array(a, np.int64)}
             for i, (n, a) in enumerate([(2, [0, 1]), (2, [-1, 0]), (1, [1, 3]), (2, [0, 1]), (3, [4, 2])])]
    run_all(m, "unsqueeze_axes", feeds, convert, dlrt_mod)


def test_squeeze_axes_value_input(convert, dlrt_mod):
    m = raw_model([helper.make_node("Squeeze", ["x", "axes"], ["s"], name="sq1"), helper.make_node("Relu", ["s"], ["y"])],
                  [vi("x", ["n", 1, 4, 1]), vi("axes", [1], onnx.TensorProto.INT64)], [vi("y", None)], opset=13)
    feeds = [{"x": rnd(i, n, 1, 4, 1), "axes": np.array(a, np.int64)}
             for i, (n, a) in enumerate([(2, [1]), (2, [3]), (1, [-1]), (1, [0]), (2, [1])])]
    run_all(m, "squeeze_axes", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("op,axes,needle", [("Unsqueeze", [0, 0], "twice"), ("Unsqueeze", [9, 0], "axes"),
                                            ("Squeeze", [2], "expected 1"), ("Squeeze", [7], "axes")])
def test_unsqueeze_squeeze_hostile(op, axes, needle, convert, dlrt_mod):
    shape = ["n", 1, 4, 1] if op == "Squeeze" else ["n", 3, 4]
    m = raw_model([helper.make_node(op, ["x", "axes"], ["y"], name="ax1")],
                  [vi("x", shape), vi("axes", [len(axes)], onnx.TensorProto.INT64)], [vi("y", None)], opset=13)
    dims = [2] + [d for d in shape[1:]]
    with dlrt_mod.Model(convert(m, f"hostile_{op}_{len(axes)}")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(1, *dims), "axes": np.array(axes, np.int64)})
        assert "ax1" in str(e.value) and needle in str(e.value), str(e.value)


# ---- Resize: roi / scales / sizes fed at run time ------------------------------------------------------

def resize_model(operand, mode="linear", coord="half_pixel", count=4, extra=None):
    """Resize whose `operand` (scales or sizes; roi too for tf_crop_and_resize) is a graph input."""
    empty = onnx.numpy_helper.from_array(np.zeros(0, np.float32), "empty")
    ins = {"roi": "roi" if coord == "tf_crop_and_resize" else "empty", "scales": "empty", "sizes": ""}
    ins[operand] = operand
    attrs = dict(mode=mode, coordinate_transformation_mode=coord, **(extra or {}))
    node = helper.make_node("Resize", ["x", ins["roi"], ins["scales"], ins["sizes"]], ["y"], name="resize1", **attrs)
    inputs = [vi("x", ["n", 3, "h", "w"])]
    if operand == "sizes":
        inputs.append(vi("sizes", [count], onnx.TensorProto.INT64))
    else:
        inputs.append(vi("scales", [count]))
    if coord == "tf_crop_and_resize":
        inputs.append(vi("roi", [2 * count]))
    return raw_model([node], inputs, [vi("y", None)], [empty], opset=19)


@pytest.mark.parametrize("mode", ["nearest", "linear", "cubic"])
def test_resize_scales_value_input(mode, convert, dlrt_mod):
    """One Model, scales changing between runs: a new output size each time, as onnxruntime."""
    feeds = [{"x": rnd(1, 1, 3, 5, 7), "scales": np.array(s, np.float32)}
             for s in ([1, 1, 2, 2], [1, 1, 0.5, 1.5], [1, 1, 2, 2], [1, 1, 3, 0.6])]
    run_all(resize_model("scales", mode), f"resize_scales_{mode}", feeds, convert, dlrt_mod)


def test_resize_sizes_value_input(convert, dlrt_mod):
    feeds = [{"x": rnd(2, 2, 3, 6, 4), "sizes": np.array(s, np.int64)} for s in ([2, 3, 12, 8], [2, 3, 3, 5], [2, 3, 12, 8])]
    run_all(resize_model("sizes", "linear"), "resize_sizes", feeds, convert, dlrt_mod)


def test_resize_tf_crop_and_resize_value_inputs(convert, dlrt_mod):
    m = resize_model("scales", "linear", "tf_crop_and_resize", extra=dict(extrapolation_value=10.0))
    feeds = [{"x": rnd(3, 1, 3, 6, 6), "scales": np.array([1, 1, 0.8, 1.2], np.float32),
              "roi": np.array(r, np.float32)} for r in ([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.3], [0, 0, 0, 0, 1, 1, 1, 1])]
    run_all(m, "resize_crop", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("scales,needle", [([1, 1, -2, 2], "positive"), ([1, 1, 2], "4 values"), ([1, 1, float("nan"), 2], "positive")])
def test_resize_scales_value_input_hostile(scales, needle, convert, dlrt_mod):
    m = resize_model("scales", "linear", count=len(scales)) if len(scales) == 4 else resize_model("scales", "linear", count=3)
    with dlrt_mod.Model(convert(m, f"resize_hostile_{len(scales)}")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(4, 1, 3, 4, 4), "scales": np.array(scales, np.float32)})
        assert "resize1" in str(e.value) and needle in str(e.value), str(e.value)


def test_refuse_resize_computed_scales(tmp_path, cli):
    m = raw_model([helper.make_node("Relu", ["s"], ["s2"]),
                   helper.make_node("Resize", ["x", "", "s2"], ["y"], mode="nearest")],
                  [vi("x", [1, 1, 2, 2]), vi("s", [4])], [vi("y", None)], opset=19)
    refusal(tmp_path, cli, m, "computed in the graph")


# ---- Clip: bounds fed at run time or computed in the graph ---------------------------------------------

def test_clip_runtime_bounds(convert, dlrt_mod):
    """min from a graph input, max computed in the graph (half the row max): read on every run."""
    half = onnx.numpy_helper.from_array(np.array(0.5, np.float32), "half")
    m = raw_model([helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1]),
                   helper.make_node("ReduceMax", ["c"], ["top"], keepdims=0),
                   helper.make_node("Mul", ["top", "half"], ["hi"]),
                   helper.make_node("Clip", ["c", "lo", "hi"], ["y"], name="clip1")],
                  [vi("x", [1, 3, 6, 6]), vi("lo", [])], [vi("y", None)],
                  [half, onnx.numpy_helper.from_array(rnd(5, 4, 3, 3, 3), "w")], opset=13)
    feeds = [{"x": rnd(s, 1, 3, 6, 6), "lo": np.array(lo, np.float32)} for s, lo in ((1, -0.5), (2, 0.0), (3, -3.0), (4, 9.0))]
    run_all(m, "clip_runtime", feeds, convert, dlrt_mod)


def test_clip_runtime_max_only(convert, dlrt_mod):
    m = raw_model([helper.make_node("Clip", ["x", "", "hi"], ["y"])], [vi("x", ["n", 7]), vi("hi", [1])], [vi("y", None)], opset=13)
    feeds = [{"x": rnd(n, n, 7), "hi": np.array([h], np.float32)} for n, h in ((1, 0.1), (5, -1.0), (3, 2.0))]
    run_all(m, "clip_max_only", feeds, convert, dlrt_mod)


def test_refuse_clip_bound_of_two_elements(tmp_path, cli):
    m = raw_model([helper.make_node("Clip", ["x", "lo"], ["y"], name="c2")], [vi("x", [2, 3]), vi("lo", [2])], [vi("y", None)], opset=13)
    refusal(tmp_path, cli, m, "'c2'", "one element")


# ---- Slice: starts / ends / axes / steps fed at run time ---------------------------------------------

def slice_model(with_axes=True, with_steps=True):
    names = ["x", "starts", "ends"] + (["axes"] if with_axes else [""]) + (["steps"] if with_steps else [])
    ins = [vi("x", ["n", 6, 9]), vi("starts", [2], onnx.TensorProto.INT64), vi("ends", [2], onnx.TensorProto.INT64)]
    ins += [vi("axes", [2], onnx.TensorProto.INT64)] if with_axes else []
    ins += [vi("steps", [2], onnx.TensorProto.INT64)] if with_steps else []
    return raw_model([helper.make_node("Slice", names, ["s"], name="slice1"), helper.make_node("Relu", ["s"], ["y"])],
                     ins, [vi("y", None)])


def test_slice_value_inputs_change_between_runs(convert, dlrt_mod):
    I = lambda v: np.array(v, np.int64)  # noqa: E731
    feeds = [{"x": rnd(i, 2, 6, 9), "starts": I(s), "ends": I(e), "axes": I(a), "steps": I(st)}
             for i, (s, e, a, st) in enumerate([([0, 1], [4, 8], [1, 2], [1, 2]), ([5, -1], [-7, 0], [1, 2], [-1, -3]),
                                                ([1, 0], [100, 9], [-1, 1], [3, 1]), ([0, 1], [4, 8], [1, 2], [1, 2])])]
    run_all(slice_model(), "slice_values", feeds, convert, dlrt_mod)


def test_slice_value_inputs_default_axes_steps(convert, dlrt_mod):
    I = lambda v: np.array(v, np.int64)  # noqa: E731
    feeds = [{"x": rnd(7, n, 6, 9), "starts": I(s), "ends": I(e)} for n, s, e in ((1, [0, 2], [1, 5]), (3, [-2, 0], [3, 6]))]
    run_all(slice_model(False, False), "slice_values_defaults", feeds, convert, dlrt_mod)


def test_slice_value_input_hostile(convert, dlrt_mod):
    I = lambda v: np.array(v, np.int64)  # noqa: E731
    m = slice_model()
    with dlrt_mod.Model(convert(m, "slice_values")) as model:
        for axes, steps, needle in (([1, 2], [0, 1], "has a 0"), ([1, 1], [1, 1], "twice"), ([1, 7], [1, 1], "axes")):
            with pytest.raises(Exception) as e:
                model.run({"x": rnd(8, 1, 6, 9), "starts": I([0, 0]), "ends": I([2, 2]), "axes": I(axes), "steps": I(steps)})
            assert "slice1" in str(e.value) and needle in str(e.value), str(e.value)


# ---- Split: split sizes fed at run time -----------------------------------------------------------------

def split_model():
    return raw_model([helper.make_node("Split", ["x", "split"], ["a", "b", "c"], name="split1", axis=1)],
                     [vi("x", ["n", 10]), vi("split", [3], onnx.TensorProto.INT64)], [vi("a", None), vi("b", None), vi("c", None)])


def test_split_value_input(convert, dlrt_mod):
    feeds = [{"x": rnd(n, 2, 10), "split": np.array(s, np.int64)} for n, s in ((1, [2, 3, 5]), (2, [10, 0, 0]), (3, [1, 8, 1]))]
    run_all(split_model(), "split_values", feeds, convert, dlrt_mod)


@pytest.mark.parametrize("split,needle", [([2, 3, 4], "sums to 9"), ([5, -1, 6], "sizes ≥ 0")])
def test_split_value_input_hostile(split, needle, convert, dlrt_mod):
    with dlrt_mod.Model(convert(split_model(), "split_values")) as model:
        with pytest.raises(Exception) as e:
            model.run({"x": rnd(9, 1, 10), "split": np.array(split, np.int64)})
        assert "split1" in str(e.value) and needle in str(e.value), str(e.value)


# ---- Pad: pads / axes fed at run time (value inputs), constant_value read at every run -----------------

@pytest.mark.parametrize("mode", ["constant", "reflect", "edge", "wrap"])
def test_pad_value_inputs(mode, convert, dlrt_mod):
    I = lambda v: np.array(v, np.int64)  # noqa: E731
    m = raw_model([helper.make_node("Pad", ["x", "pads", "cv", "axes"], ["y"], name="pad1", mode=mode)],
                  [vi("x", ["n", 5, 6]), vi("pads", [4], onnx.TensorProto.INT64), vi("cv", []), vi("axes", [2], onnx.TensorProto.INT64)],
                  [vi("y", None)], opset=19)
    feeds = [{"x": rnd(i, 2, 5, 6), "pads": I(p), "cv": np.array(c, np.float32), "axes": I(a)}
             for i, (p, a, c) in enumerate([([1, 2, 3, 1], [1, 2], 0.5), ([0, -1, 2, 2], [-1, 1], -7.0), ([1, 2, 3, 1], [1, 2], 3.0)])]
    run_all(m, f"pad_values_{mode}", feeds, convert, dlrt_mod)


def test_pad_value_input_hostile(convert, dlrt_mod):
    m = raw_model([helper.make_node("Pad", ["x", "pads"], ["y"], name="pad1")],
                  [vi("x", [2, 3]), vi("pads", [4], onnx.TensorProto.INT64)], [vi("y", None)], opset=19)
    with dlrt_mod.Model(convert(m, "pad_hostile")) as model:
        for pads, needle in (([0, -5, 0, 0], "below 0"), ([2**40, 0, 0, 0], "2^30")):
            with pytest.raises(Exception) as e:
                model.run({"x": rnd(1, 2, 3), "pads": np.array(pads, np.int64)})
            assert "pad1" in str(e.value) and needle in str(e.value), str(e.value)
