"""Writes INPUT.bin / EXPECTED.bin for test_capi.c: a batch of the digits test set and
onnxruntime's output for it (float32, raw little-endian)."""
import sys

import numpy as np
import onnxruntime as ort

onnx_path, npz_path, input_bin, expected_bin = sys.argv[1:5]
images = np.load(npz_path)["images"][:7].astype(np.float32)
session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
name = session.get_inputs()[0].name
out = session.run(None, {name: images})[0].astype(np.float32)
images.tofile(input_bin)
out.tofile(expected_bin)
