"""Policies and small heads (dlrt op codes 60–79): Softplus, HardSigmoid, HardSwish, PRelu, Selu,
Mish, Gelu, Softsign, Floor, Ceil, Round, Sign, LogSoftmax, Min/Max/Mean/Sum, ArgMax/ArgMin, TopK.

* a policy / multi-head network (MLP trunk with PRelu / HardSwish / Mish / Selu, a LogSoftmax
  action head, ArgMax, TopK over the logits, a value head combining branches with
  Min / Max / Mean / Sum), several graph outputs and a symbolic batch, converted ONCE and run at
  batch 1, 3 and 17 against onnxruntime (rtol 1e-4; integer outputs exact);
* one small graph per op across opsets and attribute values, edge values included;
* convert-time refusals (bad axis, K too big, unsupported dtype) whose message names the node
  and the problem.
"""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from conftest import compare, ort_run, run_cli
from models import F32, I32, I64, GraphBuilder, finish, rnd, vi

RTOL, ATOL = 1e-4, 1e-5
EDGES = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e30, -1e30, 0.5, -0.5, 1.5, 2.5, -2.5, 1e-40, 88.0, -88.0, 20.5],
                 np.float32)


def run_both(convert, dlrt_mod, model, name, feeds_list, rtol=RTOL, atol=ATOL):
    path = convert(model, name)
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(feeds_list):
            got, want = m.run(feeds), ort_run(model, feeds)
            for k, w in want.items():
                if w.dtype.kind in "iu":
                    assert got[k].dtype == w.dtype and got[k].shape == w.shape, f"{name} run {i} {k}: {got[k].dtype}{got[k].shape} vs {w.dtype}{w.shape}"
                    assert np.array_equal(got[k], w), f"{name} run {i} {k}: {got[k]} != onnxruntime {w}"
            compare(f"{name} run {i}", {k: v for k, v in got.items() if v.dtype.kind == "f"},
                    {k: v for k, v in want.items() if v.dtype.kind == "f"}, rtol, atol)


# ---------------------------------------------------------------------------------------------
# the family test: a policy network with several heads


def policy_net(opset: int = 18) -> onnx.ModelProto:
    b = GraphBuilder(60)
    OBS, H, ACT = 24, 48, 7
    h = b.gemm("obs", OBS, H)
    h = b.node("PRelu", [h, b.const((0.05 + 0.2 * b.rng.random(H)).astype(np.float32))])
    h = b.node("HardSwish", [b.gemm(h, H, H)])
    h = b.node("Mish", [b.gemm(h, H, H)])
    h = b.node("Selu", [b.gemm(h, H, H)])
    # action head
    logits = b.gemm(h, H, ACT, name=None)
    b.node("LogSoftmax", [logits], axis=-1, name="log_probs")
    b.node("ArgMax", [logits], axis=1, keepdims=0, name="action")
    b.node("TopK", [logits, b.const(np.array([3], np.int64))], n_out=2, axis=-1, name="top")
    # value head: twin critics and an ensemble combined with the n-ary ops
    q1, q2 = b.gemm(h, H, 1), b.gemm(h, H, 1)
    ens = b.gemm(h, H, 4)                                            # [batch, 4]
    lo = b.node("Min", [q1, q2])
    hi = b.node("Max", [q1, q2, b.const(np.array([-0.5], np.float32))])
    mean = b.node("Mean", [ens, lo, hi])                             # [batch, 4] from [batch,4], [batch,1]
    b.node("Sum", [mean, b.node("Softplus", [ens]), b.const(np.float32(0.25))], name="value")
    # a continuous head: Gelu (tanh form) and squashing
    mu = b.node("Gelu", [b.gemm(h, H, 3)], approximate="tanh")
    b.node("HardSigmoid", [b.node("Softsign", [mu])], alpha=0.3, beta=0.4, name="mu")
    outputs = [vi("log_probs_output_0", ["batch", ACT]), vi("action_output_0", ["batch"], I64),
               vi("top_output_0", ["batch", 3]), vi("top_output_1", ["batch", 3], I64),
               vi("value_output_0", ["batch", 4]), vi("mu_output_0", ["batch", 3])]
    return b.build("policy", [vi("obs", ["batch", OBS])], outputs, opset=opset)


