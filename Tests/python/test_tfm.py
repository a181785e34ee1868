"""Transformer group (tfm): MatMul + bias fusion and int8 embedding tables (QuantizedGather, op 118).

The fused MatMul must match onnxruntime like the unfused graph (rtol 1e-4); `--weights int8`
stores Gather tables as int8 with one scale per row and stays within cosine 0.99 of float32."""
from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from conftest import compare, ort_run, run_cli
from models import F32, I64, GraphBuilder, rnd, vi
from test_transformer import VOCAB, bert_layer


def linear_model(bias_shape, bias_first: bool, activation: str | None = None) -> onnx.ModelProto:
    b = GraphBuilder(7)
    y = b.node("MatMul", ["x", b.weight([37, 19], scale=0.3)])
    c = b.const((0.5 * np.random.default_rng(3).standard_normal(bias_shape)).astype(np.float32))
    y = b.node("Add", [c, y] if bias_first else [y, c])
    if activation:
        y = b.node(activation, [y])
    b.node("Identity", [y], name="y")
    return b.build("linear", [vi("x", ["batch", 5, 37])], [vi("y_output_0", ["batch", 5, 19])], opset=17)


@pytest.mark.parametrize("bias_shape,bias_first", [((19,), False), ((19,), True), ((1, 19), False), ((1, 1, 19), True)])
def test_matmul_bias_fused_matches_onnxruntime(cli, convert, dlrt_mod, bias_shape, bias_first):
    model = linear_model(bias_shape, bias_first, "Relu")
    path = convert(model, f"linear_{len(bias_shape)}_{int(bias_first)}")
    info = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)
    assert info["op_counts"].get("Add", 0) == 0, info["op_counts"]   # the Add went into the MatMul
    with dlrt_mod.Model(path) as m:
        for bs in (1, 3):
            feeds = {"x": rnd(bs, bs, 5, 37)}
            compare("linear", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


def test_matmul_bias_not_fused_when_broadcasting_rows(cli, convert, dlrt_mod):
    model = linear_model((5, 19), False)    # one bias per row and column: stays an Add
    path = convert(model, "linear_rows")
    info = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)
    assert info["op_counts"].get("Add", 0) == 1, info["op_counts"]
    with dlrt_mod.Model(path) as m:
        feeds = {"x": rnd(4, 2, 5, 37)}
        compare("linear_rows", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


def cosine(a, b) -> float:
    a, b = a.ravel().astype(np.float64), b.ravel().astype(np.float64)
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def test_int8_embeddings(cli, tmp_path, dlrt_mod):
    case = bert_layer(False, 17)
    src = tmp_path / "bert.onnx"
    onnx.save(case.model, src)
    f32, q8 = tmp_path / "f32.dlrt", tmp_path / "q8.dlrt"
    run_cli(cli, "convert", src, "-o", f32, check=True)
    run_cli(cli, "convert", src, "-o", q8, "--weights", "int8", check=True)
    info = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)
    assert info["op_counts"].get("QuantizedGather", 0) >= 2, info["op_counts"]   # word and position tables
    tables = [c for c in info["constants"] if c["dtype"] == "int8" and c["shape"][0] == VOCAB]
    assert tables, info["constants"]
    rng = np.random.default_rng(5)
    with dlrt_mod.Model(f32) as a, dlrt_mod.Model(q8) as b:
        for bs, s in [(1, 5), (3, 17)]:
            ids = rng.integers(0, VOCAB, (bs, s)).astype(np.int64)
            ids[0, 0] = -1   # negative index: counts from the end, as in Gather
            feeds = {"input_ids": ids, "attention_mask": np.ones((bs, s), np.int64),
                     "token_type_ids": np.zeros((bs, s), np.int64)}
            ya, yb = a.run(feeds)["hidden_output_0"], b.run(feeds)["hidden_output_0"]
            assert cosine(ya, yb) >= 0.99, cosine(ya, yb)


