"""Every model in models.py: convert with the CLI, run with the binding and with onnxruntime,
compare with allclose(rtol=1e-4, atol=1e-5) (exact for integer graphs)."""
from __future__ import annotations

import numpy as np
import pytest

import models
from conftest import compare, ort_run

CASES = models.all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_matches_onnxruntime(case, convert, dlrt_mod):
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(case.feeds):
            got = m.run(feeds)
            want = ort_run(case.model, feeds)
            shapes = {k: v.shape for k, v in feeds.items()}
            compare(f"{case.name} run {i} {shapes}", got, want, case.rtol, case.atol)


@pytest.mark.parametrize("name", ["cnn_pytorch_opset17", "mobilenet_like", "conv_big_channels", "gemm_large", "mlp_matmul_opset17"])
def test_two_threads_match(name, convert, dlrt_mod):
    case = next(c for c in CASES if c.name == name)
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path, threads=2) as m:
        for i, feeds in enumerate(case.feeds):
            compare(f"{name} threads=2 run {i}", m.run(feeds), ort_run(case.model, feeds), case.rtol, case.atol)


def test_batch_sizes_alternate(convert, dlrt_mod):
    """Symbolic batch: 1, 5, 1, 3, 5 on one Model (re-planning both ways)."""
    case = models.cnn_logits()
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path) as m:
        for i, n in enumerate([1, 5, 1, 3, 5, 2]):
            feeds = {"image": models.rnd(2000 + i, n, 3, 20, 20)}
            compare(f"{case.name} batch {n}", m.run(feeds), ort_run(case.model, feeds), case.rtol, case.atol)
