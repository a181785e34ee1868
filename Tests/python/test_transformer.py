"""Transformer blocks built the way PyTorch exports them (onnx.helper, symbolic batch and
sequence), converted once with the CLI and compared with onnxruntime at several batch sizes and
sequence lengths from the SAME converted file."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import compare, ort_run
from models import F32, I64, Case, GraphBuilder, rnd, vi

HIDDEN, HEADS, FFN, VOCAB, MAXPOS = 32, 4, 64, 50, 64
SHAPES = [(1, 5), (3, 17), (1, 17), (3, 5)]


def layer_norm(b: GraphBuilder, x: str, decomposed: bool) -> str:
    gamma = b.const((1 + 0.1 * b.rng.standard_normal(HIDDEN)).astype(np.float32))
    beta = b.const((0.1 * b.rng.standard_normal(HIDDEN)).astype(np.float32))
    if not decomposed:
        return b.node("LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)
    # Older exports: ReduceMean / Sub / Pow / ReduceMean / Add / Sqrt / Div / Mul / Add.
    mean = b.node("ReduceMean", [x], axes=[-1], keepdims=1)
    d = b.node("Sub", [x, mean])
    var = b.node("ReduceMean", [b.node("Pow", [d, b.const(np.array(2.0, np.float32))])], axes=[-1], keepdims=1)
    std = b.node("Sqrt", [b.node("Add", [var, b.const(np.array(1e-12, np.float32))])])
    return b.node("Add", [b.node("Mul", [b.node("Div", [d, std]), gamma]), beta])


def linear(b: GraphBuilder, x: str, k: int, n: int) -> str:
    y = b.node("MatMul", [x, b.weight([k, n], scale=0.2)])
    return b.node("Add", [b.const((0.1 * b.rng.standard_normal(n)).astype(np.float32)), y])


def gelu(b: GraphBuilder, x: str) -> str:
    e = b.node("Erf", [b.node("Div", [x, b.const(np.array(1.4142135, np.float32))])])
    h = b.node("Mul", [x, b.node("Add", [e, b.const(np.array(1.0, np.float32))])])
    return b.node("Mul", [h, b.const(np.array(0.5, np.float32))])


def split_heads(b: GraphBuilder, x: str, shape_of: str, perm) -> str:
    """[B, S, H] → [B, heads, S, d] (perm [0,2,1,3]) or [B, heads, d, S] (perm [0,2,3,1])."""
    shp = b.node("Shape", [shape_of])
    bs = b.node("Unsqueeze", [b.node("Gather", [shp, b.const(np.array(0, np.int64))], axis=0), b.const(np.array([0], np.int64))])
    sq = b.node("Unsqueeze", [b.node("Gather", [shp, b.const(np.array(1, np.int64))], axis=0), b.const(np.array([0], np.int64))])
    target = b.node("Concat", [bs, sq, b.const(np.array([HEADS, HIDDEN // HEADS], np.int64))], axis=0)
    return b.node("Transpose", [b.node("Reshape", [x, target])], perm=perm)


def attention(b: GraphBuilder, x: str, mask_add: str) -> str:
    q = split_heads(b, linear(b, x, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    k = split_heads(b, linear(b, x, HIDDEN, HIDDEN), x, [0, 2, 3, 1])
    v = split_heads(b, linear(b, x, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    scores = b.node("Div", [b.node("MatMul", [q, k]), b.const(np.array(np.sqrt(HIDDEN // HEADS), np.float32))])
    probs = b.node("Softmax", [b.node("Add", [scores, mask_add])], axis=-1)
    ctx = b.node("Transpose", [b.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    shp = b.node("Shape", [x])
    first2 = b.node("Slice", [shp, b.const(np.array([0], np.int64)), b.const(np.array([2], np.int64))])
    ctx = b.node("Reshape", [ctx, b.node("Concat", [first2, b.const(np.array([HIDDEN], np.int64))], axis=0)])
    return linear(b, ctx, HIDDEN, HIDDEN)


def embeddings(b: GraphBuilder) -> str:
    words = b.node("Gather", [b.weight([VOCAB, HIDDEN], scale=0.5), "input_ids"], axis=0)
    seq = b.node("Gather", [b.node("Shape", ["input_ids"]), b.const(np.array(1, np.int64))], axis=0)
    pos_ids = b.node("Unsqueeze", [b.node("Range", [b.const(np.array(0, np.int64)), seq, b.const(np.array(1, np.int64))]),
                                   b.const(np.array([0], np.int64))])
    pos = b.node("Gather", [b.weight([MAXPOS, HIDDEN], scale=0.5), pos_ids], axis=0)
    types = b.node("Gather", [b.weight([2, HIDDEN], scale=0.5), "token_type_ids"], axis=0)
    return b.node("Add", [b.node("Add", [words, pos]), types])


def bert_layer(decomposed: bool, opset: int) -> Case:
    b = GraphBuilder(20 + int(decomposed))
    x = layer_norm(b, embeddings(b), decomposed)
    # attention_mask [B, S] int64 → (1 - mask) * -10000 as [B, 1, 1, S].
    m = b.node("Unsqueeze", [b.node("Unsqueeze", ["attention_mask", b.const(np.array([1], np.int64))]),
                             b.const(np.array([2], np.int64))])
    m = b.node("Cast", [m], to=F32)
    mask_add = b.node("Mul", [b.node("Sub", [b.const(np.array(1.0, np.float32)), m]), b.const(np.array(-10000.0, np.float32))])
    h = layer_norm(b, b.node("Add", [attention(b, x, mask_add), x]), decomposed)
    f = linear(b, gelu(b, linear(b, h, HIDDEN, FFN)), FFN, HIDDEN)
    out = layer_norm(b, b.node("Add", [f, h]), decomposed)
    b.node("Identity", [out], name="hidden")
    pooled = b.node("ReduceMean", [out], axes=[1], keepdims=0)
    b.node("Identity", [pooled], name="pooled")
    inputs = [vi("input_ids", ["batch", "seq"], I64), vi("attention_mask", ["batch", "seq"], I64),
              vi("token_type_ids", ["batch", "seq"], I64)]
    outputs = [vi("hidden_output_0", ["batch", "seq", HIDDEN]), vi("pooled_output_0", ["batch", HIDDEN])]
    model = b.build("bert_layer", inputs, outputs, opset=opset)
    feeds = []
    for i, (bs, s) in enumerate(SHAPES):
        rng = np.random.default_rng(100 + i)
        mask = np.ones((bs, s), np.int64)
        mask[0, s - 2:] = 0                                  # padded tail on the first sequence
        feeds.append({"input_ids": rng.integers(0, VOCAB, (bs, s)).astype(np.int64), "attention_mask": mask,
                      "token_type_ids": (np.arange(s)[None, :] >= s // 2).astype(np.int64).repeat(bs, 0)})
    return Case(f"bert_layer_{'decomposed' if decomposed else 'layernorm'}_opset{opset}", model, feeds)


def gpt_block() -> Case:
    """Pre-LN decoder block with a causal mask from Trilu of a constant ones matrix, sliced to the
    sequence and applied with Where."""
    b = GraphBuilder(30)
    x = "x"
    h = layer_norm(b, x, False)
    q = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    k = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 3, 1])
    v = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    scores = b.node("Mul", [b.node("MatMul", [q, k]), b.const(np.array(1 / np.sqrt(HIDDEN // HEADS), np.float32))])
    causal = b.node("Cast", [b.node("Trilu", [b.const(np.ones((MAXPOS, MAXPOS), np.int64))], upper=0)], to=onnx.TensorProto.BOOL)
    causal = b.node("Slice", [causal, b.const(np.array([0, 0], np.int64)), b.const(np.array([17, 17], np.int64))])
    scores = b.node("Where", [causal, scores, b.const(np.array(-1e9, np.float32))])
    probs = b.node("Softmax", [scores], axis=-1)
    ctx = b.node("Transpose", [b.node("MatMul", [probs, v])], perm=[0, 2, 1, 3])
    shp = b.node("Shape", [x])
    first2 = b.node("Slice", [shp, b.const(np.array([0], np.int64)), b.const(np.array([2], np.int64))])
    ctx = b.node("Reshape", [ctx, b.node("Concat", [first2, b.const(np.array([HIDDEN], np.int64))], axis=0)])
    y = b.node("Add", [x, linear(b, ctx, HIDDEN, HIDDEN)])
    f = linear(b, gelu(b, linear(b, layer_norm(b, y, False), HIDDEN, FFN)), FFN, HIDDEN)
    b.node("Identity", [b.node("Add", [y, f])], name="out")
    model = b.build("gpt_block", [vi("x", ["batch", 17, HIDDEN])], [vi("out_output_0", ["batch", 17, HIDDEN])], opset=17)
    return Case("gpt_block", model, [{"x": rnd(40 + n, n, 17, HIDDEN)} for n in (1, 3)])


def gpt_dynamic_mask() -> Case:
    """GPT-2 as exported: the causal mask is a [MAXPOS, MAXPOS] constant sliced to
    [:seq, :seq] with seq = Shape(x)[1] (a symbolic dim), so one file serves any length."""
    b = GraphBuilder(31)
    x = "x"
    h = layer_norm(b, x, False)
    q = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    k = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 3, 1])
    v = split_heads(b, linear(b, h, HIDDEN, HIDDEN), x, [0, 2, 1, 3])
    scores = b.node("Mul", [b.node("MatMul", [q, k]), b.const(np.array(1 / np.sqrt(HIDDEN // HEADS), np.float32))])
    seq = b.node("Unsqueeze", [b.node("Gather", [b.node("Shape", [x]), b.const(np.array(1, np.int64))], axis=0),
                               b.const(np.array([0], np.int64))])
    bias = b.const(np.tril(np.ones((1, 1, MAXPOS, MAXPOS), bool)))
    causal = b.node("Slice", [bias, b.const(np.array([0, 0], np.int64)), b.node("Concat", [seq, seq], axis=0),
                              b.const(np.array([2, 3], np.int64))])
    scores = b.node("Where", [causal, scores, b.const(np.array(-1e9, np.float32))])
    ctx = b.node("Transpose", [b.node("MatMul", [b.node("Softmax", [scores], axis=-1), v])], perm=[0, 2, 1, 3])
    shp = b.node("Shape", [x])
    first2 = b.node("Slice", [shp, b.const(np.array([0], np.int64)), b.const(np.array([2], np.int64))])
    ctx = b.node("Reshape", [ctx, b.node("Concat", [first2, b.const(np.array([HIDDEN], np.int64))], axis=0)])
    b.node("Identity", [b.node("Add", [x, linear(b, ctx, HIDDEN, HIDDEN)])], name="out")
    model = b.build("gpt_dynamic_mask", [vi("x", ["batch", "seq", HIDDEN])], [vi("out_output_0", ["batch", "seq", HIDDEN])])
    return Case("gpt_dynamic_mask", model, [{"x": rnd(60 + n, bs, n, HIDDEN)} for bs, n in [(1, 1), (2, 9), (1, MAXPOS), (3, 5)]])


def test_dynamic_mask_longer_than_context_is_a_clear_error(convert, dlrt_mod):
    case = gpt_dynamic_mask()
    with dlrt_mod.Model(convert(case.model, case.name)) as m:
        with pytest.raises(dlrt_mod.Error, match="cannot broadcast"):
            m.run({"x": rnd(70, 1, MAXPOS + 1, HIDDEN)})


CASES = [bert_layer(False, 17), bert_layer(True, 13), gpt_block(), gpt_dynamic_mask()]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_transformer_matches_onnxruntime(case, convert, dlrt_mod):
    path = convert(case.model, case.name)
    worst = 0.0
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(case.feeds):
            got, want = m.run(feeds), ort_run(case.model, feeds)
            compare(f"{case.name} run {i} {({k: v.shape for k, v in feeds.items()})}", got, want, case.rtol, case.atol)
            worst = max(worst, max(float(np.abs(got[k] - want[k]).max()) for k in want))
    print(f"{case.name}: max abs error vs onnxruntime {worst:.3g}")