def test_int8_embedding_table_shared_with_matmul_stays_float(cli, tmp_path):
    """A table also read as float32 by another node (tied weights) is not duplicated."""
    b = GraphBuilder(9)
    table = b.weight([64, 32], scale=0.2)
    h = b.node("Gather", [table, "ids"], axis=0)
    y = b.node("MatMul", [h, b.node("Transpose", [table], perm=[1, 0])])
    y = b.node("Add", [y, "bias_in"])
    b.node("Identity", [y], name="y")
    model = b.build("tied", [vi("ids", ["n"], I64), vi("bias_in", [64], F32)], [vi("y_output_0", ["n", 64])], opset=17)
    src = tmp_path / "tied.onnx"
    onnx.save(model, src)
    r = run_cli(cli, "convert", src, "-o", tmp_path / "tied.dlrt", "--weights", "int8", check=True)
    info = json.loads(run_cli(cli, "inspect", tmp_path / "tied.dlrt", "--json", check=True).stdout)
    # The converter folds Transpose(table) into its own constant, so the Gather is the table's
    # only float reader and it is quantized; the MatMul gets its own int8 weight.
    assert info["op_counts"].get("QuantizedGather", 0) == 1, (info["op_counts"], r.stdout)


def gelu_model(variant: int) -> onnx.ModelProto:
    b = GraphBuilder(11)
    x = b.node("MatMul", ["x", b.weight([23, 41], scale=1.0)])
    if variant == 2:
        arg = b.node("Mul", [x, b.const(np.array(0.70710678, np.float32))])
    else:
        arg = b.node("Div", [x, b.const(np.array(1.4142135, np.float32))])
    e = b.node("Add", [b.node("Erf", [arg]), b.const(np.array(1.0, np.float32))])
    if variant == 0:      # BERT / zoo: (x · (1 + erf)) · 0.5
        y = b.node("Mul", [b.node("Mul", [x, e]), b.const(np.array(0.5, np.float32))])
    else:                 # HF: (x · 0.5) · (1 + erf)
        y = b.node("Mul", [e, b.node("Mul", [b.const(np.array(0.5, np.float32)), x])])
    b.node("Identity", [y], name="y")
    return b.build("gelu", [vi("x", ["batch", 23])], [vi("y_output_0", ["batch", 41])], opset=17)


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_gelu_chain_fused_matches_onnxruntime(cli, convert, dlrt_mod, variant):
    model = gelu_model(variant)
    path = convert(model, f"gelu_{variant}")
    counts = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]
    assert counts.get("Gelu") == 1 and "Erf" not in counts and "Mul" not in counts, counts
    with dlrt_mod.Model(path) as m:
        for bs in (1, 5):
            feeds = {"x": rnd(20 + bs, bs, 23)}
            compare("gelu", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


def test_gelu_chain_with_an_outside_reader_is_not_fused(cli, convert, dlrt_mod):
    b = GraphBuilder(12)
    x = b.node("MatMul", ["x", b.weight([23, 41], scale=1.0)])
    e = b.node("Add", [b.node("Erf", [b.node("Div", [x, b.const(np.array(1.4142135, np.float32))])]),
                       b.const(np.array(1.0, np.float32))])
    y = b.node("Mul", [b.node("Mul", [x, e]), b.const(np.array(0.5, np.float32))])
    b.node("Identity", [b.node("Add", [y, e])], name="y")   # 1 + erf is read twice
    model = b.build("gelu_shared", [vi("x", ["batch", 23])], [vi("y_output_0", ["batch", 41])], opset=17)
    path = convert(model, "gelu_shared")
    counts = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]
    assert "Gelu" not in counts and counts.get("Erf") == 1, counts
    with dlrt_mod.Model(path) as m:
        feeds = {"x": rnd(3, 2, 23)}
        compare("gelu_shared", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype,message", [(np.float32, "table is float32, expected int8"),
                                           (np.int8, "table is int8 without quantization parameters")])
def test_hostile_quantized_gather_is_a_clear_load_error(tmp_path, dlrt_mod, dtype, message):
    """A file (independent writer) whose QuantizedGather table is not a per-row int8 table."""
    import dlrt_writer
    dlrt_writer.OPS.setdefault("QuantizedGather", 118)
    f = dlrt_writer.Writer()
    f.inputs.append(f.tensor("ids", np.int64, ("n",)))
    f.const("table", np.ones((8, 4)), dtype=dtype)
    f.tensor("y", np.float32, ("n", 4))
    f.node("QuantizedGather", ["table", "ids"], ["y"], name="embed")
    f.outputs.append(f.ids["y"])
    path = tmp_path / "hostile.dlrt"
    path.write_bytes(f.tobytes())
    with pytest.raises(dlrt_mod.Error, match=f"node 'embed' \\(QuantizedGather\\): .*{message}"):
        dlrt_mod.Model(path)


