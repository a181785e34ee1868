"""``python -m dlrt`` — the dlrt CLI from an installed Python package.

    python -m dlrt convert model.onnx -o model.dlrt [--weights float32|float16] [--meta KEY=VALUE]
    python -m dlrt inspect model.dlrt
    python -m dlrt run model.dlrt --input input=x.npy [-o out.npz]
    python -m dlrt bench model.dlrt [--threads N] [--runs N] [--dim batch=8]
    python -m dlrt version        versions of the package, the library and the CLI, and their paths

Every command except ``version`` is delegated to the dlrt executable (found by
``dlrt.find_cli()``: $DLRT_CLI, the copy bundled in the wheel, a source checkout, PATH), so the
arguments, output and exit status are exactly the CLI's.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List, Optional


def _version() -> int:
    import dlrt
    from .convert import CLINotFoundError, find_cli
    print(f"dlrt package {_package_version()}, library {dlrt.version()} "
          f"(format {'.'.join(map(str, dlrt.format_version()))})")
    print(f"  library: {dlrt.library_path()}")
    try:
        print(f"  cli:     {find_cli()}")
    except CLINotFoundError as e:
        print(f"  cli:     not found ({e})")
    return 0


def _package_version() -> str:
    try:
        from importlib.metadata import version
        return version("dlrt")
    except Exception:
        return "(not installed)"


def main(argv: Optional[List[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["version"], ["--version"]):
        return _version()
    from .convert import CLINotFoundError, find_cli
    try:
        cli = find_cli()
    except CLINotFoundError as e:
        print(f"python -m dlrt: {e}", file=sys.stderr)
        return 2
    if argv is None and hasattr(os, "execv"):
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(cli, [cli, *args])  # the CLI's exit status and signals, no extra process
    return subprocess.call([cli, *args])


if __name__ == "__main__":
    sys.exit(main())
