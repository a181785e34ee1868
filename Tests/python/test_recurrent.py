"""LSTM / GRU / RNN and Einsum, built with onnx.helper the way torch.onnx.export writes them
(Transpose around batch_first, Slice of the initial states per layer, Transpose + Reshape after a
bidirectional layer, Squeeze after a unidirectional one), with symbolic batch and seq. Each model
is converted ONCE and run at seq 1, 7, 33 and batch 1, 3, checked against onnxruntime."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import compare, ort_run, run_cli
from models import F32, I32, I64, Case, GraphBuilder, rnd, vi

SEQS, BATCHES = (1, 7, 33), (1, 3)


def feeds_for(make):
    """One feed dict per (seq, batch) from make(seq, batch, rng)."""
    out = []
    for i, (s, b) in enumerate((s, b) for s in SEQS for b in BATCHES):
        out.append(make(s, b, np.random.default_rng(1000 + i)))
    return out


def rnn_weights(b: GraphBuilder, gates: int, dirs: int, inp: int, hidden: int, scale=0.3):
    w = b.weight([dirs, gates * hidden, inp], scale=scale)
    r = b.weight([dirs, gates * hidden, hidden], scale=scale)
    bias = b.weight([dirs, 2 * gates * hidden], scale=0.1)
    return w, r, bias


def lstm_tagger(layers=2, vocab=40, emb=16, hidden=24, tags=5) -> Case:
    """nn.Embedding → nn.LSTM(2 layers, bidirectional, batch_first) with (h0, c0) → nn.Linear."""
    b = GraphBuilder(7)
    x = b.node("Gather", [b.weight([vocab, emb], scale=1.0), "tokens"], axis=0)     # [batch, seq, emb]
    x = b.node("Transpose", [x], perm=[1, 0, 2])                                     # [seq, batch, emb]
    hs, cs = [], []
    inp = emb
    for layer in range(layers):
        w, r, bias = rnn_weights(b, 4, 2, inp, hidden)
        sl = lambda t: b.node("Slice", [t, b.const(np.array([2 * layer], np.int64)), b.const(np.array([2 * layer + 2], np.int64)),
                                        b.const(np.array([0], np.int64))])
        y, yh, yc = b.node("LSTM", [x, w, r, bias, "", sl("h0"), sl("c0")], n_out=3, hidden_size=hidden, direction="bidirectional")
        hs.append(yh)
        cs.append(yc)
        y = b.node("Transpose", [y], perm=[0, 2, 1, 3])                              # [seq, batch, 2, hidden]
        x = b.node("Reshape", [y, b.const(np.array([0, 0, -1], np.int64))])          # [seq, batch, 2·hidden]
        inp = 2 * hidden
    x = b.node("Transpose", [x], perm=[1, 0, 2])                                     # [batch, seq, 2·hidden]
    logits = b.node("Add", [b.node("MatMul", [x, b.weight([2 * hidden, tags])]), b.const(np.zeros(tags, np.float32) + 0.1)])
    b.node("Identity", [logits], name="logits")
    b.node("Concat", hs, name="h_n", axis=0)
    b.node("Concat", cs, name="c_n", axis=0)
    model = b.build("lstm_tagger", [vi("tokens", ["batch", "seq"], I64), vi("h0", [2 * layers, "batch", hidden]),
                                    vi("c0", [2 * layers, "batch", hidden])],
                    [vi("logits_output_0", ["batch", "seq", tags]), vi("h_n_output_0", [2 * layers, "batch", hidden]),
                     vi("c_n_output_0", [2 * layers, "batch", hidden])], opset=17)
    return Case("lstm_tagger", model, feeds_for(lambda s, n, g: {
        "tokens": g.integers(0, vocab, (n, s)).astype(np.int64),
        "h0": g.standard_normal((2 * layers, n, hidden)).astype(np.float32) * 0.5,
        "c0": g.standard_normal((2 * layers, n, hidden)).astype(np.float32) * 0.5}))


def gru_sensor(lbr=1, feat=6, hidden=32, out=3) -> Case:
    """nn.GRU(batch_first) over a sensor stream with h0 → last step → nn.Linear."""
    b = GraphBuilder(8 + lbr)
    x = b.node("Transpose", ["x"], perm=[1, 0, 2])
    w, r, bias = rnn_weights(b, 3, 1, feat, hidden)
    y, yh = b.node("GRU", [x, w, r, bias, "", "h0"], n_out=2, hidden_size=hidden, linear_before_reset=lbr)
    y = b.node("Transpose", [b.node("Squeeze", [y, b.const(np.array([1], np.int64))])], perm=[1, 0, 2])   # [batch, seq, hidden]
    last = b.node("Gather", [y, b.const(np.array(-1, np.int64))], axis=1)                                 # [batch, hidden]
    b.node("Gemm", [last, b.weight([out, hidden]), b.const(np.full(out, 0.05, np.float32))], name="pred", transB=1)
    b.node("Identity", [yh], name="h_n")
    model = b.build(f"gru_sensor_lbr{lbr}", [vi("x", ["batch", "seq", feat]), vi("h0", [1, "batch", hidden])],
                    [vi("pred_output_0", ["batch", out]), vi("h_n_output_0", [1, "batch", hidden])], opset=17)
    return Case(f"gru_sensor_lbr{lbr}", model, feeds_for(lambda s, n, g: {
        "x": g.standard_normal((n, s, feat)).astype(np.float32), "h0": g.standard_normal((1, n, hidden)).astype(np.float32) * 0.5}))


def rnn_simple(act: str, direction="forward", feat=5, hidden=12) -> Case:
    """nn.RNN(nonlinearity=act) without initial state; Y squeezed (or merged when bidirectional)."""
    b = GraphBuilder(9)
    dirs = 2 if direction == "bidirectional" else 1
    w, r, bias = rnn_weights(b, 1, dirs, feat, hidden)
    y, yh = b.node("RNN", ["x", w, r, bias], n_out=2, hidden_size=hidden, activations=[act.capitalize()] * dirs, direction=direction)
    if dirs == 1:
        b.node("Squeeze", [y, b.const(np.array([1], np.int64))], name="y")
    else:
        b.node("Reshape", [b.node("Transpose", [y], perm=[0, 2, 1, 3]), b.const(np.array([0, 0, -1], np.int64))], name="y")
    b.node("Identity", [yh], name="h_n")
    model = b.build(f"rnn_{act}_{direction}", [vi("x", ["seq", "batch", feat])],
                    [vi("y_output_0", ["seq", "batch", dirs * hidden]), vi("h_n_output_0", [dirs, "batch", hidden])], opset=17)
    return Case(f"rnn_{act}_{direction}", model, feeds_for(lambda s, n, g: {"x": g.standard_normal((s, n, feat)).astype(np.float32)}))


def lstm_options(**attrs) -> Case:
    """One LSTM node with every input: B, sequence_lens, initial states, peepholes; layout and
    other attributes from attrs."""
    b = GraphBuilder(10)
    feat, hidden = 7, 9
    layout = attrs.get("layout", 0)
    dirs = 2 if attrs.get("direction") == "bidirectional" else 1
    w, r, bias = rnn_weights(b, 4, dirs, feat, hidden)
    p = b.weight([dirs, 3 * hidden], scale=0.3)
    xs = ["batch", "seq", feat] if layout else ["seq", "batch", feat]
    st = ["batch", dirs, hidden] if layout else [dirs, "batch", hidden]
    ys = ["batch", "seq", dirs, hidden] if layout else ["seq", dirs, "batch", hidden]
    b.node("LSTM", ["x", w, r, bias, "lens", "h0", "c0", p], n_out=3, name="lstm", hidden_size=hidden, **attrs)
    model = b.build("lstm_options", [vi("x", xs), vi("lens", ["batch"], I32), vi("h0", st), vi("c0", st)],
                    [vi("lstm_output_0", ys), vi("lstm_output_1", st), vi("lstm_output_2", st)], opset=17)

    def make(s, n, g):
        shape = lambda sh: [n if d == "batch" else s if d == "seq" else d for d in sh]
        return {"x": g.standard_normal(shape(xs)).astype(np.float32), "lens": g.integers(1, s + 1, n).astype(np.int32),
                "h0": g.standard_normal(shape(st)).astype(np.float32), "c0": g.standard_normal(shape(st)).astype(np.float32)}
    name = "lstm_" + "_".join(f"{k}{v}" for k, v in attrs.items())
    return Case(name, model, feeds_for(make))


def output_subset(outputs, lens=None) -> Case:
    """One LSTM whose graph uses only some of Y, Y_h, Y_c ("" = not requested, as exporters write
    nn.LSTM's unused outputs), optionally with a constant sequence_lens over a fixed seq of 6."""
    b = GraphBuilder(14)
    feat, hidden, seq = 3, 5, 6
    w, r, bias = rnn_weights(b, 4, 1, feat, hidden)
    names = [f"lstm_output_{k}" if use else "" for k, use in enumerate(outputs)]
    ins = ["x", w, r, bias] + ([b.const(np.array(lens, np.int32))] if lens is not None else [])
    b.nodes.append(helper.make_node("LSTM", ins, names, name="lstm", hidden_size=hidden))
    shapes = {0: [seq, 1, len(lens) if lens else "batch", hidden], 1: [1, len(lens) if lens else "batch", hidden]}
    shapes[2] = shapes[1]
    outs = [vi(n, shapes[k]) for k, n in enumerate(names) if n]
    batch_dim = len(lens) if lens is not None else "batch"
    model = b.build("lstm_subset", [vi("x", [seq, batch_dim, feat])], outs, opset=17)
    tag = "".join("1" if u else "0" for u in outputs) + ("_lens" + "".join(map(str, lens)) if lens else "")
    feeds = [{"x": rnd(60 + i, seq, n, feat)} for i, n in enumerate([len(lens)] if lens else [1, 3])]
    return Case(f"lstm_outputs{tag}", model, feeds)


def layout1_reference(case: Case, feeds):
    """onnxruntime has no layout = 1: run the layout-0 twin (same weights) on transposed inputs."""
    attrs = {a.name: helper.get_attribute_value(a) for a in case.model.graph.node[0].attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items() if k not in ("layout", "hidden_size")}
    twin = lstm_options(**attrs).model
    t = {"x": feeds["x"].transpose(1, 0, 2), "lens": feeds["lens"], "h0": feeds["h0"].transpose(1, 0, 2),
         "c0": feeds["c0"].transpose(1, 0, 2)}
    want = ort_run(twin, t)
    return {k: v.transpose(2, 0, 1, 3) if v.ndim == 4 else v.transpose(1, 0, 2) for k, v in want.items()}


CASES = [lstm_tagger(), gru_sensor(1), gru_sensor(0), rnn_simple("tanh"), rnn_simple("relu"),
         rnn_simple("tanh", "bidirectional"), rnn_simple("relu", "reverse"),
         lstm_options(direction="bidirectional", clip=2.0), lstm_options(layout=1, direction="reverse"),
         lstm_options(input_forget=1, activations=["Sigmoid", "Relu", "Tanh"]),
         output_subset([False, True, False]), output_subset([True, False, True]), output_subset([False, False, True]),
         output_subset([True, True, False], lens=[6, 6]), output_subset([True, True, True], lens=[6, 2, 4])]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_recurrent_matches_onnxruntime(case, convert, dlrt_mod):
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(case.feeds):
            got = m.run(feeds)
            want = layout1_reference(case, feeds) if "layout1" in case.name else ort_run(case.model, feeds)
            compare(f"{case.name} run {i} {({k: v.shape for k, v in feeds.items()})}", got, want, case.rtol, case.atol)


# ---- Einsum ------------------------------------------------------------------------------------

EINSUM = [
    ("bij,bjk->bik", [["batch", 4, 5], ["batch", 5, 3]]),
    ("bhqd,bhkd->bhqk", [["batch", 2, 6, 4], ["batch", 2, 7, 4]]),
    ("bhqk,bhkd->bhqd", [["batch", 2, 6, 7], ["batch", 2, 7, 4]]),
    ("ij,jk->ik", [[4, 5], [5, 3]]),
    ("bid,jd->bij", [["batch", 6, 4], [3, 4]]),
    ("...ij,...jk->...ik", [["batch", 2, 4, 5], ["batch", 2, 5, 3]]),
    ("ij->ji", [[4, 5]]),
    ("ij->i", [["batch", 5]]),
    ("ij->", [[4, 5]]),
    ("i,i->", [[6], [6]]),
    ("i,j->ij", [[4], [3]]),
    ("ij,ij->ij", [["batch", 5], ["batch", 5]]),
    ("ij,j->ij", [[4, 5], [5]]),
    ("bij,bkj->bik", [[2, 4, 5], [2, 3, 5]]),
    ("abc,cd->abd", [["batch", 3, 4], [4, 2]]),
    ("ijk,ikl->jl", [[2, 3, 4], [2, 4, 5]]),
    ("bn,anm,bm->ba", [[2, 3], [4, 3, 5], [2, 5]]),
    ("ab,bc,cd->ad", [["batch", 3], [3, 4], [4, 2]]),
    ("i,ij,j", [[3], [3, 4], [4]]),
]


def einsum_model(eq, shapes):
    names = [f"in{k}" for k in range(len(shapes))]
    b = GraphBuilder(11)
    b.node("Einsum", names, name="einsum", equation=eq)
    graph = helper.make_graph(b.nodes, "einsum", [vi(n, s) for n, s in zip(names, shapes)],
                              [helper.make_tensor_value_info("einsum_output_0", F32, None)], initializer=b.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    inferred = onnx.shape_inference.infer_shapes(m)
    m.graph.output[0].CopyFrom(inferred.graph.output[0])
    return m


@pytest.mark.parametrize("eq,shapes", EINSUM, ids=[e for e, _ in EINSUM])
def test_einsum_matches_onnxruntime(eq, shapes, convert, dlrt_mod):
    model = einsum_model(eq, shapes)
    path = convert(model, "einsum_" + "".join(c if c.isalnum() else "_" for c in eq))
    with dlrt_mod.Model(path) as m:
        for i, batch in enumerate((1, 3)):
            feeds = {f"in{k}": rnd(50 + i + k, *[batch if d == "batch" else d for d in s]) for k, s in enumerate(shapes)}
            compare(f"einsum {eq} batch {batch}", m.run(feeds), ort_run(model, feeds), 1e-4, 1e-5)


def refusal(cli, tmp_path, model, *needles):
    src = tmp_path / "m.onnx"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode != 0, f"convert should refuse: {r.stdout}"
    for s in needles:
        assert s in r.stderr, f"{s!r} not in: {r.stderr}"


@pytest.mark.parametrize("eq,shapes,why", [
    ("ii->i", [[4, 4]], "diagonal"),
    ("ij->ii", [[4, 4]], "repeats in the output"),
    ("iij,jk->ik", [[3, 3, 4], [4, 2]], "diagonal"),
])
def test_einsum_refused(eq, shapes, why, cli, tmp_path):
    refusal(cli, tmp_path, einsum_model(eq, shapes), "'einsum'", eq, why)


def single_lstm(**attrs):
    b = GraphBuilder(12)
    w, r, bias = rnn_weights(b, 4, 1, 3, 4)
    b.node("LSTM", ["x", w, r, bias], n_out=1, name="lstm1", hidden_size=4, **attrs)
    return b


def test_recurrent_refusals(cli, tmp_path):
    out = [vi("lstm1_output_0", ["seq", 1, "batch", 4])]
    b = single_lstm(activations=["HardSigmoid", "Tanh", "Tanh"])
    refusal(cli, tmp_path, b.build("m", [vi("x", ["seq", "batch", 3])], out), "'lstm1'", "activations", "HardSigmoid")
    b = single_lstm(activation_alpha=[0.5, 0.5, 0.5])
    refusal(cli, tmp_path, b.build("m", [vi("x", ["seq", "batch", 3])], out), "'lstm1'", "activation_alpha")
    # W as a graph input of unknown shape (a fixed-shape one is packed per run: test_runtime_values.py)
    b = GraphBuilder(13)
    b.node("LSTM", ["x", "w", b.weight([1, 16, 4])], n_out=1, name="lstm1", hidden_size=4)
    refusal(cli, tmp_path, b.build("m", [vi("x", ["seq", "batch", 3]), vi("w", [1, 16, "i"])], out), "'lstm1'", "W",
            "neither a constant nor of fixed shape")


# ---- int8 recurrence (--weights int8: int8 W and R, u8 activations quantized per row) -----------

def lstm_wide(hidden=128, feat=64) -> Case:
    """One LSTM layer big enough that the input projection is split over two threads."""
    b = GraphBuilder(21)
    w, r, bias = rnn_weights(b, 4, 1, feat, hidden, scale=0.1)
    b.node("LSTM", ["x", w, r, bias], n_out=2, name="lstm", hidden_size=hidden)
    model = b.build("lstm_wide", [vi("x", ["seq", "batch", feat])],
                    [vi("lstm_output_0", ["seq", 1, "batch", hidden]), vi("lstm_output_1", [1, "batch", hidden])])
    return Case("lstm_wide", model, feeds_for(lambda s, n, g: {"x": g.standard_normal((s, n, feat)).astype(np.float32)}))


INT8_CASES = CASES + [lstm_wide()]


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


@pytest.fixture(scope="module")
def int8_paths(cli, tmp_path_factory):
    d = tmp_path_factory.mktemp("int8_recurrent")

    def _convert(case):
        src, dst = d / f"{case.name}.onnx", d / f"{case.name}.int8.dlrt"
        if not dst.exists():
            onnx.save(case.model, str(src))
            run_cli(cli, "convert", src, "-o", dst, "--weights", "int8", check=True)
        return dst
    return _convert


@pytest.mark.parametrize("case", INT8_CASES, ids=[c.name for c in INT8_CASES])
def test_recurrent_int8_matches_onnxruntime(case, int8_paths, dlrt_mod):
    """int8 GEMMs in the recurrence: every output within cosine 0.99 of onnxruntime's float32 at
    every seq / batch; the same bits with 1 and 2 threads."""
    path = int8_paths(case)
    worst = 1.0
    with dlrt_mod.Model(path) as m1, dlrt_mod.Model(path, threads=2) as m2:
        for feeds in case.feeds:
            got, got2 = m1.run(feeds), m2.run(feeds)
            want = layout1_reference(case, feeds) if "layout1" in case.name else ort_run(case.model, feeds)
            for k in want:
                assert np.array_equal(got[k], got2[k]), f"{case.name} {k}: 1 and 2 threads differ"
                assert not np.isnan(got[k]).any()
                if np.abs(want[k]).max() > 0:
                    worst = min(worst, cosine(got[k], want[k]))
    print(f"{case.name}: int8 min cosine vs onnxruntime float32 {worst:.6f}")
    assert worst >= 0.99, worst


def test_recurrent_float32_two_threads_bit_identical(convert, dlrt_mod):
    case = lstm_wide()
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path) as m1, dlrt_mod.Model(path, threads=2) as m2:
        for feeds in case.feeds:
            got, got2, want = m1.run(feeds), m2.run(feeds), ort_run(case.model, feeds)
            for k in want:
                assert np.array_equal(got[k], got2[k]), k
            compare(f"lstm_wide {feeds['x'].shape}", got, want, 1e-4, 1e-5)

