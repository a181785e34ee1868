#!/usr/bin/env python3
"""Relinks dlrt's release artifacts for installation, from the objects `swift build -c release`
already compiled, reusing SwiftPM's own link command (read from .build/release.yaml).

    relink.py lib OUT SONAME   libdlrt.so with soname SONAME (e.g. libdlrt.so.0) and no RUNPATH
    relink.py cli OUT          the dlrt CLI with the Swift runtime and protobuf-c linked statically,
                               so it needs only libc, libm, libz, libstdc++ and libgcc_s

Why relink rather than patch: the build tree keeps `-soname=libdlrt.so` (so `-L.build/release
-ldlrt` test programs find it without a symlink), and SwiftPM links the CLI dynamically against
the toolchain's Swift libraries through a RUNPATH into the toolchain (it runs only where the
toolchain is). Relinking takes under a second, needs no extra tool (patchelf) and never rewrites
an ELF file after the linker. Standard library only (runs with the system python3).
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def link_args(output_name: str) -> list:
    """SwiftPM's link command whose single output is `.../release/<output_name>`."""
    manifest = ROOT / ".build" / "release.yaml"
    if not manifest.is_file():
        sys.exit(f"relink: {manifest} not found: run `make build` first")
    lines = manifest.read_text().splitlines()
    release = (ROOT / ".build" / "release").resolve()
    want = str(release / output_name)
    for i, line in enumerate(lines):
        s = line.strip()
        if not s.startswith("outputs: ["):
            continue
        try:
            outputs = json.loads(s[len("outputs: "):])
        except ValueError:
            continue
        if outputs != [want]:
            continue
        for follow in lines[i + 1:i + 8]:
            f = follow.strip()
            if f.startswith("args: ["):
                args = json.loads(f[len("args: "):])
                if "-o" in args:
                    return args
    sys.exit(f"relink: no link command producing {want} in {manifest}")


def replace_output(args: list, out: str) -> list:
    args = list(args)
    args[args.index("-o") + 1] = out
    return args


def drop_linker_flag(args: list, pred) -> list:
    """Removes `-Xlinker X` pairs whose X satisfies pred."""
    res, i = [], 0
    while i < len(args):
        if args[i] == "-Xlinker" and i + 1 < len(args) and pred(args[i + 1]):
            i += 2
            continue
        res.append(args[i])
        i += 1
    return res


def run(args: list) -> None:
    r = subprocess.run(args)
    if r.returncode != 0:
        sys.exit(f"relink: link failed ({r.returncode}): {' '.join(args)}")


def relink_lib(out: str, soname: str) -> None:
    args = replace_output(link_args("libdlrt.so"), out)
    args = drop_linker_flag(args, lambda x: x.startswith("-soname=") or x.startswith("-rpath="))
    args += ["-Xlinker", f"-soname={soname}"]
    run(args)


def relink_cli(out: str) -> None:
    args = replace_output(link_args("DLRTTool"), out)
    args = drop_linker_flag(args, lambda x: x.startswith("-rpath="))
    static_pbc = None
    for d in ("/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib",
              "/usr/local/lib"):
        if os.path.isfile(f"{d}/libprotobuf-c.a"):
            static_pbc = f"{d}/libprotobuf-c.a"
            break
    if "-static-stdlib" not in args:
        args.append("-static-stdlib")
    if static_pbc:
        # The archive after the objects resolves every protobuf-c symbol; --as-needed then drops
        # the libprotobuf-c.so.1 that the module map's autolink entry would add as NEEDED.
        args = [a for a in args if a != "-lprotobuf-c"]
        args += [static_pbc, "-Xlinker", "--as-needed"]
    run(args)


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1] == "lib":
        relink_lib(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "libdlrt.so.0")
    elif len(sys.argv) == 3 and sys.argv[1] == "cli":
        relink_cli(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
