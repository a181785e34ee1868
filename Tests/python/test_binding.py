"""The Python binding: introspection, metadata, error reporting, lifetime, from_bytes."""
from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading

import numpy as np
import onnx
import pytest
from onnx import helper

import models
from conftest import REPO, compare, ort_run


@pytest.fixture(scope="module")
def mlp(convert):
    case = models.mlp_gemm(17)  # input x [batch, 24] -> y [batch, 6], metadata labels=a..f
    return case, convert(case.model, case.name)


@pytest.fixture(scope="module")
def two_io(convert):
    case = models.layout_ops()  # inputs a, b; outputs flat, cat
    return case, convert(case.model, case.name)


# ---- versions ------------------------------------------------------------------------------------

def test_versions(dlrt_mod):
    assert re.fullmatch(r"\d+\.\d+\.\d+", dlrt_mod.version()), dlrt_mod.version()
    major, minor = dlrt_mod.format_version()
    assert major >= 1 and minor >= 0


def test_isa(dlrt_mod):
    assert dlrt_mod.isa() in ("avx512", "avx2", "baseline")


def test_isa_override_lowers_only():
    """DLRT_ISA lowers the kernel level (a fresh process per value: it is read once)."""
    import os
    code = "import dlrt; print(dlrt.isa())"
    env = {**os.environ, "PYTHONPATH": str(REPO / "bindings" / "python")}
    levels = ["baseline", "avx2", "avx512"]
    best = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={**env, "DLRT_ISA": ""}).stdout.strip()
    for forced in levels:
        got = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**env, "DLRT_ISA": forced}).stdout.strip()
        assert got == levels[min(levels.index(forced), levels.index(best))], (forced, got, best)


def test_ffi_table_covers_header():
    """_ffi declares exactly the functions of include/dlrt.h."""
    from dlrt import _ffi
    header = (REPO / "include" / "dlrt.h").read_text()
    declared = set(re.findall(r"\b(dlrt_[a-z0-9_]+)\s*\(", header))
    declared -= {"dlrt_status", "dlrt_dtype"}
    assert declared == set(_ffi._FUNCTIONS), (sorted(declared - set(_ffi._FUNCTIONS)),
                                              sorted(set(_ffi._FUNCTIONS) - declared))


# ---- introspection -------------------------------------------------------------------------------

def test_inputs_outputs(mlp, dlrt_mod):
    _, path = mlp
    with dlrt_mod.Model(path) as m:
        assert [(t.name, t.dtype, t.shape) for t in m.inputs] == [("x", np.dtype(np.float32), ("batch", 24))]
        assert [(t.name, t.dtype, t.shape) for t in m.outputs] == [("y", np.dtype(np.float32), ("batch", 6))]
        assert isinstance(m.inputs[0], dlrt_mod.TensorInfo)
        assert "x" in repr(m)


def test_two_inputs_two_outputs(two_io, dlrt_mod):
    case, path = two_io
    with dlrt_mod.Model(path) as m:
        assert [t.name for t in m.inputs] == ["a", "b"]
        assert [t.name for t in m.outputs] == ["flat", "cat"]
        assert m.inputs[1].shape == ("batch", 3, 2, 5)
        # feeds in any order, subset of outputs
        feeds = case.feeds[1]
        out = m.run({"b": feeds["b"], "a": feeds["a"]}, output_names=["cat"])
        assert list(out) == ["cat"]
        np.testing.assert_allclose(out["cat"], ort_run(case.model, feeds)["cat"], rtol=1e-6)


def test_fixed_shape_dims(convert, dlrt_mod):
    case = next(c for c in models.conv_variants() if c.name == "conv_stride2_pad1")
    with dlrt_mod.Model(convert(case.model, case.name)) as m:
        assert m.inputs[0].shape == (1, 4, 9, 9)
        assert m.outputs[0].shape == (1, 6, 5, 5)
        assert m.arena_bytes >= 0


def test_int64_dtypes(convert, dlrt_mod):
    case = models.layout_int64()
    with dlrt_mod.Model(convert(case.model, case.name)) as m:
        assert m.inputs[0].dtype == np.int64 and m.outputs[0].dtype == np.int64
        out = m.run(case.feeds[0])["out"]
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out, ort_run(case.model, case.feeds[0])["out"])


