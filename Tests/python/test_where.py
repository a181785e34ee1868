"""Where against onnxruntime for the broadcast layouts the 4-byte fast path specializes (condition,
X and Y contiguous or broadcast scalars along the row; a whole-row condition) and the strided
fallback, float32 and int32 (fast path) and int64 (generic path). Select copies values, so the
results must be identical, NaN payloads included."""
from __future__ import annotations

import numpy as np
import pytest
from onnx import TensorProto, helper

from conftest import ort_run

TYPES = {np.float32: TensorProto.FLOAT, np.int32: TensorProto.INT32, np.int64: TensorProto.INT64}

# (condition shape, X shape, Y shape): every X/Y a graph input so nothing folds.
LAYOUTS = [
    ((1, 1, 5, 5), (2, 3, 5, 5), ()),          # causal mask vs scores, scalar fill (GPT)
    ((5, 5), (1, 3, 5, 5), (1,)),              # rank-2 mask
    ((1, 1, 7, 67), (), (1, 2, 7, 67)),        # scalar X, tensor Y
    ((3, 1, 67), (3, 4, 67), (3, 4, 67)),      # everything contiguous along the row
    ((3, 4, 1), (3, 4, 33), (3, 4, 33)),       # one condition per row
    ((3, 4, 1), (1,), (3, 4, 33)),
    ((2, 1, 1), (2, 6, 1), (1, 1, 9)),         # strided operands (fallback loop)
    ((1,), (1,), (1,)),
    ((4, 1), (1, 13), (4, 13)),
]


def where_model(cshape, xshape, yshape, dtype):
    t = TYPES[dtype]
    inputs = [helper.make_tensor_value_info("c", TensorProto.BOOL, list(cshape)),
              helper.make_tensor_value_info("x", t, list(xshape)),
              helper.make_tensor_value_info("y", t, list(yshape))]
    out = helper.make_tensor_value_info("out", t, None)
    g = helper.make_graph([helper.make_node("Where", ["c", "x", "y"], ["out"])], "where", inputs, [out])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


def values(rng, shape, dtype):
    if dtype == np.float32:
        v = rng.standard_normal(shape).astype(np.float32)
        if v.size > 2:
            v.flat[1] = np.nan
            v.flat[2] = -np.inf
        return v
    return rng.integers(-1000, 1000, size=shape).astype(dtype)


@pytest.mark.parametrize("dtype", list(TYPES), ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda l: "_".join("x".join(map(str, s)) or "s" for s in l))
def test_where_matches_onnxruntime(layout, dtype, convert, dlrt_mod):
    cshape, xshape, yshape = layout
    model = where_model(cshape, xshape, yshape, dtype)
    rng = np.random.default_rng(len(cshape) * 100 + int(np.prod(xshape) + np.prod(yshape)))
    path = convert(model, f"where_{LAYOUTS.index(layout)}_{np.dtype(dtype).name}")
    with dlrt_mod.Model(path) as m:
        for trial in range(2):
            feeds = {"c": rng.random(cshape) < (0.5 if trial == 0 else 0.9),
                     "x": values(rng, xshape, dtype), "y": values(rng, yshape, dtype)}
            got, want = m.run(feeds)["out"], ort_run(model, feeds)["out"]
            assert got.shape == want.shape
            assert got.dtype == want.dtype
            assert np.array_equal(got.view(np.uint8), want.view(np.uint8)), f"{layout} {dtype} trial {trial}"