def test_policy_network_matches_onnxruntime(convert, dlrt_mod):
    model = policy_net(20)
    feeds = [{"obs": rnd(70 + n, n, 24, scale=2.0)} for n in (1, 3, 17)]
    run_both(convert, dlrt_mod, model, "policy_net", feeds)


def test_policy_network_opset13_decomposed_heads(convert, dlrt_mod):
    """Opset 13 (no Gelu / HardSwish / Mish ops): what PyTorch exports there for those layers."""
    b = GraphBuilder(61)
    h = b.gemm("obs", 24, 32)
    h = b.node("Mul", [h, b.node("HardSigmoid", [h], alpha=1 / 6, beta=0.5)])         # nn.Hardswish
    h = b.gemm(h, 32, 32)
    h = b.node("Mul", [h, b.node("Tanh", [b.node("Softplus", [h])])])                   # nn.Mish
    h = b.gemm(h, 32, 32)
    c = b.const(np.float32(0.044715))
    inner = b.node("Mul", [b.node("Add", [h, b.node("Mul", [c, b.node("Pow", [h, b.const(np.float32(3.0))])])]),
                           b.const(np.float32(np.sqrt(2 / np.pi)))])
    h = b.node("Mul", [b.node("Mul", [h, b.const(np.float32(0.5))]),
                       b.node("Add", [b.node("Tanh", [inner]), b.const(np.float32(1.0))])])   # GELU(approximate='tanh')
    logits = b.gemm(h, 32, 5)
    b.node("LogSoftmax", [logits], axis=1, name="lp")
    b.node("ArgMax", [logits], axis=-1, keepdims=1, name="a")
    model = b.build("policy13", [vi("obs", ["batch", 24])],
                    [vi("lp_output_0", ["batch", 5]), vi("a_output_0", ["batch", 1], I64)], opset=13)
    run_both(convert, dlrt_mod, model, "policy13", [{"obs": rnd(80 + n, n, 24)} for n in (1, 3, 17)])


# ---------------------------------------------------------------------------------------------
# per-op graphs


def single(op, inputs, outputs, opset, attrs=None, inits=()):
    node = helper.make_node(op, [i[0] for i in inputs] + [n for n, _ in inits], [o[0] for o in outputs],
                            name=f"the_{op.lower()}", **(attrs or {}))
    graph = helper.make_graph([node], op, [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              initializer=[onnx.numpy_helper.from_array(v, n) for n, v in inits])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="dlrt-tests")
    m.ir_version = 8 if opset <= 18 else 9
    return finish(m)


UNARY = [
    ("Softplus", {}, (6, 13)), ("HardSigmoid", {}, (6, 13)), ("HardSigmoid", {"alpha": 0.5, "beta": 0.1}, (6,)),
    ("HardSwish", {}, (14, 20)), ("Selu", {}, (6, 13)), ("Selu", {"alpha": 2.0, "gamma": 0.5}, (13,)),
    ("Mish", {}, (18,)), ("Gelu", {}, (20,)), ("Gelu", {"approximate": "tanh"}, (20,)),
    ("Softsign", {}, (6, 13)), ("Floor", {}, (6, 13)), ("Ceil", {}, (6, 13)), ("Round", {}, (11,)), ("Sign", {}, (9, 13)),
]
UNARY_CASES = [(op, attrs, opset) for op, attrs, opsets in UNARY for opset in opsets]


@pytest.mark.parametrize("op,attrs,opset", UNARY_CASES,
                         ids=[f"{o}-{'-'.join(f'{k}{v}' for k, v in a.items())}-opset{s}" for o, a, s in UNARY_CASES])