@pytest.mark.parametrize("k,n,a_shape", [(300, 257, ["batch", 7, 300]), (256, 256, ["batch", 256]), (1024, 64, [1024])])
def test_matmul_packed_b_matches_onnxruntime(cli, convert, dlrt_mod, k, n, a_shape):
    """A large constant B is stored in the GEMM's packed layout (MatMulPackedB, op 119)."""
    b = GraphBuilder(13)
    y = b.node("MatMul", ["a", b.weight([k, n], scale=0.05)])
    y = b.node("Add", [y, b.const((0.1 * np.arange(n)).astype(np.float32))])
    b.node("Identity", [b.node("Relu", [y])], name="y")
    out_shape = a_shape[:-1] + [n]
    model = b.build("packed", [vi("a", a_shape)], [vi("y_output_0", out_shape)], opset=17)
    path = convert(model, f"packed_{k}_{n}_{len(a_shape)}")
    counts = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]
    assert counts.get("MatMulPackedB") == 1 and "MatMul" not in counts and "Add" not in counts, counts
    with dlrt_mod.Model(path) as m:
        for bs in (1, 3):
            shape = [bs if d == "batch" else d for d in a_shape]
            feeds = {"a": rnd(bs, *shape)}
            compare("packed", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("b_shape,n,message", [((2, 8, 16), 40, "attribute 'n' is 40, expected 17…32"),
                                               ((2, 8, 8), 20, r"expected float32 \[panels, K, 16\]"),
                                               ((2, 8, 16), None, "attribute 'n' \\(int\\) is required")])
def test_hostile_matmul_packed_b_is_a_clear_load_error(tmp_path, dlrt_mod, b_shape, n, message):
    import dlrt_writer
    dlrt_writer.OPS.setdefault("MatMulPackedB", 119)
    f = dlrt_writer.Writer()
    f.inputs.append(f.tensor("a", np.float32, (3, 8)))
    f.const("b", np.ones(b_shape))
    f.tensor("y", np.float32, (3, 20))
    attrs = {} if n is None else {"n": n}
    f.node("MatMulPackedB", ["a", "b"], ["y"], name="fc", **attrs)
    f.outputs.append(f.ids["y"])
    path = tmp_path / "hostile_packed.dlrt"
    path.write_bytes(f.tobytes())
    with pytest.raises(dlrt_mod.Error, match=f"node 'fc' \\(MatMulPackedB\\): .*{message}"):
        dlrt_mod.Model(path)


def packed_b(b: np.ndarray) -> np.ndarray:
    """B [K, N] in MatMulPackedB's layout [⌈N/16⌉, K, 16] (docs/OPS.md, op 119), written plainly."""
    k, n = b.shape
    panels = (n + 15) // 16
    out = np.zeros((panels, k, 16), np.float32)
    for q in range(panels):
        cols = min(16, n - 16 * q)
        out[q, :, :cols] = b[:, 16 * q:16 * q + cols]
    return out


@pytest.mark.parametrize("m,k,n", [(1, 1, 1), (2, 3, 17), (7, 67, 16), (13, 5, 67), (64, 33, 31), (1, 64, 48)])
def test_matmul_packed_b_odd_sizes_against_numpy(tmp_path, dlrt_mod, m, k, n):
    """Files from the independent writer: MatMulPackedB with bias and Relu against float64 numpy."""
    import dlrt_writer
    dlrt_writer.OPS.setdefault("MatMulPackedB", 119)
    rng = np.random.default_rng(m * 1000 + k * 10 + n)
    b = rng.standard_normal((k, n)).astype(np.float32)
    bias = rng.standard_normal(n).astype(np.float32)
    f = dlrt_writer.Writer()
    f.inputs.append(f.tensor("a", np.float32, ("batch", m, k)))
    f.const("b", packed_b(b))
    f.const("bias", bias)
    f.tensor("y", np.float32, ("batch", m, n))
    f.node("MatMulPackedB", ["a", "b", "bias"], ["y"], name="fc", n=n, activation=1)   # 1 = Relu
    f.outputs.append(f.ids["y"])
    path = tmp_path / "packed.dlrt"
    path.write_bytes(f.tobytes())
    a = rng.standard_normal((2, m, k)).astype(np.float32)
    want = np.maximum(a.astype(np.float64) @ b.astype(np.float64) + bias, 0)
    with dlrt_mod.Model(path) as model:
        got = model.run({"a": a})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.sqrt(k))


