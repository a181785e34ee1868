"""The dlrt CLI: convert errors, inspect, run with .npy inputs; and the digits demo."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import onnx
import pytest

import models
from conftest import REPO, ort_run, run_cli

DIGITS = REPO / "examples" / "digits"


def test_convert_unsupported_op(cli, tmp_path):
    src = tmp_path / "unsupported.onnx"
    onnx.save(models.unsupported_op_model(), str(src))
    out = tmp_path / "unsupported.dlrt"
    r = run_cli(cli, "convert", src, "-o", out)
    text = r.stdout + r.stderr
    assert r.returncode != 0, f"convert of a model with Cos succeeded:\n{text}"
    assert "my_cosine" in text and "Cos" in text, f"message must name node and op:\n{text}"
    assert not out.exists(), "a failed convert left an output file"
    assert not any(p.name.startswith("unsupported.dlrt") and p != src for p in tmp_path.iterdir()), \
        f"temporary files left behind: {list(tmp_path.iterdir())}"


def test_convert_failure_keeps_existing_output(cli, tmp_path):
    src = tmp_path / "unsupported.onnx"
    onnx.save(models.unsupported_op_model(), str(src))
    out = tmp_path / "existing.dlrt"
    out.write_bytes(b"precious")
    os.utime(out, (1_000_000_000, 1_000_000_000))
    r = run_cli(cli, "convert", src, "-o", out)
    assert r.returncode != 0
    assert out.read_bytes() == b"precious"
    assert out.stat().st_mtime == 1_000_000_000


def test_convert_missing_input(cli, tmp_path):
    r = run_cli(cli, "convert", tmp_path / "nope.onnx", "-o", tmp_path / "nope.dlrt")
    assert r.returncode != 0
    assert "nope.onnx" in r.stdout + r.stderr
    assert not (tmp_path / "nope.dlrt").exists()


def test_inspect(cli, convert):
    case = models.mlp_gemm(17)
    path = convert(case.model, case.name)
    r = run_cli(cli, "inspect", path, check=True)
    out = r.stdout
    for needle in ("x", "y", "batch", "24", "labels", "a,b,c,d,e,f", "Gemm"):
        assert needle in out, f"`dlrt inspect` output lacks {needle!r}:\n{out}"


def test_run_npy_to_npz(cli, convert, dlrt_mod, tmp_path):
    case = models.layout_ops()
    path = convert(case.model, case.name)
    feeds = case.feeds[1]
    for k, v in feeds.items():
        np.save(tmp_path / f"{k}.npy", v)
    out = tmp_path / "out.npz"
    run_cli(cli, "run", path, "--input", f"a={tmp_path / 'a.npy'}", "--input", f"b={tmp_path / 'b.npy'}",
            "-o", out, check=True)
    assert out.is_file()
    got = dict(np.load(out))
    want = ort_run(case.model, feeds)
    assert set(got) == set(want), (sorted(got), sorted(want))
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=1e-4, atol=1e-5, err_msg=k)


def test_run_positional_npy(cli, convert, tmp_path):
    case = models.mlp_gemm(17)
    path = convert(case.model, case.name)
    np.save(tmp_path / "x.npy", case.feeds[1]["x"])
    out = tmp_path / "y.npz"
    run_cli(cli, "run", path, tmp_path / "x.npy", "-o", out, check=True)
    np.testing.assert_allclose(np.load(out)["y"], ort_run(case.model, case.feeds[1])["y"], rtol=1e-4, atol=1e-5)


def test_run_wrong_dtype_npy(cli, convert, tmp_path):
    case = models.mlp_gemm(17)
    path = convert(case.model, case.name)
    np.save(tmp_path / "x.npy", case.feeds[1]["x"].astype(np.float64))
    r = run_cli(cli, "run", path, "--input", f"x={tmp_path / 'x.npy'}", "-o", tmp_path / "o.npz")
    assert r.returncode != 0
    assert "float" in (r.stdout + r.stderr)


# ---- the digits demo -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def digits_dlrt(convert):
    return convert(DIGITS / "digits_cnn.onnx", "digits_cnn")


def test_digits_accuracy_equals_onnxruntime(digits_dlrt, dlrt_mod):
    data = np.load(DIGITS / "digits_test.npz")
    images, labels = data["images"], data["labels"]
    assert images.dtype == np.float32 and images.shape[1:] == (1, 8, 8) and labels.dtype == np.int64
    model = onnx.load(str(DIGITS / "digits_cnn.onnx"))
    want = ort_run(model, {"input": images})["probabilities"]
    with dlrt_mod.Model(digits_dlrt) as m:
        assert m.inputs[0].shape == ("batch", 1, 8, 8)
        assert m.metadata.get("labels") == "0,1,2,3,4,5,6,7,8,9"
        got = np.concatenate([m.run({"input": images[i:i + 37]})["probabilities"]
                              for i in range(0, len(images), 37)])
    ours = float((got.argmax(1) == labels).mean())
    ref = float((want.argmax(1) == labels).mean())
    assert ref >= 0.95
    assert ours == ref, f"dlrt accuracy {ours} != onnxruntime {ref}"
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_digits_classify_script(digits_dlrt):
    r = subprocess.run([sys.executable, str(DIGITS / "classify.py"), str(digits_dlrt), "--calls", "200"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "accuracy" in r.stdout and "median" in r.stdout, r.stdout


def test_convert_to_a_fifo_writes_in_place(cli, tmp_path):
    """An existing non-regular output (a FIFO here; /dev/null alike) is written in place, never
    replaced by a renamed file: `dlrt convert m.onnx -o /dev/null` run as root once turned
    /dev/null into a regular file."""
    import os
    import threading
    src = REPO / "examples" / "digits" / "digits_cnn.onnx"
    ref = tmp_path / "ref.dlrt"
    assert run_cli(cli, "convert", src, "-o", ref).returncode == 0
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = {}
    reader = threading.Thread(target=lambda: got.setdefault("bytes", fifo.read_bytes()))
    reader.start()
    r = run_cli(cli, "convert", src, "-o", fifo)
    reader.join(timeout=60)
    assert r.returncode == 0, r.stderr
    assert fifo.is_fifo(), "the FIFO was replaced"
    assert got.get("bytes") == ref.read_bytes()
    d = tmp_path / "adir"
    d.mkdir()
    r = run_cli(cli, "convert", src, "-o", d)
    assert r.returncode != 0 and "is a directory" in r.stderr, r.stderr