def test_metadata(mlp, dlrt_mod):
    _, path = mlp
    with dlrt_mod.Model(path) as m:
        md = m.metadata
        assert md.get("labels") == "a,b,c,d,e,f", md
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in md.items())
        md["labels"] = "changed"  # a copy
        assert m.metadata["labels"] == "a,b,c,d,e,f"


# ---- load errors ---------------------------------------------------------------------------------

def test_missing_file(dlrt_mod, tmp_path):
    p = tmp_path / "does_not_exist.dlrt"
    with pytest.raises(dlrt_mod.Error) as ei:
        dlrt_mod.Model(p)
    e = ei.value
    assert e.status == "DLRT_ERROR_IO", e
    assert e.code == 2
    assert "does_not_exist.dlrt" in e.message, e.message


def test_not_a_model(dlrt_mod, tmp_path):
    p = tmp_path / "garbage.dlrt"
    p.write_bytes(b"this is not a dlrt file at all" * 10)
    with pytest.raises(dlrt_mod.Error) as ei:
        dlrt_mod.Model(p)
    assert ei.value.status == "DLRT_ERROR_INVALID_MODEL", ei.value


def test_onnx_file_is_rejected(dlrt_mod, tmp_path):
    p = tmp_path / "model.onnx"
    onnx.save(models.mlp_gemm(17).model, str(p))
    with pytest.raises(dlrt_mod.Error) as ei:
        dlrt_mod.Model(p)
    assert ei.value.status == "DLRT_ERROR_INVALID_MODEL", ei.value


