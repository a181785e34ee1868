"""ONNX → .dlrt conversion from Python, by running the dlrt CLI (the converter lives in the CLI,
not in libdlrt.so, which stays free of protobuf and the ONNX importer).

    import dlrt
    dlrt.convert("model.onnx", "model.dlrt", meta={"labels": "cat,dog"})

The CLI is found by :func:`find_cli`.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import List, Mapping, Optional, Sequence, Union

__all__ = ["convert", "find_cli", "CLINotFoundError"]

PathLike = Union[str, "os.PathLike[str]"]


class CLINotFoundError(FileNotFoundError):
    """No dlrt CLI executable could be found (see :func:`find_cli`)."""


def _candidates() -> List[Path]:
    here = Path(__file__).resolve().parent
    found: List[Path] = [here / "bin" / "dlrt"]  # bundled in the wheel
    for d in [here, *here.parents]:               # a source checkout
        found.append(d / "out" / "dist" / "dlrt")
        found.append(d / ".build" / "release" / "dlrt")
        if (d / ".build").is_dir() or (d / "out").is_dir():
            break
    return found


def find_cli() -> str:
    """Path of the dlrt CLI. Order: ``$DLRT_CLI``; the executable bundled in this package
    (``dlrt/bin/dlrt``); a source checkout's ``out/dist/dlrt`` or ``.build/release/dlrt``;
    ``dlrt`` on ``PATH`` (e.g. from ``make install``). Raises :class:`CLINotFoundError`."""
    env = os.environ.get("DLRT_CLI")
    if env:
        if not (os.path.isfile(env) and os.access(env, os.X_OK)):
            raise CLINotFoundError(f"DLRT_CLI={env!r} is not an executable file")
        return env
    for p in _candidates():
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
    on_path = shutil.which("dlrt")
    if on_path:
        return on_path
    raise CLINotFoundError(
        "cannot find the dlrt CLI (needed for conversion): this installation of the dlrt package "
        "does not bundle it. Set DLRT_CLI=/path/to/dlrt, put `dlrt` on PATH (`make install` "
        "installs it into PREFIX/bin), or install a wheel built with `make wheel`.")


def convert(onnx_path: PathLike, dlrt_path: PathLike, *, weights: Optional[str] = None,
            calibration=None, calibration_method: Optional[str] = None,
            meta: Optional[Mapping[str, str]] = None, extra_args: Sequence[str] = (),
            quiet: bool = True) -> Path:
    """Converts the ONNX model at ``onnx_path`` to a .dlrt file at ``dlrt_path`` (written
    atomically: a failed conversion leaves no output file). ``weights`` is the CLI's
    ``--weights`` (``"float32"``, ``"float16"`` or ``"int8"``); ``meta`` adds ``--meta KEY=VALUE``
    entries. ``calibration`` (int8 static activations) is an .npz path or a dict {input name:
    array whose first axis is the samples}; ``calibration_method`` is ``"minmax"`` or
    ``"percentile"`` (docs/QUANTIZATION.md).

    Returns the output path. Raises :class:`dlrt.Error` (status ``DLRT_ERROR_UNSUPPORTED`` or
    ``DLRT_ERROR_INVALID_MODEL``…) with the converter's message naming node, op and attribute on
    failure, and :class:`CLINotFoundError` when no CLI is available."""
    from . import Error  # late import: dlrt/__init__ imports this module

    src, dst = os.fspath(onnx_path), os.fspath(dlrt_path)
    args = [find_cli(), "convert", src, "-o", dst]
    if weights is not None:
        args += ["--weights", str(weights)]
    tmp = None
    if calibration is not None:
        if isinstance(calibration, Mapping):
            import tempfile
            import numpy as np
            fd, tmp = tempfile.mkstemp(suffix=".npz", prefix="dlrt-calibration-")
            os.close(fd)
            np.savez(tmp, **{k: np.asarray(v) for k, v in calibration.items()})
            args += ["--calibration", tmp]
        else:
            args += ["--calibration", os.fspath(calibration)]
    if calibration_method is not None:
        args += ["--calibration-method", str(calibration_method)]
    for k, v in (meta or {}).items():
        if "=" in str(k):
            raise Error(f"metadata key {k!r} must not contain '='")
        args += ["--meta", f"{k}={v}"]
    args += list(extra_args)
    try:
        r = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        if tmp is not None:
            os.unlink(tmp)
    if r.returncode != 0:
        msg = (r.stderr.strip() or r.stdout.strip() or f"dlrt convert exited with status {r.returncode}")
        status = "DLRT_ERROR_UNSUPPORTED" if "unsupported" in msg.lower() else (
            "DLRT_ERROR_IO" if not os.path.exists(src) else "DLRT_ERROR_INVALID_MODEL")
        raise Error(msg, status)
    if not quiet and r.stdout:
        print(r.stdout, end="")
    return Path(dst)
