"""Build hooks for the dlrt wheel: bundle libdlrt.so (and the dlrt CLI) inside the package.

`pip install ./bindings/python` or `make wheel` copies, at build time, into build/lib/dlrt/:

  libdlrt.so  from $DLRT_LIBRARY, else $DLRT_DIST_DIR/libdlrt.so.*, else the repository's
              out/dist/libdlrt.so.<version> (made by `make dist`), else .build/release/libdlrt.so.
              The build fails with a clear message when none exists.
  bin/dlrt    the CLI (used by `python -m dlrt` and dlrt.convert) from $DLRT_CLI, else
              $DLRT_DIST_DIR/dlrt, else the newest of the repository's out/dist/dlrt and
              .build/release/DLRTTool (both self-contained: the Swift runtime and protobuf-c are
              linked statically). Without one the wheel has no CLI and `python -m dlrt` looks for
              one at run time (DLRT_CLI, PATH, checkout).

Nothing is copied into the source tree, so no binary can be committed by accident.
Set DLRT_NO_CLI=1 to build a wheel without the CLI.
"""
import glob
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from setuptools import Distribution, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools < 70.1
    from wheel.bdist_wheel import bdist_wheel  # type: ignore

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent


def _needs_toolchain(path: Path) -> bool:
    """True if the ELF file at `path` has a dynamic dependency on the Swift runtime."""
    try:
        data = path.read_bytes()
    except OSError:
        return True
    return b"libswiftCore.so" in data


def _find_library() -> Path:
    env = os.environ.get("DLRT_LIBRARY")
    if env:
        p = Path(env)
        if not p.is_file():
            sys.exit(f"dlrt build: DLRT_LIBRARY={env!r} is not a file")
        return p
    dist = os.environ.get("DLRT_DIST_DIR")
    if dist:
        found = sorted(glob.glob(os.path.join(dist, "libdlrt.so.*.*.*")))
        if not found:
            sys.exit(f"dlrt build: DLRT_DIST_DIR={dist!r} holds no libdlrt.so.X.Y.Z (run `make dist`)")
        return Path(found[-1])
    # A checkout: the newest of `make dist`'s copy and `make build`'s library (a stale
    # out/dist must not win over a fresh build).
    candidates = sorted(glob.glob(str(REPO / "out" / "dist" / "libdlrt.so.*.*.*")))
    candidates.append(str(REPO / ".build" / "release" / "libdlrt.so"))
    existing = [Path(c) for c in candidates if Path(c).is_file()]
    if existing:
        return max(existing, key=lambda p: p.stat().st_mtime)
    sys.exit("dlrt build: cannot find libdlrt.so to bundle. Build it first (`make build` in the "
             "repository, which gives .build/release/libdlrt.so) or set DLRT_LIBRARY=/path/to/libdlrt.so. "
             f"Looked in: {', '.join(candidates)}")


def _find_cli(tmp: Path):
    if os.environ.get("DLRT_NO_CLI"):
        return None
    env = os.environ.get("DLRT_CLI")
    if env:
        p = Path(env)
        if not p.is_file():
            sys.exit(f"dlrt build: DLRT_CLI={env!r} is not a file")
        if _needs_toolchain(p):
            sys.exit(f"dlrt build: DLRT_CLI={env!r} links the Swift toolchain's runtime dynamically; "
                     "bundle the self-contained CLI from `make dist` (out/dist/dlrt) instead")
        return p
    dist = os.environ.get("DLRT_DIST_DIR")
    if dist and (Path(dist) / "dlrt").is_file():
        return Path(dist) / "dlrt"
    candidates = [REPO / "out" / "dist" / "dlrt", REPO / ".build" / "release" / "DLRTTool"]
    existing = [p for p in candidates if p.is_file() and not _needs_toolchain(p)]
    if existing:
        return max(existing, key=lambda p: p.stat().st_mtime)
    print("dlrt build: warning: no self-contained dlrt CLI found; the wheel will not bundle one "
          "(`python -m dlrt` and dlrt.convert then need DLRT_CLI or `dlrt` on PATH)", file=sys.stderr)
    return None


def _strip(path: Path) -> None:
    """Drops debug info from a bundled binary (11.8 → 6 MB for the library); DLRT_NO_STRIP=1 keeps it."""
    if os.environ.get("DLRT_NO_STRIP") or not shutil.which("strip"):
        return
    subprocess.run(["strip", "--strip-unneeded", str(path)], check=False)


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        pkg = Path(self.build_lib) / "dlrt"
        pkg.mkdir(parents=True, exist_ok=True)
        lib = _find_library()
        shutil.copyfile(lib, pkg / "libdlrt.so")
        os.chmod(pkg / "libdlrt.so", 0o755)
        _strip(pkg / "libdlrt.so")
        print(f"dlrt build: bundled {lib} as dlrt/libdlrt.so")
        with tempfile.TemporaryDirectory(prefix="dlrt-cli-") as tmp:
            cli = _find_cli(Path(tmp))
            if cli is not None:
                (pkg / "bin").mkdir(exist_ok=True)
                shutil.copyfile(cli, pkg / "bin" / "dlrt")
                os.chmod(pkg / "bin" / "dlrt", 0o755)
                _strip(pkg / "bin" / "dlrt")
                print(f"dlrt build: bundled {cli} as dlrt/bin/dlrt")


class BinaryDistribution(Distribution):
    """Native files inside: build into the platform-specific lib directory (platlib)."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """The wheel holds native code but no CPython extension: py3-none-<platform>."""

    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        plat = sysconfig.get_platform().replace("-", "_").replace(".", "_")
        return "py3", "none", plat


setup(cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel}, distclass=BinaryDistribution)