def test_unary(op, attrs, opset, convert, dlrt_mod):
    model = single(op, [("x", ["n", 5, 7])], [("y", ["n", 5, 7])], opset, attrs)
    x = rnd(1, 3, 5, 7, scale=4.0)
    x.reshape(-1)[:EDGES.size] = EDGES
    x2 = (np.arange(35, dtype=np.float32).reshape(1, 5, 7) - 17) / 2      # exact halves for Round
    run_both(convert, dlrt_mod, model, f"{op}{attrs}{opset}", [{"x": x}, {"x": x2}])


@pytest.mark.parametrize("xs,ss", [([2, 6, 5, 3], [6, 1, 1]), ([4, 9], [9]), ([4, 9], [1]), ([3, 2, 17], [2, 17]),
                                   ([2, 3, 4], [3, 4])], ids=str)
def test_prelu(xs, ss, convert, dlrt_mod):
    slope = (np.random.default_rng(5).random(ss) * 0.5).astype(np.float32) - 0.1
    model = single("PRelu", [("x", xs)], [("y", xs)], 16, inits=[("slope", slope)])
    x = rnd(2, *xs)
    x.reshape(-1)[:10] = EDGES[:10]
    run_both(convert, dlrt_mod, model, f"prelu{xs}{ss}", [{"x": x}])


@pytest.mark.parametrize("opset,axis,shape", [(13, -1, [3, 10]), (13, 1, [2, 5, 3]), (13, 0, [4, 3]),
                                              (11, 1, [2, 3, 4]), (11, None, [2, 3, 4]), (11, 2, [2, 3, 20]),
                                              (13, -1, [2, 3, 67])], ids=str)
def test_logsoftmax(opset, axis, shape, convert, dlrt_mod):
    attrs = {} if axis is None else {"axis": axis}
    model = single("LogSoftmax", [("x", shape)], [("y", shape)], opset, attrs)
    x = rnd(3, *shape, scale=5.0)
    run_both(convert, dlrt_mod, model, f"logsoftmax{opset}{axis}{shape}", [{"x": x}])


NARY = [
    ("Max", [[3, 4]], F32), ("Max", [[3, 4], [4], [1, 1]], F32), ("Min", [[2, 3, 4], [3, 1], [2, 1, 4]], F32),
    ("Mean", [[5, 6], [5, 6], [6], [5, 1]], F32), ("Sum", [[2, 17], [2, 17]], F32), ("Sum", [[1], [3, 2]], F32),
    ("Mean", [[4]], F32), ("Max", [[3, 5], [5]], I32), ("Min", [[3, 5], [3, 1]], I64), ("Max", [[3, 5], [5]], TensorProto.INT8),
    ("Min", [[3, 5], [1, 5], [3, 1]], TensorProto.UINT8), ("Max", [[4], [2, 4], [3, 1, 1]], I64),
]


@pytest.mark.parametrize("op,shapes,dtype", NARY, ids=[f"{o}-{s}-{d}" for o, s, d in NARY])
def test_nary(op, shapes, dtype, convert, dlrt_mod):
    np_t = {F32: np.float32, I32: np.int32, I64: np.int64, TensorProto.INT8: np.int8, TensorProto.UINT8: np.uint8}[dtype]
    out = list(np.broadcast_shapes(*map(tuple, shapes)))
    ins = [(f"x{k}", s, dtype) for k, s in enumerate(shapes)]
    model = single(op, ins, [("y", out, dtype)], 13)
    rng = np.random.default_rng(9)
    feeds = {}
    for k, s in enumerate(shapes):
        feeds[f"x{k}"] = (rng.standard_normal(s) * 3).astype(np_t) if dtype == F32 else rng.integers(0 if np_t == np.uint8 else -50, 50, s).astype(np_t)
    if dtype == F32 and op in ("Max", "Min"):
        feeds["x0"].reshape(-1)[0] = np.nan                       # NaN propagates like onnxruntime
    run_both(convert, dlrt_mod, model, f"nary{op}{shapes}{dtype}", [feeds])


