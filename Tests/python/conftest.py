"""pytest configuration for dlrt's end-to-end tests. Builds nothing: it finds

  * the CLI: env DLRT_CLI, else <repo>/.build/release/dlrt (or DLRTTool, its build name there);
  * the library: env DLRT_LIBRARY, else what the binding finds (<repo>/.build/release/libdlrt.so);
  * the binding: <repo>/bindings/python (put on sys.path).

    swift build -c release && .venv/bin/python -m pytest Tests/python -q
    DLRT_CLI=.build-py/release/DLRTTool DLRT_LIBRARY=.build-py/release/libdlrt.so .venv/bin/python -m pytest Tests/python
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "bindings" / "python"))
sys.path.insert(0, str(HERE))


def find_cli() -> Path | None:
    env = os.environ.get("DLRT_CLI")
    if env:
        return Path(env)
    for name in ("dlrt", "DLRTTool"):
        p = REPO / ".build" / "release" / name
        if p.is_file() and os.access(p, os.X_OK):
            return p
    return None


@pytest.fixture(scope="session")
def cli() -> Path:
    p = find_cli()
    if p is None or not p.is_file():
        pytest.fail(f"dlrt CLI not found: set DLRT_CLI or build {REPO}/.build/release/dlrt "
                    f"(swift build -c release)", pytrace=False)
    return p


@pytest.fixture(scope="session")
def dlrt_mod():
    """The imported binding, with the library loaded (fails clearly if it cannot be)."""
    import dlrt
    from dlrt import _ffi
    try:
        _ffi.lib()
    except OSError as e:
        pytest.fail(f"libdlrt.so cannot be loaded: {e}", pytrace=False)
    except AttributeError as e:
        pytest.fail(f"libdlrt.so lacks a function of dlrt.h: {e}", pytrace=False)
    return dlrt


def run_cli(cli: Path, *args, check: bool = False, timeout: float = 120) -> subprocess.CompletedProcess:
    r = subprocess.run([str(cli), *map(str, args)], capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise AssertionError(f"`dlrt {' '.join(map(str, args))}` failed ({r.returncode}):\n"
                             f"stdout: {r.stdout}\nstderr: {r.stderr}")
    return r


@pytest.fixture(scope="session")
def convert(cli, tmp_path_factory):
    """convert(onnx ModelProto or path, name) -> Path of the converted .dlrt (cached per name)."""
    import onnx
    root = tmp_path_factory.mktemp("converted")
    cache = {}

    def _convert(model, name: str) -> Path:
        if name in cache:
            return cache[name]
        if isinstance(model, onnx.ModelProto):
            src = root / f"{name}.onnx"
            onnx.save(model, str(src))
        else:
            src = Path(model)
        dst = root / f"{name}.dlrt"
        run_cli(cli, "convert", src, "-o", dst, check=True)
        assert dst.is_file() and dst.stat().st_size > 0, f"convert of {name} wrote no file"
        cache[name] = dst
        return dst

    return _convert


def ort_run(model, feeds):
    """Reference outputs from onnxruntime (all graph optimisations off, one thread)."""
    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    data = model.SerializeToString() if hasattr(model, "SerializeToString") else str(model)
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds)))


def compare(name: str, got: dict, want: dict, rtol: float, atol: float) -> None:
    """Assert allclose per output with a message that names the case, output and max error."""
    assert set(got) == set(want), f"{name}: outputs {sorted(got)} != onnxruntime's {sorted(want)}"
    problems = []
    for k, w in want.items():
        g = got[k]
        if g.shape != w.shape:
            problems.append(f"output {k!r}: shape {g.shape} != onnxruntime {w.shape}")
            continue
        if g.dtype != w.dtype:
            problems.append(f"output {k!r}: dtype {g.dtype} != onnxruntime {w.dtype}")
            continue
        if not np.allclose(g, w, rtol=rtol, atol=atol, equal_nan=True):
            err = np.abs(g.astype(np.float64) - w.astype(np.float64))
            bad = ~np.isclose(g, w, rtol=rtol, atol=atol, equal_nan=True)
            err = np.where(bad & np.isnan(err), np.inf, np.where(np.isnan(err), 0, err))  # NaN vs number: worst
            idx = np.unravel_index(np.argmax(err), err.shape)
            problems.append(f"output {k!r}: max abs err {err[idx]:.3g} at {idx} (dlrt {g[idx]!r}, "
                            f"onnxruntime {w[idx]!r}); {int(bad.sum())}/{bad.size} elements off")
    assert not problems, f"{name}: " + "; ".join(problems)
