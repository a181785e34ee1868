#!/usr/bin/env python3
"""Reference data for `make test-dispatch` (mk/dispatch.mk).

    dispatch_reference.py make MODEL.onnx DIGITS.npz OUTDIR   # OUTDIR/input.npy, OUTDIR/expected.npy
    dispatch_reference.py check OUTDIR/expected.npy RESULT.npz LABEL

`make` writes 64 test digits and onnxruntime's output for them; `check` compares a `dlrt run -o`
result with it (rtol 1e-4, atol 1e-6) and prints one line.
"""
import sys

import numpy as np


def main() -> int:
    if sys.argv[1] == "make":
        import onnxruntime as ort

        onnx_path, npz_path, outdir = sys.argv[2:5]
        images = np.load(npz_path)["images"][:64].astype(np.float32)
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        np.save(f"{outdir}/input.npy", images)
        np.save(f"{outdir}/expected.npy", session.run(None, {name: images})[0].astype(np.float32))
        return 0
    expected_path, result_path, label = sys.argv[2:5]
    want = np.load(expected_path)
    got = next(iter(np.load(result_path).values()))
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-4, atol=1e-6):
        err = np.abs(got - want).max() if got.shape == want.shape else f"shape {got.shape} != {want.shape}"
        print(f"FAIL {label}: differs from onnxruntime (max abs error {err})")
        return 1
    print(f"ok   {label}: {want.shape[0]} digits match onnxruntime (max abs error {np.abs(got - want).max():.2e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