ARG = [("ArgMax", 0, 1, 0, F32), ("ArgMax", 1, 0, 0, F32), ("ArgMin", -1, 1, 0, F32), ("ArgMax", 2, 0, 1, F32),
       ("ArgMin", 1, 1, 1, I32), ("ArgMax", -2, 0, 0, I64), ("ArgMin", 0, 0, 1, I64)]


@pytest.mark.parametrize("op,axis,keep,last,dtype", ARG, ids=[str(a) for a in ARG])
def test_argmax_argmin(op, axis, keep, last, dtype, convert, dlrt_mod):
    shape = [3, 6, 5]
    a = axis % 3
    out = [d for k, d in enumerate(shape) if k != a or keep]
    if keep:
        out[a] = 1
    model = single(op, [("x", shape, dtype)], [("y", out, I64)], 13, {"axis": axis, "keepdims": keep, "select_last_index": last})
    rng = np.random.default_rng(11)
    np_t = {F32: np.float32, I32: np.int32, I64: np.int64}[dtype]
    x = rng.integers(-3, 4, shape).astype(np_t)                   # many ties
    run_both(convert, dlrt_mod, model, f"{op}{axis}{keep}{last}{dtype}", [{"x": x}])


@pytest.mark.parametrize("opset", [6, 11, 12])
def test_argmax_older_opsets(opset, convert, dlrt_mod):
    attrs = {"axis": 1, "keepdims": 0}
    if opset >= 12:
        attrs["select_last_index"] = 1
    model = single("ArgMax", [("x", [4, 7])], [("y", [4], I64)], opset, attrs)
    x = np.random.default_rng(opset).integers(-2, 3, (4, 7)).astype(np.float32)
    run_both(convert, dlrt_mod, model, f"argmax_opset{opset}", [{"x": x}])


TOPK = [(10, -1, 3, 1, [4, 9], F32), (10, 0, 2, 0, [5, 3], F32), (11, 1, 4, 1, [2, 6, 3], F32), (11, 1, 6, 0, [2, 6, 3], F32),
        (11, -1, 1, 1, [3, 67], F32), (9, -1, 2, 1, [3, 5], F32), (11, 2, 3, 1, [2, 2, 8], I64), (11, -1, 0, 1, [3, 4], F32),
        (11, 1, 2, 0, [3, 5], I32)]


@pytest.mark.parametrize("opset,axis,k,largest,shape,dtype", TOPK, ids=[str(t) for t in TOPK])
def test_topk(opset, axis, k, largest, shape, dtype, convert, dlrt_mod):
    out = list(shape)
    out[axis % len(shape)] = k
    attrs = {"axis": axis}
    inits = []
    if opset < 10:
        attrs["k"] = k
    else:
        inits = [("K", np.array([k], np.int64))]
    if opset >= 11:
        attrs["largest"] = largest
    model = single("TopK", [("x", shape, dtype)], [("v", out, dtype), ("i", out, I64)], opset, attrs, inits)
    rng = np.random.default_rng(12)
    np_t = {F32: np.float32, I32: np.int32, I64: np.int64}[dtype]
    x = rng.integers(-4, 5, shape).astype(np_t)                   # ties: lower index first
    feeds = [{"x": x}]
    if dtype == F32:
        feeds.append({"x": rnd(13, *shape)})
    run_both(convert, dlrt_mod, model, f"topk{opset}{axis}{k}{largest}{shape}{dtype}", feeds)