def test_gelu_chain_broadcasting_to_a_higher_rank_is_not_fused(cli, convert, dlrt_mod):
    b = GraphBuilder(14)
    x = "x"
    e = b.node("Add", [b.node("Erf", [b.node("Div", [x, b.const(np.array(1.4142135, np.float32))])]),
                       b.const(np.array(1.0, np.float32))])
    y = b.node("Mul", [b.node("Mul", [x, e]), b.const(np.full((1, 1, 1), 0.5, np.float32))])
    b.node("Identity", [y], name="y")
    model = b.build("gelu_rank", [vi("x", [3, 5])], [vi("y_output_0", [1, 3, 5])], opset=17)
    path = convert(model, "gelu_rank")
    with dlrt_mod.Model(path) as m:
        feeds = {"x": rnd(5, 3, 5)}
        compare("gelu_rank", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


def gelu_tanh_model(variant: int, kappa: float = 0.044715, outside_reader: bool = False) -> onnx.ModelProto:
    """GPT-2's GELU, 0.5·x·(1 + tanh(√(2/π)·(x + κ·x³))), as exporters write it: variant 0 HF
    NewGELU (Pow, (0.5·x)·(1 + tanh)), 1 PyTorch gelu(approximate="tanh") with x·(x·x) and
    constants first, 2 (x·x)·x and (x·(1 + tanh))·0.5."""
    b = GraphBuilder(15)
    f = lambda v: b.const(np.array(v, np.float32))
    x = b.node("MatMul", ["x", b.weight([23, 41], scale=1.0)])
    if variant == 0:
        cube = b.node("Pow", [x, f(3.0)])
    elif variant == 1:
        cube = b.node("Mul", [x, b.node("Mul", [x, x])])
    else:
        cube = b.node("Mul", [b.node("Mul", [x, x]), x])
    inner = b.node("Add", [x, b.node("Mul", [cube, f(kappa)])] if variant != 1 else [b.node("Mul", [f(kappa), cube]), x])
    t = b.node("Tanh", [b.node("Mul", [f(0.7978845608028654), inner] if variant == 1 else [inner, f(0.7978845608028654)])])
    e = b.node("Add", [f(1.0), t] if variant == 1 else [t, f(1.0)])
    if variant == 2:
        y = b.node("Mul", [b.node("Mul", [x, e]), f(0.5)])
    else:
        y = b.node("Mul", [b.node("Mul", [f(0.5), x]), e])
    if outside_reader:
        y = b.node("Add", [y, t])
    b.node("Identity", [y], name="y")
    return b.build("gelu_tanh", [vi("x", ["batch", 23])], [vi("y_output_0", ["batch", 41])], opset=17)


@pytest.mark.parametrize("variant", [0, 1, 2])
def test_gelu_tanh_chain_fused_matches_onnxruntime(cli, convert, dlrt_mod, variant):
    model = gelu_tanh_model(variant)
    path = convert(model, f"gelu_tanh_{variant}")
    counts = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]
    assert counts.get("Gelu") == 1 and "Tanh" not in counts and "Mul" not in counts and "Pow" not in counts, counts
    with dlrt_mod.Model(path) as m:
        for bs in (1, 5, 67):
            feeds = {"x": rnd(30 + bs, bs, 23)}
            feeds["x"][0, :3] = [np.nan, 40.0, -40.0]
            compare("gelu_tanh", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kappa,outside", [(0.045, False), (0.044715, True)], ids=["wrong_constant", "outside_reader"])
def test_gelu_tanh_chain_not_fused(cli, convert, dlrt_mod, kappa, outside):
    model = gelu_tanh_model(0, kappa=kappa, outside_reader=outside)
    path = convert(model, f"gelu_tanh_nofuse_{int(outside)}")
    counts = json.loads(run_cli(cli, "inspect", path, "--json", check=True).stdout)["op_counts"]
    assert "Gelu" not in counts and counts.get("Tanh") == 1, counts
    with dlrt_mod.Model(path) as m:
        feeds = {"x": rnd(4, 3, 23)}
        compare("gelu_tanh_nofuse", m.run(feeds), ort_run(model, feeds), rtol=1e-4, atol=1e-5)
