#!/usr/bin/env python3
"""float16 weights vs float32: file size, accuracy and latency, for the digits CNN and the
control-loop policy MLP.

    python benchmarks/float16_accuracy.py [--runs 3000] [--cli PATH]

Converts each model twice (`dlrt convert`, then `--weights float16`), runs both with the Python
binding and prints one row per model:
  - size: the .dlrt file, float32 → float16;
  - cosine: the smallest per-sample cosine similarity between the float16 and float32 outputs;
  - max |diff|: largest absolute output difference;
  - agreement: samples whose argmax (digits: the predicted class; policy: the largest action)
    is the same;
  - load: model load (the float16 file casts its weights once here) and latency per call at
    batch 1 (median over --runs alternating calls; the binding's overhead included).
The CLI comes from --cli, $DLRT_CLI or .build/release/dlrt; the library from $DLRT_LIBRARY or the
binding's default. The machine is shared and noisy: compare the two columns, not absolute times.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bindings" / "python"))
sys.path.insert(0, str(REPO / "examples" / "control_loop"))
import dlrt  # noqa: E402


def find_cli(given: str | None) -> str:
    for c in (given, os.environ.get("DLRT_CLI"), REPO / ".build" / "release" / "dlrt",
              REPO / ".build" / "release" / "DLRTTool"):
        if c and Path(c).is_file():
            return str(c)
    raise SystemExit("dlrt CLI not found: pass --cli or set DLRT_CLI (swift build -c release)")


def convert(cli: str, src: Path, dst: Path, *extra: str) -> None:
    subprocess.run([cli, "convert", str(src), "-o", str(dst), *extra], check=True, capture_output=True)


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = a.reshape(len(a), -1).astype(np.float64), b.reshape(len(b), -1).astype(np.float64)
    return (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-30)


def timed_load(path: Path, repeats: int = 20) -> float:
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        m = dlrt.Model(path)
        best = min(best, time.perf_counter() - t0)
        m.close()
    return best * 1e3


def latency(m32: dlrt.Model, m16: dlrt.Model, feed: dict, runs: int) -> tuple[float, float]:
    t = {0: [], 1: []}
    for _ in range(50):
        m32.run(feed), m16.run(feed)
    for i in range(runs):
        order = (0, 1) if i % 2 == 0 else (1, 0)
        for k in order:
            m = m32 if k == 0 else m16
            t0 = time.perf_counter()
            m.run(feed)
            t[k].append(time.perf_counter() - t0)
    return float(np.median(t[0]) * 1e6), float(np.median(t[1]) * 1e6)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3000)
    ap.add_argument("--cli")
    args = ap.parse_args()
    cli = find_cli(args.cli)

    import onnx
    import make_policy

    tmp = Path(tempfile.mkdtemp(prefix="dlrt_f16_"))
    policy_onnx = tmp / "policy.onnx"
    onnx.save(make_policy.build(0), str(policy_onnx))
    digits = np.load(REPO / "examples" / "digits" / "digits_test.npz")
    rng = np.random.default_rng(0)
    models = [
        ("digits CNN", REPO / "examples" / "digits" / "digits_cnn.onnx", "input", "probabilities",
         digits["images"].astype(np.float32)),
        ("policy MLP 24-256-256-6", policy_onnx, "observation", "action",
         rng.standard_normal((1000, 24)).astype(np.float32)),
    ]

    header = (f"{'model':26s} {'size f32 → f16 (bytes)':>26s} {'min cosine':>11s} {'max |diff|':>11s} "
              f"{'agreement':>16s} {'load ms f32/f16':>16s} {'µs/call f32/f16':>16s}")
    print(header)
    print("-" * len(header))
    for name, src, inp, out, x in models:
        f32, f16 = tmp / (src.stem + ".f32.dlrt"), tmp / (src.stem + ".f16.dlrt")
        convert(cli, src, f32)
        convert(cli, src, f16, "--weights", "float16")
        with dlrt.Model(f32) as m32, dlrt.Model(f16) as m16:
            assert m16.metadata.get("weights") == "float16"
            a, b = m32.run({inp: x})[out], m16.run({inp: x})[out]
            agree = int((a.argmax(1) == b.argmax(1)).sum())
            lat32, lat16 = latency(m32, m16, {inp: np.ascontiguousarray(x[:1])}, args.runs)
        load32, load16 = timed_load(f32), timed_load(f16)
        s32, s16 = f32.stat().st_size, f16.stat().st_size
        print(f"{name:26s} {f'{s32:,} → {s16:,} ({s16 / s32:.0%})':>26s} {cosines(a, b).min():11.6f} "
              f"{float(np.abs(a - b).max()):11.2e} {f'{agree}/{len(x)} ({agree / len(x):.1%})':>16s} "
              f"{f'{load32:.2f} / {load16:.2f}':>16s} {f'{lat32:.1f} / {lat16:.1f}':>16s}")
    for p in tmp.iterdir():
        p.unlink()
    tmp.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
