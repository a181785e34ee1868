"""`dlrt convert` killed with SIGKILL at random moments never leaves a partial output file.

Builds two big-ish ONNX MLPs A and B (~24 MB of weights each, different values), converts each once
to get the reference bytes, then repeatedly: the output path holds a complete conversion of one
model, `dlrt convert` of the other is started over it and SIGKILLed after a random delay. After
each kill the output path must hold exactly the old file or exactly the new one (never absent,
never partial). Leftover temporary files (`<out>.tmp-<pid>`, the writer's pattern) are counted,
reported and removed; nothing else may appear in the directory.

Also checks that a corrupted byte in the written file is reported as a checksum mismatch that
names the section.

usage: atomic_convert.py --cli .build/release/dlrt [--kills 40] [--seed N]
"""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def big_mlp(seed: int, width: int = 1536, layers: int = 3) -> onnx.ModelProto:
    rng = np.random.default_rng(seed)
    nodes, inits = [], []
    x = "x"
    for i in range(layers):
        w = (rng.standard_normal((width, width)) * 0.02).astype(np.float32)
        b = (rng.standard_normal(width) * 0.02).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        y = f"h{i}" if i < layers - 1 else "y"
        nodes.append(helper.make_node("Gemm", [x, f"w{i}", f"b{i}"], [f"g{i}"], transB=1))
        nodes.append(helper.make_node("Relu", [f"g{i}"], [y]))
        x = y
    graph = helper.make_graph(nodes, f"mlp{seed}", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", width])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", width])], initializer=inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


def convert(cli: str, src: Path, out: Path) -> None:
    subprocess.run([cli, "convert", str(src), "-o", str(out)], check=True, capture_output=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--kills", type=int, default=40)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    args = ap.parse_args()
    rnd = random.Random(args.seed)
    failures = []

    with tempfile.TemporaryDirectory(prefix="dlrt-atomic-") as tmp:
        d = Path(tmp)
        srcs = [d / "a.onnx", d / "b.onnx"]
        for k, p in enumerate(srcs):
            onnx.save(big_mlp(k), str(p))
        refs = []
        durations = []
        for k, p in enumerate(srcs):
            t0 = time.monotonic()
            convert(args.cli, p, d / f"ref{k}.dlrt")
            durations.append(time.monotonic() - t0)
            refs.append((d / f"ref{k}.dlrt").read_bytes())
        assert refs[0] != refs[1]
        full = max(durations)
        out = d / "model.dlrt"
        temp_re = re.compile(r"^model\.dlrt\.tmp-\d+$")
        # Calibration: when does the temporary file appear? Half the kills land after that.
        proc = subprocess.Popen([args.cli, "convert", str(srcs[0]), "-o", str(out)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        t0 = time.monotonic()
        write_start = None
        while proc.poll() is None:
            if write_start is None and any(temp_re.match(f.name) for f in d.iterdir()):
                write_start = time.monotonic() - t0
            time.sleep(0.0005)
        full = time.monotonic() - t0
        write_start = write_start if write_start is not None else full * 0.8
        write_time = max(full - write_start, 0.002)  # write + fsync + rename
        out.write_bytes(refs[0])
        current = 0
        killed_mid_write = completed = 0
        for i in range(args.kills):
            new = 1 - current
            proc = subprocess.Popen([args.cli, "convert", str(srcs[new]), "-o", str(out)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if i % 3 == 0:  # one kill in three anywhere in the run
                time.sleep(rnd.uniform(0, full))
            else:  # the others once the temporary file exists: during the write, fsync or rename
                while proc.poll() is None and not any(temp_re.match(f.name) for f in d.iterdir()):
                    time.sleep(0.0002)
                time.sleep(rnd.uniform(0, write_time / 2))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if proc.returncode == 0:
                completed += 1
            killed_mid_write += any(temp_re.match(f.name) for f in d.iterdir())
            if not out.exists():
                failures.append(f"kill {i}: {out.name} is missing")
                out.write_bytes(refs[current])
                continue
            got = out.read_bytes()
            if got == refs[new]:
                current = new
            elif got != refs[current]:
                failures.append(f"kill {i}: {out.name} is neither the old nor the new file ({len(got)} bytes)")
                out.write_bytes(refs[current])
            for f in d.iterdir():
                if temp_re.match(f.name):
                    f.unlink()
                elif f.name not in {"a.onnx", "b.onnx", "ref0.dlrt", "ref1.dlrt", "model.dlrt"}:
                    failures.append(f"kill {i}: unexpected file {f.name}")
        print(f"atomic convert: {args.kills} SIGKILLs (seed {args.seed}, conversion {full:.2f} s): "
              f"{completed} finished first, {killed_mid_write} killed while writing the temp file "
              f"(temp file appears at {write_start:.2f} s, lives {write_time * 1000:.0f} ms; leftovers removed); output always old or new: {not failures}")

        # A corrupted byte is caught by the section checksum, and the message names the section.
        bad = bytearray(refs[0])
        bad[len(bad) // 2] ^= 0x01  # inside the weights (the bulk of the file)
        (d / "bad.dlrt").write_bytes(bytes(bad))
        r = subprocess.run([args.cli, "inspect", str(d / "bad.dlrt")], capture_output=True, text=True)
        msg = (r.stdout + r.stderr).strip()
        if r.returncode == 0 or "checksum mismatch" not in msg or "weights" not in msg:
            failures.append(f"corrupted weights byte: expected a checksum error naming the weights section, got: {msg!r}")
        else:
            print(f"corrupted byte: {msg.splitlines()[-1]}")

    for f in failures:
        print("FAIL", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
