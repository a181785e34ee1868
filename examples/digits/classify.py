#!/usr/bin/env python3
"""Classify the digits test set with dlrt's Python binding.

    dlrt convert examples/digits/digits_cnn.onnx -o digits_cnn.dlrt
    python examples/digits/classify.py digits_cnn.dlrt [--calls 2000] [--threads 1]

Prints the accuracy, the agreement with onnxruntime (when it and digits_cnn.onnx are available)
and the latency of single-image calls (median and p99 over --calls calls).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
try:
    import dlrt
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(HERE.parents[1] / "bindings" / "python"))
    import dlrt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?", default=str(HERE / "digits_cnn.dlrt"), help="converted .dlrt file")
    ap.add_argument("--data", default=str(HERE / "digits_test.npz"))
    ap.add_argument("--onnx", default=str(HERE / "digits_cnn.onnx"), help="ONNX model for the comparison")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)

    data = np.load(args.data)
    images, labels = data["images"], data["labels"]

    with dlrt.Model(args.model, threads=args.threads) as model:
        print(f"dlrt {dlrt.version()}  {model}")
        labels_meta = model.metadata.get("labels")
        class_names = labels_meta.split(",") if labels_meta else [str(i) for i in range(10)]
        in_name, out_name = model.inputs[0].name, model.outputs[0].name

        probs = np.concatenate([model.run({in_name: images[i:i + args.batch]})[out_name]
                                for i in range(0, len(images), args.batch)])
        pred = probs.argmax(axis=1)
        acc = float((pred == labels).mean())
        print(f"accuracy: {acc:.4f} ({int((pred == labels).sum())}/{len(labels)})")
        print("first 12 predictions: " + " ".join(class_names[p] for p in pred[:12]) +
              "\n          labels:      " + " ".join(str(l) for l in labels[:12]))

        try:
            import onnxruntime as ort
        except ImportError:
            ort = None
        sess = None
        if ort is not None and Path(args.onnx).is_file():
            so = ort.SessionOptions()
            so.intra_op_num_threads = args.threads
            sess = ort.InferenceSession(args.onnx, so, providers=["CPUExecutionProvider"])
            ref = sess.run(None, {in_name: images})[0]
            agree = float((ref.argmax(axis=1) == pred).mean())
            ort_acc = float((ref.argmax(axis=1) == labels).mean())
            print(f"onnxruntime accuracy: {ort_acc:.4f}; argmax agreement {agree:.4f}; "
                  f"max |prob diff| {np.abs(ref - probs).max():.3g}")
        else:
            print("onnxruntime comparison skipped (onnxruntime or the .onnx file not available)")

        # latency of single-image calls (same input shape each time)
        one = [np.ascontiguousarray(images[i:i + 1]) for i in range(min(len(images), 64))]
        for i in range(50):  # warm-up
            model.run({in_name: one[i % len(one)]})
        times = np.empty(args.calls)
        for i in range(args.calls):
            x = one[i % len(one)]
            t0 = time.perf_counter()
            model.run({in_name: x})
            times[i] = time.perf_counter() - t0
        med, p99 = np.median(times) * 1e6, np.percentile(times, 99) * 1e6
        print(f"dlrt latency (1 image, {args.calls} calls, {args.threads} thread(s)): "
              f"median {med:.1f} us, p99 {p99:.1f} us")
        if sess is not None:
            for i in range(50):
                sess.run(None, {in_name: one[i % len(one)]})
            for i in range(args.calls):
                x = one[i % len(one)]
                t0 = time.perf_counter()
                sess.run(None, {in_name: x})
                times[i] = time.perf_counter() - t0
            print(f"onnxruntime latency (same calls):              median {np.median(times) * 1e6:.1f} us, "
                  f"p99 {np.percentile(times, 99) * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
