"""`dlrt convert --weights int8` (dynamic activation mode; docs/QUANTIZATION.md).

Gemm / MatMul (constant B) and Conv get symmetric per-output-channel int8 weights and run as
DynamicQuantizeMatMul / DynamicQuantizeConv (u8 activations quantized per run, integer dot
products). For each model: the weights shrink to about a quarter, outputs stay within cosine 0.99
of the float32 conversion and of onnxruntime, predictions agree; refusals are clear.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

import models
from conftest import ort_run, run_cli

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "examples" / "digits"
sys.path.insert(0, str(REPO / "examples" / "control_loop"))


def _policy():
    import make_policy
    return make_policy.build(0)


def _bert():
    from test_transformer import bert_layer
    return bert_layer(False, 17)


def _gemm_alpha_beta():
    return next(c for c in models.gemm_variants() if c.name == "gemm_alpha_beta")


def _gemm_large():
    return next(c for c in models.gemm_variants() if c.name == "gemm_large")


def _matmul_2d():
    """MatMul with a constant 2-D B on 3-D activations (nn.Linear on a sequence), odd sizes."""
    b = models.GraphBuilder(7100)
    b.nodes.append(helper.make_node("MatMul", ["x", b.weight((67, 33), scale=0.2)], ["y"], name="/MatMul"))
    m = b.build("matmul_2d", [models.vi("x", ["batch", 5, 67])], [models.vi("y", ["batch", 5, 33])])
    return models.Case("matmul_2d", m, [{"x": models.rnd(7101, 1, 5, 67)}, {"x": models.rnd(7102, 3, 5, 67)}])


CASES = {
    "mlp_gemm": lambda: models.mlp_gemm(17),
    "mlp_matmul": lambda: models.mlp_matmul(17),
    "matmul_2d": _matmul_2d,
    "gemm_alpha_beta": _gemm_alpha_beta,
    "gemm_large": _gemm_large,
    "cnn_pytorch": lambda: models.cnn_pytorch(17),     # depthwise, residual, grouped, dilated, strided
    "cnn_logits": lambda: models.cnn_logits(17),       # auto_pad, leaky relu, flatten
    "mobilenet_like": lambda: models.mobilenet_like(),
    "bert_layer": _bert,
}


@pytest.fixture(scope="module")
def pair(cli, tmp_path_factory):
    """pair(name, onnx model or path) -> (f32 path, int8 path, convert output of the int8 run)."""
    import onnx
    root = tmp_path_factory.mktemp("int8")
    cache = {}

    def _pair(name, model):
        if name in cache:
            return cache[name]
        src = root / f"{name}.onnx"
        if isinstance(model, onnx.ModelProto):
            onnx.save(model, str(src))
        else:
            src = Path(model)
        f32, q8 = root / f"{name}.f32.dlrt", root / f"{name}.int8.dlrt"
        run_cli(cli, "convert", src, "-o", f32, check=True)
        r = run_cli(cli, "convert", src, "-o", q8, "--weights", "int8", check=True)
        cache[name] = (f32, q8, r.stdout + r.stderr)
        return cache[name]

    return _pair


def cosine(a, b) -> float:
    a, b = np.ravel(a).astype(np.float64), np.ravel(b).astype(np.float64)
    return float(a @ b / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-30))


def summary(out: str):
    m = re.search(r"int8 weights: (\d+) layers? quantized, (\d+) → (\d+) bytes", out)
    assert m, f"no int8 summary in the convert output:\n{out}"
    return int(m.group(1)), int(m.group(2)), int(m.group(3))


@pytest.mark.parametrize("name", sorted(CASES))
def test_models_int8_close_to_f32_and_onnxruntime(name, pair, dlrt_mod):
    case = CASES[name]()
    f32, q8, out = pair(name, case.model)
    n, before, after = summary(out)
    # int8 values + one float32 scale per channel (tiny layers: the scales weigh more)
    assert n >= 1 and (before < 4096 or after <= 0.3 * before), (before, after)
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8:
        assert m8.metadata["weights"] == "int8"
        for i, feeds in enumerate(case.feeds):
            a, b = m32.run(feeds), m8.run(feeds)
            ref = ort_run(case.model, feeds)
            for k in a:
                assert b[k].shape == a[k].shape and b[k].dtype == a[k].dtype
                c = cosine(a[k], b[k])
                assert c >= 0.99, f"{name} run {i} output {k}: cosine {c:.5f} vs float32"
                assert cosine(b[k], ref[k]) >= 0.99, f"{name} run {i} output {k}: vs onnxruntime"


def test_policy_mlp_quarter_size(pair, dlrt_mod):
    """The control-loop policy (24→256→256→6): weights are nearly the whole file."""
    f32, q8, _ = pair("policy", _policy())
    ratio = q8.stat().st_size / f32.stat().st_size
    assert 0.24 <= ratio <= 0.30, ratio
    x = np.random.default_rng(5).standard_normal((64, 24)).astype(np.float32)
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8:
        a, b = m32.run({"observation": x})["action"], m8.run({"observation": x})["action"]
    assert cosine(a, b) >= 0.995
    assert (a.argmax(1) == b.argmax(1)).mean() >= 0.95


def test_digits_accuracy_holds(pair, dlrt_mod):
    f32, q8, _ = pair("digits", DIGITS / "digits_cnn.onnx")
    assert q8.stat().st_size < 0.35 * f32.stat().st_size
    data = np.load(DIGITS / "digits_test.npz")
    x, labels = data["images"].astype(np.float32), data["labels"]
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8:
        a, b = m32.run({"input": x})["probabilities"], m8.run({"input": x})["probabilities"]
    agree = float((a.argmax(1) == b.argmax(1)).mean())
    assert agree >= 0.99, f"int8 predictions agree with float32 on {agree:.2%} of {len(x)} images"
    acc32, acc8 = (a.argmax(1) == labels).mean(), (b.argmax(1) == labels).mean()
    assert acc8 >= acc32 - 0.01, (acc32, acc8)


def test_inspect_shows_int8_weights(cli, pair):
    _, q8, out = pair("digits", DIGITS / "digits_cnn.onnx")
    info = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)
    assert info["metadata"]["weights"] == "int8"
    ints = {c["name"] for c in info["constants"] if c["dtype"] == "int8"}
    assert {"conv2.weight", "fc.weight"} <= ints, ints
    assert info["op_counts"]["DynamicQuantizeConv"] == 2 and info["op_counts"]["DynamicQuantizeMatMul"] == 1
    text = run_cli(cli, "inspect", q8, check=True).stdout
    assert re.search(r"fc\.weight: int8 \[512, 10\] 5120 bytes quantized axis=1 scales=10", text), text


def test_depthwise_kept_float_with_note(pair, dlrt_mod):
    _, q8, out = pair("mobilenet_like", models.mobilenet_like().model)
    assert re.search(r"Conv '[^']*' kept float32: depthwise", out), out


def test_int8_runs_with_two_threads_and_batches(pair, dlrt_mod):
    case = models.cnn_pytorch(17)
    f32, q8, _ = pair("cnn_pytorch", case.model)
    with dlrt_mod.Model(q8, threads=2) as m2, dlrt_mod.Model(q8) as m1, dlrt_mod.Model(f32) as m32:
        for n in (1, 5, 1, 3):
            feeds = {"input": models.rnd(4000 + n, n, 3, 16, 16)}
            two, one = m2.run(feeds)["probs"], m1.run(feeds)["probs"]
            assert np.array_equal(two, one), "results depend on the thread count"
            assert cosine(two, m32.run(feeds)["probs"]) >= 0.99


def test_other_weight_types_refused(cli, tmp_path):
    out = tmp_path / "x.dlrt"
    r = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", out, "--weights", "uint8")
    assert r.returncode != 0 and "--weights must be float32, float16 or int8, got 'uint8'" in r.stderr
    assert not out.exists()


def test_nothing_to_quantize_warns(cli, tmp_path):
    b = models.GraphBuilder(7200)
    b.nodes.append(helper.make_node("Relu", ["x"], ["y"], name="/Relu"))
    m = b.build("relu", [models.vi("x", [2, 3])], [models.vi("y", [2, 3])])
    import onnx
    src = tmp_path / "relu.onnx"
    onnx.save(m, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "relu.dlrt", "--weights", "int8", check=True)
    assert "no Gemm / MatMul / Conv weight could be quantized" in r.stdout + r.stderr


# ---- static mode: --calibration samples.npz ----------------------------------------------------

def convert_static(cli, src, dst, samples: dict, tmp_path, *extra):
    import onnx
    if isinstance(src, onnx.ModelProto):
        path = tmp_path / (dst.stem + ".onnx")
        onnx.save(src, str(path))
        src = path
    calib = tmp_path / (dst.stem + ".calib.npz")
    np.savez(calib, **samples)
    return run_cli(cli, "convert", src, "-o", dst, "--weights", "int8", "--calibration", calib, *extra)


def test_static_digits_within_half_a_point(cli, pair, dlrt_mod, tmp_path):
    f32, _, _ = pair("digits", DIGITS / "digits_cnn.onnx")
    data = np.load(DIGITS / "digits_test.npz")
    x, labels = data["images"].astype(np.float32), data["labels"]
    q8 = tmp_path / "digits.static.dlrt"
    r = convert_static(cli, DIGITS / "digits_cnn.onnx", q8, {"input": x[:100]}, tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2 activations passed as u8" in r.stdout, r.stdout
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8:
        assert m8.metadata["activations"] == "static"
        a, b = m32.run({"input": x})["probabilities"], m8.run({"input": x})["probabilities"]
    acc32, acc8 = (a.argmax(1) == labels).mean(), (b.argmax(1) == labels).mean()
    assert acc8 >= acc32 - 0.005, (acc32, acc8)
    assert (a.argmax(1) == b.argmax(1)).mean() >= 0.99
    info = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)
    assert info["op_counts"]["QuantizedConv"] == 2 and info["op_counts"]["QuantizedMatMul"] == 1


@pytest.mark.parametrize("method", ["minmax", "percentile"])
@pytest.mark.parametrize("name", ["cnn_pytorch", "mlp_gemm", "cnn_logits", "bert_layer"])
def test_static_models_close_to_f32(name, method, cli, pair, dlrt_mod, tmp_path):
    case = CASES[name]()
    f32, _, _ = pair(name, case.model)
    # Calibrate on other samples than the ones compared.
    if name == "bert_layer":
        rng = np.random.default_rng(9000)
        samples = {"input_ids": rng.integers(0, 50, (24, 17)).astype(np.int64),
                   "attention_mask": np.ones((24, 17), np.int64), "token_type_ids": np.zeros((24, 17), np.int64)}
    else:
        samples = {k: models.rnd(9000, 24, *v.shape[1:]) for k, v in case.feeds[0].items()}
    q8 = tmp_path / f"{name}.{method}.dlrt"
    extra = ("--calibration-method", method) + (("--percentile", "99.9") if method == "percentile" else ())
    r = convert_static(cli, case.model, q8, samples, tmp_path, *extra)
    assert r.returncode == 0, r.stderr
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(q8) as m8:
        for i, feeds in enumerate(case.feeds):
            a, b = m32.run(feeds), m8.run(feeds)
            for k in a:
                assert b[k].shape == a[k].shape and b[k].dtype == a[k].dtype == np.float32
                c = cosine(a[k], b[k])
                assert c >= 0.98, f"{name} {method} run {i} output {k}: cosine {c:.5f} vs float32"


def test_static_chain_stays_u8(cli, dlrt_mod, tmp_path):
    """Conv→Relu→Conv→Relu→Conv: the two inner activations are u8 in the file."""
    b = models.GraphBuilder(7300)
    h = b.node("Relu", [b.conv("x", 3, 8)])
    h = b.node("Relu", [b.conv(h, 8, 8)])
    b.nodes.append(helper.make_node("Conv", [h, b.weight((4, 8, 3, 3)), b.const(models.rnd(7301, 4))], ["y"],
                                    name="/last", pads=[1, 1, 1, 1]))
    m = b.build("chain", [models.vi("x", ["n", 3, 12, 12])], [models.vi("y", ["n", 4, 12, 12])])
    q8 = tmp_path / "chain.dlrt"
    r = convert_static(cli, m, q8, {"x": models.rnd(7302, 32, 3, 12, 12)}, tmp_path)
    assert r.returncode == 0 and "2 activations passed as u8" in r.stdout, r.stdout + r.stderr
    text = run_cli(cli, "inspect", q8, check=True).stdout
    assert "QuantizedConv×3" in text
    x = models.rnd(7303, 2, 3, 12, 12)
    with dlrt_mod.Model(q8) as m8:
        got = m8.run({"x": x})["y"]
    want = ort_run(m, {"x": x})["y"]
    assert cosine(got, want) >= 0.995


@pytest.mark.parametrize("args,message", [
    (("--weights", "float16", "--calibration", "CAL"), "--calibration needs --weights int8"),
    (("--weights", "int8", "--calibration", "CAL", "--calibration-method", "entropy"),
     "--calibration-method must be minmax or percentile, got 'entropy'"),
    (("--weights", "int8", "--calibration", "CAL", "--percentile", "20"), "--percentile must be a number in (50, 100]"),
    (("--weights", "int8", "--calibration", "WRONG"), "no array for input 'input'"),
    (("--weights", "int8", "--calibration", "INT"), "array 'input' is int32, the input is float32"),
    (("--weights", "int8", "--calibration", "MISSING"), "MISSING"),
    (("--weights", "int8", "--percentile", "99"), "--calibration-method and --percentile need --calibration"),
])
def test_calibration_refusals(args, message, cli, tmp_path):
    np.savez(tmp_path / "cal.npz", input=np.zeros((4, 1, 8, 8), np.float32))
    np.savez(tmp_path / "wrong.npz", image=np.zeros((4, 1, 8, 8), np.float32))
    np.savez(tmp_path / "int.npz", input=np.zeros((4, 1, 8, 8), np.int32))
    paths = {"CAL": tmp_path / "cal.npz", "WRONG": tmp_path / "wrong.npz", "INT": tmp_path / "int.npz",
             "MISSING": tmp_path / "missing.npz"}
    out = tmp_path / "x.dlrt"
    r = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", out, *[str(paths.get(a, a)) for a in args])
    message = message.replace("MISSING", str(paths["MISSING"]))
    assert r.returncode != 0 and message in r.stderr, r.stderr
    assert not out.exists()


def test_calibration_reads_compressed_npz(cli, tmp_path, dlrt_mod):
    data = np.load(DIGITS / "digits_test.npz")
    np.savez_compressed(tmp_path / "cal.npz", input=data["images"][:50].astype(np.float32))
    r = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", tmp_path / "d.dlrt", "--weights", "int8",
                "--calibration", tmp_path / "cal.npz")
    assert r.returncode == 0, r.stderr


def test_report_in_convert_and_inspect(cli, tmp_path):
    out = tmp_path / "d.dlrt"
    r = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", out, "--weights", "int8", "--report", check=True)
    rows = [l for l in r.stdout.splitlines() if re.match(r"\s+/(conv1|conv2|fc)/", l)]
    assert len(rows) == 3, r.stdout
    for row in rows:  # scale range, relative error < 2 %, bytes shrink about 4×
        m = re.search(r"(\S+) … (\S+)\s+(\S+)\s+(\d+) → (\d+)$", row)
        assert m, row
        lo, hi, err, before, after = float(m[1]), float(m[2]), float(m[3]), int(m[4]), int(m[5])
        assert 0 < lo <= hi and 0 < err < 0.02 and after < before / 2.5, row
    assert re.search(r"total: 3 layers, weights 39488 → 10104 bytes", r.stdout), r.stdout
    text = run_cli(cli, "inspect", out, check=True).stdout
    assert rows[0] in text and "int8_report" not in text
    plain = run_cli(cli, "convert", DIGITS / "digits_cnn.onnx", "-o", tmp_path / "f.dlrt", "--report", check=True).stdout
    assert "int8 layers" not in plain


# ---- quantized ONNX input ----------------------------------------------------------------------

def _ort_quantize(tmp_path, case, fmt, calib):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process
    import onnx
    src, pre, out = tmp_path / "f.onnx", tmp_path / "pre.onnx", tmp_path / f"{fmt}.onnx"
    onnx.save(case.model, str(src))
    quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.items = iter(calib)

        def get_next(self):
            return next(self.items, None)

    quantize_static(str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator,
                    per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    return out


@pytest.mark.parametrize("name", ["cnn_pytorch", "mlp_matmul", "mobilenet_like", "mlp_gemm"])
def test_qdq_model_from_onnxruntime(name, cli, dlrt_mod, tmp_path):
    """onnxruntime's quantize_static (QDQ, per channel): converts to int8 static with the model's own
    ranges and matches onnxruntime running the same quantized model."""
    import onnxruntime as ort
    case = CASES[name]()
    key = next(iter(case.feeds[0]))
    calib = [{key: models.rnd(8000 + i, 1, *case.feeds[0][key].shape[1:])} for i in range(16)]
    qdq = _ort_quantize(tmp_path, case, "qdq", calib)
    out = tmp_path / "q.dlrt"
    r = run_cli(cli, "convert", qdq, "-o", out, check=True)
    assert re.search(r"quantized ONNX: \d+ activation ranges", r.stdout), r.stdout
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(qdq), so, providers=["CPUExecutionProvider"])
    with dlrt_mod.Model(out) as m:
        assert m.metadata["weights"] == "int8" and m.metadata["activations"] == "static"
        for feeds in case.feeds:
            got = m.run(feeds)
            want = dict(zip([o.name for o in sess.get_outputs()], sess.run(None, feeds)))
            for k in got:
                assert cosine(got[k], want[k]) >= 0.999, f"{name} output {k}: cosine vs onnxruntime's int8 run"
                assert cosine(got[k], ort_run(case.model, feeds)[k]) >= 0.99
    ops = json.loads(run_cli(cli, "inspect", out, "--json", check=True).stdout)["op_counts"]
    assert "QuantizedConv" in ops or "QuantizedMatMul" in ops, ops


def test_qlinear_operator_format_and_dynamic_ops_refused(cli, tmp_path):
    case = models.cnn_pytorch(17)
    calib = [{"input": models.rnd(8100 + i, 1, 3, 16, 16)} for i in range(4)]
    qop = _ort_quantize(tmp_path, case, "qop", calib)
    r = run_cli(cli, "convert", qop, "-o", tmp_path / "x.dlrt")
    # QLinearAdd / QLinearGlobalAveragePool… are not imported; a uint8 MaxPool is refused first here
    assert r.returncode != 0 and ("which dlrt does not import" in r.stderr or "MaxPool computes float32 only" in r.stderr), r.stderr
    from onnxruntime.quantization import quantize_dynamic
    import onnx
    src = tmp_path / "mlp.onnx"
    onnx.save(models.mlp_matmul(17).model, str(src))
    quantize_dynamic(str(src), str(tmp_path / "dyn.onnx"))
    # quantize_dynamic's integer ops are imported (Tests/python/test_int8_import.py)
    run_cli(cli, "convert", tmp_path / "dyn.onnx", "-o", tmp_path / "y.dlrt", check=True)


def test_qlinearconv_expanded(cli, dlrt_mod, tmp_path):
    """A hand-built QuantizeLinear → QLinearConv → DequantizeLinear graph (ONNX's operator form)."""
    import onnx
    from onnx import TensorProto, numpy_helper
    rng = np.random.default_rng(5)
    w = rng.integers(-127, 128, (4, 3, 3, 3)).astype(np.int8)
    ws = (0.01 + 0.01 * rng.random(4)).astype(np.float32)
    bias = rng.integers(-500, 500, 4).astype(np.int32)
    inits = [numpy_helper.from_array(v, n) for v, n in [
        (np.array(0.02, np.float32), "xs"), (np.array(128, np.uint8), "xz"), (w, "w"), (ws, "ws"),
        (np.zeros(4, np.int8), "wz"), (np.array(0.05, np.float32), "ys"), (np.array(10, np.uint8), "yz"), (bias, "b")]]
    nodes = [helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
             helper.make_node("QLinearConv", ["xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["yq"], pads=[1, 1, 1, 1]),
             helper.make_node("DequantizeLinear", ["yq", "ys", "yz"], ["y"])]
    g = helper.make_graph(nodes, "qlinear", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    src = tmp_path / "ql.onnx"
    onnx.save(m, str(src))
    out = tmp_path / "ql.dlrt"
    run_cli(cli, "convert", src, "-o", out, check=True)
    x = (rng.standard_normal((1, 3, 8, 8)) * 2).astype(np.float32)
    want = ort_run(m, {"x": x})["y"]
    with dlrt_mod.Model(out) as mm:
        got = mm.run({"x": x})["y"]
    # dlrt re-quantizes the dequantized weights (scale max|w| / 127) and does not round the float
    # output to onnxruntime's u8 steps (0.05): within two steps, clamped to the same range
    assert np.abs(got - want).max() <= 0.1 and np.abs(got - want).mean() < 0.02
    assert got.min() >= -0.5 - 1e-6 and got.max() <= 245 * 0.05 + 1e-5


def test_static_maxpool_on_u8(cli, dlrt_mod, tmp_path):
    """Conv→Relu→MaxPool→Conv stays u8 through the pool; a pool feeding float ops dequantizes."""
    b = models.GraphBuilder(7400)
    h = b.node("Relu", [b.conv("x", 3, 8)])
    p = b.node("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    h2 = b.node("Relu", [b.conv(p, 8, 8)])
    p2 = b.node("MaxPool", [h2], kernel_shape=[2, 2], strides=[2, 2])
    b.nodes.append(helper.make_node("Add", [p2, b.const(models.rnd(7401, 1, 8, 1, 1))], ["y"], name="/add"))
    m = b.build("pool", [models.vi("x", ["n", 3, 16, 16])], [models.vi("y", ["n", 8, 4, 4])])
    q8 = tmp_path / "pool.dlrt"
    r = convert_static(cli, m, q8, {"x": models.rnd(7402, 32, 3, 16, 16)}, tmp_path)
    assert r.returncode == 0, r.stderr
    ops = json.loads(run_cli(cli, "inspect", q8, "--json", check=True).stdout)["op_counts"]
    assert ops.get("QuantizedMaxPool") == 2 and ops.get("QuantizedConv") == 2, ops
    for n in (1, 3):
        x = models.rnd(7403 + n, n, 3, 16, 16)
        with dlrt_mod.Model(q8) as m8:
            got = m8.run({"x": x})["y"]
        assert cosine(got, ort_run(m, {"x": x})["y"]) >= 0.995


def test_python_convert_int8_static_with_calibration_dict(dlrt_mod, tmp_path):
    """dlrt.convert(weights="int8", calibration={name: samples}) from Python: a quarter of the
    size, the digits predictions within half a point of float32."""
    import tempfile
    data = np.load(DIGITS / "digits_test.npz")
    x, labels = data["images"].astype(np.float32), data["labels"]
    leftovers = lambda: set(Path(tempfile.gettempdir()).glob("dlrt-calibration-*"))  # noqa: E731
    before = leftovers()
    out = dlrt_mod.convert(DIGITS / "digits_cnn.onnx", tmp_path / "d.dlrt", weights="int8",
                           calibration={"input": x[:64]}, calibration_method="percentile")
    f32 = dlrt_mod.convert(DIGITS / "digits_cnn.onnx", tmp_path / "f.dlrt")
    assert out.stat().st_size < 0.4 * f32.stat().st_size
    with dlrt_mod.Model(out) as m, dlrt_mod.Model(f32) as r:
        acc8 = float((m.run({"input": x})["probabilities"].argmax(1) == labels).mean())
        acc32 = float((r.run({"input": x})["probabilities"].argmax(1) == labels).mean())
    assert acc8 >= acc32 - 0.005
    with pytest.raises(dlrt_mod.Error, match="calibration"):
        dlrt_mod.convert(DIGITS / "digits_cnn.onnx", tmp_path / "bad.dlrt", weights="int8",
                         calibration={"no_such_input": x[:4]})
    assert not (tmp_path / "bad.dlrt").exists()
    assert leftovers() == before     # the temporary .npz is removed, also after a failure


# ---- bias Add fusion and odd channel counts (docs/QUANTIZATION.md "Bias Add fusion", "Kernels") ---

def _linear_bias(tap: bool, bias_first: bool):
    """x [batch, 5, 67] · B [67, 33] + bias [33] (both Add operand orders); with `tap` the MatMul's
    output is also a graph output, which keeps the Add a float Add (the unfused reference)."""
    b = models.GraphBuilder(7300)
    w, bias = b.weight((67, 33), scale=0.2), b.weight((33,), scale=0.5)
    b.nodes.append(helper.make_node("MatMul", ["x", w], ["mm"], name="/MatMul"))
    b.nodes.append(helper.make_node("Add", [bias, "mm"] if bias_first else ["mm", bias], ["y"], name="/Add"))
    outs = [models.vi("y", ["batch", 5, 33])] + ([models.vi("mm", ["batch", 5, 33])] if tap else [])
    return b.build("linear_bias", [models.vi("x", ["batch", 5, 67])], outs)


@pytest.mark.parametrize("bias_first", [False, True])
def test_bias_add_fused_bit_identical(cli, dlrt_mod, tmp_path, bias_first):
    import onnx
    paths = {}
    for tap in (False, True):
        src, dst = tmp_path / f"lin{tap}.onnx", tmp_path / f"lin{tap}.int8.dlrt"
        onnx.save(_linear_bias(tap, bias_first), str(src))
        run_cli(cli, "convert", src, "-o", dst, "--weights", "int8", check=True)
        paths[tap] = dst
    ops = json.loads(run_cli(cli, "inspect", paths[False], "--json", check=True).stdout)["op_counts"]
    assert "Add" not in ops and ops["DynamicQuantizeMatMul"] == 1, ops
    ops = json.loads(run_cli(cli, "inspect", paths[True], "--json", check=True).stdout)["op_counts"]
    assert ops.get("Add") == 1, ops  # the MatMul's output is read elsewhere: not fused
    with dlrt_mod.Model(paths[False]) as fused, dlrt_mod.Model(paths[True]) as plain:
        for n in (1, 3):
            x = models.rnd(7310 + n, n, 5, 67)
            a, b = fused.run({"x": x})["y"], plain.run({"x": x})["y"]
            assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), "fused bias differs from MatMul + Add"
            ref = ort_run(_linear_bias(False, bias_first), {"x": x})["y"]
            assert cosine(a, ref) >= 0.999


@pytest.mark.parametrize("channels", [1, 2, 3, 5, 6])
def test_conv_odd_channels_static_and_dynamic(cli, dlrt_mod, tmp_path, channels):
    """Stem-like convs (7×7 / 3×3, stride 2, padding) on 1…6 input channels (multiples of 4 take
    the implicit GEMM on AVX-512 VNNI, the others im2col), fed float and u8: static and dynamic
    results stay close to float32, identical across thread counts."""
    b = models.GraphBuilder(7400 + channels)
    p = b.node("Relu", [b.conv("x", channels, channels, k=1, pad=0)])  # static: the stem then reads u8
    y = b.conv(p, channels, 16, k=7, stride=2, pad=3)
    r = b.node("Relu", [y])
    z = b.conv(r, 16, 8, k=3, stride=1, pad=1)
    b.nodes.append(helper.make_node("Identity", [z], ["out"]))
    m = b.build("stem", [models.vi("x", ["batch", channels, 23, 21])], [models.vi("out", ["batch", 8, 12, 11])])
    feeds = [{"x": models.rnd(7410 + i, n, channels, 23, 21)} for i, n in enumerate((1, 2))]
    import onnx
    src = tmp_path / "stem.onnx"
    onnx.save(m, str(src))
    f32, dyn, st = tmp_path / "stem.dlrt", tmp_path / "stem.dyn.dlrt", tmp_path / "stem.static.dlrt"
    run_cli(cli, "convert", src, "-o", f32, check=True)
    run_cli(cli, "convert", src, "-o", dyn, "--weights", "int8", check=True)
    r = convert_static(cli, src, st, {"x": np.concatenate([f["x"] for f in feeds])}, tmp_path)
    assert r.returncode == 0, r.stderr
    with dlrt_mod.Model(f32) as m32, dlrt_mod.Model(dyn) as md, dlrt_mod.Model(st) as ms, \
            dlrt_mod.Model(st, threads=2) as ms2:
        for f in feeds:
            want = m32.run(f)["out"]
            assert cosine(md.run(f)["out"], want) >= 0.995
            one = ms.run(f)["out"]
            assert cosine(one, want) >= 0.99
            assert np.array_equal(one, ms2.run(f)["out"]), "results depend on the thread count"
