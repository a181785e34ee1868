"""Writes the digits test set for examples/c/classify.c:
uint32 count N, then N×1×8×8 float32 images, then N int32 labels (little-endian)."""
import sys

import numpy as np

data = np.load(sys.argv[1])
images = np.ascontiguousarray(data["images"], dtype=np.float32)
labels = np.asarray(data["labels"], dtype=np.int32)
with open(sys.argv[2], "wb") as f:
    f.write(np.uint32(len(labels)).tobytes())
    f.write(images.tobytes())
    f.write(labels.tobytes())