@pytest.mark.parametrize("keep", [0, 1, 8, 16, 63, 64, 100, "half", "minus1"])
def test_truncated_file(mlp, dlrt_mod, tmp_path, keep):
    _, path = mlp
    data = path.read_bytes()
    n = {"half": len(data) // 2, "minus1": len(data) - 1}.get(keep, keep)
    assert n < len(data)
    p = tmp_path / "truncated.dlrt"
    p.write_bytes(data[:n])
    with pytest.raises(dlrt_mod.Error) as ei:
        dlrt_mod.Model(p)
    assert ei.value.status in ("DLRT_ERROR_INVALID_MODEL", "DLRT_ERROR_IO"), ei.value
    assert ei.value.message, "empty error message"
    with pytest.raises(dlrt_mod.Error):
        dlrt_mod.Model.from_bytes(data[:n])


def _weight_offset(data: bytes, model: onnx.ModelProto) -> int:
    """Offset of a weight tensor's raw bytes in the .dlrt file (the largest initializer), or -1."""
    inits = sorted(model.graph.initializer, key=lambda t: -len(onnx.numpy_helper.to_array(t).tobytes()))
    for t in inits:
        raw = onnx.numpy_helper.to_array(t).astype(np.float32).tobytes()
        for probe in (raw, raw[:64]):
            i = data.find(probe)
            if i >= 0:
                return i + len(probe) // 2
    return -1


def test_flipped_byte_in_weights_fails_crc(mlp, dlrt_mod, tmp_path):
    case, path = mlp
    data = bytearray(path.read_bytes())
    off = _weight_offset(bytes(data), case.model)
    if off < 0:
        off = len(data) // 2  # weights not stored verbatim (repacked): flip the middle
    data[off] ^= 0x10
    p = tmp_path / "flipped.dlrt"
    p.write_bytes(bytes(data))
    with pytest.raises(dlrt_mod.Error) as ei:
        dlrt_mod.Model(p)
    e = ei.value
    assert e.status == "DLRT_ERROR_INVALID_MODEL", e
    msg = e.message.lower()
    assert "crc" in msg or "checksum" in msg, f"message does not mention the checksum: {e.message!r}"
    assert "section" in msg or "weights" in msg or "constants" in msg, \
        f"message does not name the section: {e.message!r}"


def test_every_flipped_byte_is_handled(mlp):
    """Flip each byte of a small model in turn (in a child process, so a crash is reported rather
    than killing pytest): every load must fail with dlrt.Error, never crash."""
    _, path = mlp
    script = textwrap.dedent(f"""
        import sys, numpy as np
        sys.path.insert(0, {str(REPO / 'bindings' / 'python')!r})
        import dlrt
        data = open({str(path)!r}, 'rb').read()
        x = np.ones((2, 24), np.float32)
        loaded = []
        for i in range(len(data)):
            b = bytearray(data); b[i] ^= 0xFF
            try:
                m = dlrt.Model.from_bytes(bytes(b))
            except dlrt.Error:
                continue
            loaded.append(i)
            try:
                m.run({{'x': x}})
            except dlrt.Error:
                pass
            m.close()
        print('LOADED', len(data), loaded)
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"child crashed (rc {r.returncode}) at some flipped byte:\n{r.stderr[-3000:]}"
    line = next(l for l in r.stdout.splitlines() if l.startswith("LOADED"))
    # docs/FORMAT.md: header, section table and every section are CRC-checked and padding must be
    # zero, so no single flipped byte may load.
    assert line.endswith(" []"), f"flipped bytes that still load (offsets): {line}"


def test_from_bytes(mlp, dlrt_mod):
    case, path = mlp
    data = path.read_bytes()
    x = case.feeds[1]
    with dlrt_mod.Model(path) as a:
        want = a.run(x)["y"]
    for buf in (data, bytearray(data), memoryview(data)):
        with dlrt_mod.Model.from_bytes(buf) as b:
            assert b.metadata.get("labels") == "a,b,c,d,e,f"
            np.testing.assert_array_equal(b.run(x)["y"], want)
    with pytest.raises(dlrt_mod.Error):
        dlrt_mod.Model.from_bytes(b"")


# ---- run errors ----------------------------------------------------------------------------------

def test_wrong_input_name(mlp, dlrt_mod):
    _, path = mlp
    with dlrt_mod.Model(path) as m:
        with pytest.raises(dlrt_mod.Error) as ei:
            m.run({"X": np.zeros((1, 24), np.float32)})
        msg = str(ei.value)
        assert "'X'" in msg and "'x'" in msg, msg  # names the bad one and the expected ones


def test_missing_input(two_io, dlrt_mod):
    case, path = two_io
    with dlrt_mod.Model(path) as m:
        with pytest.raises(dlrt_mod.Error) as ei:
            m.run({"a": case.feeds[0]["a"]})
        assert "missing" in str(ei.value) and "'b'" in str(ei.value), ei.value
        with pytest.raises(dlrt_mod.Error):
            m.run({})


def test_wrong_dtype(mlp, dlrt_mod):
    _, path = mlp
    with dlrt_mod.Model(path) as m:
        for bad in (np.zeros((1, 24), np.float64), np.zeros((1, 24), np.int32), [[0.0] * 24]):
            with pytest.raises(dlrt_mod.Error) as ei:
                m.run({"x": bad})
            msg = str(ei.value)
            assert "float32" in msg and str(np.asarray(bad).dtype) in msg and "'x'" in msg, msg


@pytest.mark.parametrize("shape", [(1, 25), (24,), (1, 1, 24), (2, 12)])
def test_wrong_shape(mlp, dlrt_mod, shape):
    _, path = mlp
    with dlrt_mod.Model(path) as m:
        with pytest.raises(dlrt_mod.Error) as ei:
            m.run({"x": np.zeros(shape, np.float32)})
        e = ei.value
        assert e.status in ("DLRT_ERROR_SHAPE", "DLRT_ERROR_INVALID_ARGUMENT"), e
        assert e.message and ("x" in e.message or "24" in e.message), e.message
        # the model is still usable afterwards
        assert m.run({"x": np.zeros((3, 24), np.float32)})["y"].shape == (3, 6)


def test_fixed_dim_mismatch(convert, dlrt_mod):
    case = next(c for c in models.conv_variants() if c.name == "conv_stride2_pad1")  # x [1,4,9,9]
    with dlrt_mod.Model(convert(case.model, case.name)) as m:
        with pytest.raises(dlrt_mod.Error) as ei:
            m.run({"x": np.zeros((2, 4, 9, 9), np.float32)})
        assert ei.value.status in ("DLRT_ERROR_SHAPE", "DLRT_ERROR_INVALID_ARGUMENT"), ei.value


def test_run_after_close(mlp, dlrt_mod):
    _, path = mlp
    m = dlrt_mod.Model(path)
    m.close()
    m.close()  # idempotent
    assert m.closed
    with pytest.raises(dlrt_mod.Error) as ei:
        m.run({"x": np.zeros((1, 24), np.float32)})
    assert ei.value.status == "DLRT_ERROR_STATE"
    with dlrt_mod.Model(path) as m2:
        pass
    with pytest.raises(dlrt_mod.Error):
        m2.run({"x": np.zeros((1, 24), np.float32)})
    del m, m2  # __del__ after close is harmless


def test_bad_threads(mlp, dlrt_mod):
    _, path = mlp
    with pytest.raises(dlrt_mod.Error):
        dlrt_mod.Model(path, threads=0)


@pytest.mark.parametrize("idle", ["spin-then-sleep", "spin", "sleep"])
def test_realtime_options(mlp, dlrt_mod, idle):
    """Idle policies and worker pinning give the single-threaded result bit for bit."""
    import os
    case, path = mlp
    x = np.random.default_rng(3).standard_normal((64, 24)).astype(np.float32)
    with dlrt_mod.Model(path) as m:
        want = m.run({"x": x})["y"]
    cpus = sorted(os.sched_getaffinity(0))
    with dlrt_mod.Model(path, threads=2, idle=idle, spin_microseconds=50, worker_cpus=cpus[-1:]) as m:
        for _ in range(3):
            np.testing.assert_array_equal(m.run({"x": x})["y"], want)


def test_realtime_option_errors(mlp, dlrt_mod):
    _, path = mlp
    with pytest.raises(dlrt_mod.Error, match="idle must be one of"):
        dlrt_mod.Model(path, threads=2, idle="busy")
    with pytest.raises(dlrt_mod.Error, match="spin_microseconds"):
        dlrt_mod.Model(path, threads=2, spin_microseconds=-1)
    with pytest.raises(dlrt_mod.Error, match=r"worker_cpus\[0\] = 99999 is not a CPU this process may run on") as ei:
        dlrt_mod.Model(path, threads=2, worker_cpus=[99999])
    assert ei.value.status == "DLRT_ERROR_INVALID_ARGUMENT"


# ---- data handling -------------------------------------------------------------------------------

def test_outputs_are_owned_copies(mlp, dlrt_mod):
    case, path = mlp
    with dlrt_mod.Model(path) as m:
        x1, x2 = case.feeds[1]["x"], case.feeds[1]["x"] * 2
        y1 = m.run({"x": x1})["y"]
        keep = y1.copy()
        assert y1.flags.owndata and y1.flags.writeable
        m.run({"x": x2})
        np.testing.assert_array_equal(y1, keep)  # not overwritten by the next run
        y1[:] = 0
        np.testing.assert_array_equal(m.run({"x": x1})["y"], keep)


def test_non_contiguous_input(mlp, dlrt_mod):
    case, path = mlp
    with dlrt_mod.Model(path) as m:
        big = models.rnd(77, 24, 10)
        x = big.T  # [10, 24], Fortran order
        assert not x.flags.c_contiguous
        got = m.run({"x": x})["y"]
        want = m.run({"x": np.ascontiguousarray(x)})["y"]
        np.testing.assert_array_equal(got, want)
        x2 = models.rnd(78, 10, 48)[:, ::2]
        np.testing.assert_array_equal(m.run({"x": x2})["y"], m.run({"x": x2.copy()})["y"])
        compare("mlp non-contiguous", m.run({"x": x}), ort_run(case.model, {"x": np.ascontiguousarray(x)}),
                1e-4, 1e-5)


def test_temporary_inputs(mlp, dlrt_mod):
    """Inputs created inline (no other reference) stay alive while bound."""
    case, path = mlp
    with dlrt_mod.Model(path) as m:
        a = m.run({"x": np.full((4, 24), 0.5, np.float32)})["y"]
        import gc
        gc.collect()
        junk = [np.random.default_rng(0).standard_normal((4, 24)).astype(np.float32) for _ in range(50)]
        b = m.run({"x": np.full((4, 24), 0.5, np.float32)})["y"]
        np.testing.assert_array_equal(a, b)
        del junk


def test_one_model_per_thread(mlp, dlrt_mod):
    case, path = mlp
    feeds = [{"x": models.rnd(900 + i, 3, 24)} for i in range(4)]
    want = [ort_run(case.model, f)["y"] for f in feeds]
    errors = []

    def worker(i):
        try:
            with dlrt_mod.Model(path) as m:
                for _ in range(200):
                    np.testing.assert_allclose(m.run(feeds[i])["y"], want[i], rtol=1e-4, atol=1e-5)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors, errors


def test_error_type(dlrt_mod):
    e = dlrt_mod.Error("boom", "DLRT_ERROR_SHAPE")
    assert isinstance(e, Exception) and e.status == "DLRT_ERROR_SHAPE" and e.code == 5 and e.message == "boom"
    assert "boom" in str(e)


# ---- files written by an independent writer (Tests/python/dlrt_writer.py, from docs/FORMAT.md) ----

def _add_relu_file():
    import dlrt_writer
    f = dlrt_writer.Writer()
    f.inputs.append(f.tensor("x", np.float32, ("batch", 4)))
    bias = np.array([-2, -1, 0, 1], np.float32)
    f.const("bias", bias)
    f.tensor("h", np.float32, ("batch", 4))
    f.tensor("y", np.float32, ("batch", 4))
    f.node("Add", ["x", "bias"], ["h"], name="add")
    f.node("Relu", ["h"], ["y"], name="relu")
    f.outputs.append(f.ids["y"])
    f.metadata += [("producer", "dlrt_writer.py"), ("labels", "p,q,r,s")]
    return f.tobytes(), bias


def test_handwritten_file(dlrt_mod, tmp_path):
    """The binding against a file written from docs/FORMAT.md, without the converter."""
    data, bias = _add_relu_file()
    p = tmp_path / "add_relu.dlrt"
    p.write_bytes(data)
    x = models.rnd(31, 5, 4)
    for m in (dlrt_mod.Model(p), dlrt_mod.Model.from_bytes(data)):
        with m:
            assert m.inputs == [dlrt_mod.TensorInfo("x", np.dtype(np.float32), ("batch", 4))]
            assert m.metadata == {"producer": "dlrt_writer.py", "labels": "p,q,r,s"}
            np.testing.assert_array_equal(m.run({"x": x})["y"], np.maximum(x + bias, 0))
            np.testing.assert_array_equal(m.run({"x": x[:1]})["y"], np.maximum(x[:1] + bias, 0))


def test_handwritten_every_flipped_byte_rejected(dlrt_mod):
    data, _ = _add_relu_file()
    loaded = []
    for i in range(len(data)):
        b = bytearray(data)
        b[i] ^= 0x01
        try:
            dlrt_mod.Model.from_bytes(bytes(b)).close()
            loaded.append(i)
        except dlrt_mod.Error as e:
            assert e.status in ("DLRT_ERROR_INVALID_MODEL", "DLRT_ERROR_UNSUPPORTED"), (i, e)
    assert not loaded, f"single-bit flips at these offsets still load: {loaded}"


def test_control_loop_rebinding(dlrt_mod):
    """Writing into the same array between runs is seen by the next run (binding persists)."""
    data, bias = _add_relu_file()
    with dlrt_mod.Model.from_bytes(data) as m:
        x = np.zeros((2, 4), np.float32)
        for v in (0.0, 1.0, 5.0):
            x[:] = v
            np.testing.assert_array_equal(m.run({"x": x})["y"], np.maximum(x + bias, 0))
        x.shape = (4, 2)  # same buffer, new shape: must rebind (and fail: dim 1 is 2)
        with pytest.raises(dlrt_mod.Error):
            m.run({"x": x})


def test_outputs_bound_after_first_run_follow_shape_changes(two_io, dlrt_mod):
    """After a run the binding binds outputs to its own arrays (one C call per later run); any
    input shape change unbinds them, and every run still matches onnxruntime, whatever the
    order of batch sizes, output subsets and in-place rebinding."""
    case, path = two_io
    rng = np.random.default_rng(5)
    with dlrt_mod.Model(path) as m:
        for batch in [1, 1, 4, 4, 1, 7, 7, 1]:
            feeds = {"a": rng.standard_normal((batch,) + case.feeds[0]["a"].shape[1:]).astype(np.float32),
                     "b": rng.standard_normal((batch, 3, 2, 5)).astype(np.float32)}
            want = ort_run(case.model, feeds)
            got = m.run(feeds)
            for k in ("flat", "cat"):
                np.testing.assert_allclose(got[k], want[k], rtol=1e-6)
                assert got[k].flags.owndata
            sub = m.run(feeds, output_names=["cat"])
            assert list(sub) == ["cat"]
            np.testing.assert_allclose(sub["cat"], want["cat"], rtol=1e-6)
            got["flat"][:] = 0   # the caller's copy: must not leak into the next run
        # same shape, new values in the same (bound in place) array
        a = feeds["a"]
        a *= 2
        np.testing.assert_allclose(m.run(feeds)["flat"], ort_run(case.model, feeds)["flat"], rtol=1e-6)