def test_topk_values_only_symbolic_batch(convert, dlrt_mod):
    """Only Values is used: the converter drops Indices; K from a Constant node; batch symbolic."""
    b = GraphBuilder(3)
    k = b.node("Constant", [], value=helper.make_tensor("k", TensorProto.INT64, [1], [4]))
    v, _ = b.node("TopK", ["x", k], n_out=2, axis=1, name="tk")
    b.node("Identity", [v], name="out")
    model = b.build("topk_values", [vi("x", ["batch", 10])], [vi("out_output_0", ["batch", 4])], opset=13)
    run_both(convert, dlrt_mod, model, "topk_values", [{"x": rnd(4, n, 10)} for n in (1, 5)])


def test_topk_k_from_shape(convert, dlrt_mod):
    """K = x.shape[1] // 2 computed in the graph (Shape → Gather → Div): known at conversion."""
    b = GraphBuilder(4)
    dim = b.node("Gather", [b.node("Shape", ["x"]), b.const(np.array([1], np.int64))], axis=0)
    k = b.node("Div", [dim, b.const(np.array([2], np.int64))])
    b.node("TopK", ["x", k], n_out=2, axis=-1, largest=0, name="tk")
    model = b.build("topk_shape_k", [vi("x", ["batch", 12])], [vi("tk_output_0", ["batch", 6]), vi("tk_output_1", ["batch", 6], I64)],
                    opset=13)
    run_both(convert, dlrt_mod, model, "topk_shape_k", [{"x": rnd(6, n, 12)} for n in (1, 3)])


# ---------------------------------------------------------------------------------------------
# convert-time refusals


def refused(cli, tmp_path, model, *needles):
    src, dst = tmp_path / "m.onnx", tmp_path / "m.dlrt"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", dst)
    text = r.stdout + r.stderr
    assert r.returncode != 0, f"convert succeeded, expected a refusal:\n{text}"
    for n in needles:
        assert n in text, f"message must mention {n!r}:\n{text}"
    assert not dst.exists()


def unchecked(op, inputs, outputs, opset, attrs=None, inits=()):
    node = helper.make_node(op, [i[0] for i in inputs] + [n for n, _ in inits], [o[0] for o in outputs],
                            name=f"bad_{op.lower()}", **(attrs or {}))
    graph = helper.make_graph([node], op, [vi(*i) for i in inputs], [vi(*o) for o in outputs],
                              initializer=[onnx.numpy_helper.from_array(v, n) for n, v in inits])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def test_refuse_bad_axis(cli, tmp_path):
    refused(cli, tmp_path, unchecked("ArgMax", [("x", [2, 3])], [("y", [2], I64)], 13, {"axis": 2}),
            "bad_argmax", "ArgMax", "axis", "out of range")
    refused(cli, tmp_path, unchecked("LogSoftmax", [("x", [2, 3])], [("y", [2, 3])], 13, {"axis": -3}),
            "bad_logsoftmax", "axis", "out of range")
    refused(cli, tmp_path, unchecked("TopK", [("x", [2, 3])], [("v", [2, 1]), ("i", [2, 1], I64)], 11, {"axis": 5},
                                     [("K", np.array([1], np.int64))]), "bad_topk", "axis", "out of range")


def test_refuse_k_too_big(cli, tmp_path):
    refused(cli, tmp_path, unchecked("TopK", [("x", ["n", 5])], [("v", ["n", 7]), ("i", ["n", 7], I64)], 11, {"axis": 1},
                                     [("K", np.array([7], np.int64))]), "bad_topk", "K = 7", "larger than axis 1", "5 elements")


def test_refuse_k_not_constant(cli, tmp_path):
    # A K graph input of fixed shape [1] is a value input (test_runtime_values.py); of unknown shape, refused.
    refused(cli, tmp_path, unchecked("TopK", [("x", [2, 5]), ("K", ["m"], I64)], [("v", [2, 2]), ("i", [2, 2], I64)], 11),
            "bad_topk", "'K'", "fixed shape")


@pytest.mark.parametrize("op,dtype,opset", [("Floor", TensorProto.FLOAT16, 13), ("Sum", I32, 13), ("Mean", I64, 13),
                                            ("ArgMax", TensorProto.BOOL, 13), ("Max", TensorProto.FLOAT16, 13),
                                            ("Sign", I32, 13), ("HardSwish", TensorProto.FLOAT16, 14),
                                            ("TopK", TensorProto.UINT8, 11)], ids=str)
