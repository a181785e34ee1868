#!/usr/bin/env python3
"""Side-by-side latency of dlrt and onnxruntime on one model, in one process, alternating calls.

    python benchmarks/compare_onnxruntime.py MODEL.onnx MODEL.dlrt [--dim batch=1] [--threads 1] [--runs 2000]

Inputs are random (float32 normal, integers 0..9) with symbolic dims set by --dim (default 1).
Prints median and p99 per call for each runtime and the ratio dlrt/onnxruntime (< 1: dlrt faster).
The machine is shared and noisy: compare ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bindings" / "python"))
import dlrt  # noqa: E402


def make_inputs(model: dlrt.Model, dims: dict[str, int]) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    feeds = {}
    for t in model.inputs:
        shape = tuple(d if isinstance(d, int) else dims.get(d, 1) for d in t.shape)
        if np.issubdtype(t.dtype, np.floating):
            feeds[t.name] = rng.standard_normal(shape).astype(t.dtype)
        else:
            feeds[t.name] = rng.integers(0, 10, shape).astype(t.dtype)
    return feeds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("onnx")
    ap.add_argument("dlrt")
    ap.add_argument("--dim", action="append", default=[], help="NAME=SIZE for a symbolic dimension")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--runs", type=int, default=2000)
    args = ap.parse_args()
    dims = {k: int(v) for k, v in (d.split("=", 1) for d in args.dim)}

    model = dlrt.Model(args.dlrt, threads=args.threads)
    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    session = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
    feeds = make_inputs(model, dims)

    ours, theirs = model.run(feeds), session.run(None, feeds)
    err = max(float(np.max(np.abs(o - r) / (1e-5 + np.abs(r)))) for o, r in zip(ours.values(), theirs))
    times = {"dlrt": [], "onnxruntime": []}
    calls = {"dlrt": lambda: model.run(feeds), "onnxruntime": lambda: session.run(None, feeds)}
    for _ in range(20):
        for f in calls.values():
            f()
    for _ in range(args.runs):
        for name, f in calls.items():
            t0 = time.perf_counter()
            f()
            times[name].append(time.perf_counter() - t0)
    stats = {k: (np.median(v) * 1e6, np.percentile(v, 99) * 1e6) for k, v in times.items()}
    print(f"{Path(args.onnx).name} threads={args.threads} dims={dims or 'default'} runs={args.runs} "
          f"(max relative difference {err:.2g})")
    for name, (med, p99) in stats.items():
        print(f"  {name:12s} median {med:9.1f} us   p99 {p99:9.1f} us")
    print(f"  ratio dlrt/onnxruntime (median): {stats['dlrt'][0] / stats['onnxruntime'][0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
