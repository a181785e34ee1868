"""Batch classification of the digits test set with the installed dlrt package.

    pip install ./bindings/python            # or: make wheel && pip install out/dlrt-*.whl
    python batch_classify.py MODEL DIGITS_TEST.npz [--batch 64] [--threads 1] [--min-accuracy 0.9]

MODEL is a .dlrt file, or an .onnx file that is first converted with dlrt.convert (which runs the
CLI bundled in the wheel). DIGITS_TEST.npz holds "images" [N,1,8,8] float32 and "labels" [N]
(examples/digits/digits_test.npz). Prints accuracy and throughput; exits 1 below --min-accuracy.
"""
import argparse
import os
import sys
import tempfile
import time

import numpy as np

import dlrt


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("data")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--min-accuracy", type=float, default=0.0)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        path = args.model
        if path.endswith(".onnx"):
            path = str(dlrt.convert(path, os.path.join(tmp, "model.dlrt")))
            print(f"converted {args.model} with {dlrt.find_cli()}")
        data = np.load(args.data)
        images = np.ascontiguousarray(data["images"], dtype=np.float32)
        labels = np.asarray(data["labels"])

        with dlrt.Model(path, threads=args.threads) as model:
            name_in, name_out = model.inputs[0].name, model.outputs[0].name
            print(f"dlrt {dlrt.version()} from {dlrt.library_path()}")
            print(f"model: {model!r}")
            predictions = np.empty(len(labels), dtype=np.int64)
            model.run({name_in: images[: args.batch]})  # warm-up (plans the batch shape)
            t0 = time.perf_counter()
            for start in range(0, len(images), args.batch):
                batch = images[start:start + args.batch]
                probs = model.run({name_in: batch})[name_out]
                predictions[start:start + len(batch)] = probs.argmax(axis=1)
            elapsed = time.perf_counter() - t0

    accuracy = float((predictions == labels).mean())
    print(f"accuracy {accuracy:.2%} ({int((predictions == labels).sum())}/{len(labels)}), "
          f"batch {args.batch}: {len(labels) / elapsed:,.0f} images/s ({elapsed * 1e3:.1f} ms total)")
    if accuracy < args.min_accuracy:
        print(f"accuracy below --min-accuracy {args.min_accuracy:.2%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