def test_refuse_unsupported_dtype(op, dtype, opset, cli, tmp_path):
    out_t = I64 if op == "ArgMax" else dtype
    outs = [("y", None, out_t)] + ([("i", None, I64)] if op == "TopK" else [])
    inits = [("K", np.array([1], np.int64))] if op == "TopK" else []
    refused(cli, tmp_path, unchecked(op, [("x", [2, 3], dtype)], outs, opset, {}, inits), f"bad_{op.lower()}", op)


def test_refuse_gelu_approximation(cli, tmp_path):
    refused(cli, tmp_path, unchecked("Gelu", [("x", [2, 3])], [("y", [2, 3])], 20, {"approximate": "sigmoid"}),
            "bad_gelu", "approximate", "sigmoid")


def test_refuse_prelu_slope_not_unidirectional(cli, tmp_path):
    refused(cli, tmp_path, unchecked("PRelu", [("x", [2, 1]), ("s", [2, 4])], [("y", [2, 4])], 16),
            "bad_prelu", "slope", "does not broadcast")


# ---------------------------------------------------------------------------------------------
# PyTorch exports of nn.Hardswish, nn.Mish, nn.GELU() and nn.GELU(approximate='tanh'), written
# node for node as torch.onnx emits them at each opset (torch is not a test dependency)


def torch_activation(b: GraphBuilder, module: str, x: str, opset: int) -> str:
    def scalar(v):
        return b.node("Constant", [], value=helper.make_tensor(b.uid("c"), TensorProto.FLOAT, [], [v]))
    if module == "Hardswish":
        if opset >= 14:
            return b.node("HardSwish", [x])
        return b.node("Mul", [x, b.node("HardSigmoid", [x], alpha=1 / 6)])
    if module == "Mish":
        if opset >= 18:
            return b.node("Mish", [x])
        return b.node("Mul", [x, b.node("Tanh", [b.node("Softplus", [x])])])
    if module == "GELU":
        if opset >= 20:
            return b.node("Gelu", [x])
        erf = b.node("Erf", [b.node("Div", [x, scalar(1.4142135623730951)])])
        return b.node("Mul", [b.node("Mul", [x, b.node("Add", [erf, scalar(1.0)])]), scalar(0.5)])
    assert module == "GELU_tanh"
    if opset >= 20:
        return b.node("Gelu", [x], approximate="tanh")
    cube = b.node("Mul", [x, b.node("Mul", [x, x])])
    inner = b.node("Mul", [scalar(float(np.sqrt(2) * (2 / np.sqrt(np.pi)) * 0.5)), b.node("Add", [x, b.node("Mul", [scalar(0.044715), cube])])])
    return b.node("Mul", [scalar(0.5), b.node("Mul", [x, b.node("Add", [scalar(1.0), b.node("Tanh", [inner])])])])


TORCH = [(m, o) for m in ("Hardswish", "Mish", "GELU", "GELU_tanh") for o in (13, 14, 17, 18, 20)]


@pytest.mark.parametrize("module,opset", TORCH, ids=[f"{m}-opset{o}" for m, o in TORCH])
def test_pytorch_activation_exports(module, opset, convert, dlrt_mod):
    b = GraphBuilder(90)
    h = torch_activation(b, module, b.gemm("x", 16, 32), opset)
    b.node("Identity", [b.gemm(h, 32, 8)], name="y")
    model = b.build(f"torch_{module}_{opset}", [vi("x", ["batch", 16])], [vi("y_output_0", ["batch", 8])], opset=opset)
    run_both(convert, dlrt_mod, model, f"torch_{module}_{opset}", [{"x": rnd(91 + n, n, 16, scale=3.0)} for n in (1, 4)])
