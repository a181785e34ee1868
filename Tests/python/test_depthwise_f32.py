"""float32 depthwise Conv (group = C = M) against onnxruntime: the AVX-512 C kernel
(CDLRTSupport/fdepthwise.c, DLRTRuntime/Ops/DepthwiseConv.swift) and, with DLRT_ISA=avx2 /
baseline, the Swift kernels — channel counts around the 16-lane block (2…67), odd sizes,
strides 1–3, asymmetric pads, dilation, every fused activation, batches; results identical with
1 and 2 threads."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from conftest import ort_run

REPO = Path(__file__).resolve().parents[2]


def model(c, k, stride, pads, dilation, act, bias=True):
    rng = np.random.default_rng(c * 31 + k[0] * 7 + k[1])
    w = rng.standard_normal((c, 1, k[0], k[1])).astype(np.float32)
    inits = [numpy_helper.from_array(w, "W"), numpy_helper.from_array(np.array(0.5, np.float32), "lo"),
             numpy_helper.from_array(np.array(2.5, np.float32), "hi")]
    ins = ["x", "W"]
    if bias:
        inits.append(numpy_helper.from_array(rng.standard_normal(c).astype(np.float32), "B"))
        ins.append("B")
    nodes = [helper.make_node("Conv", ins, ["conv"], group=c, kernel_shape=list(k), strides=list(stride), pads=list(pads),
                              dilations=list(dilation))]
    acts = {None: ("Identity", [], {}), "relu": ("Relu", [], {}), "clip": ("Clip", ["lo", "hi"], {}),
            "leaky": ("LeakyRelu", [], {"alpha": 0.2}), "sigmoid": ("Sigmoid", [], {}), "tanh": ("Tanh", [], {})}
    op, extra, attrs = acts[act]
    nodes.append(helper.make_node(op, ["conv"] + extra, ["y"], **attrs))
    g = helper.make_graph(nodes, "dw", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", c, "h", "w"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])


# (channels, (h, w), kernel, strides, pads [t, l, b, r], dilations, activation, batch, bias)
CASES = [
    (2, (5, 7), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), None, 1, True),
    (7, (9, 11), (3, 3), (2, 2), (1, 1, 1, 1), (1, 1), "clip", 2, True),
    (15, (1, 1), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), "relu", 1, True),
    (16, (8, 8), (3, 3), (1, 1), (1, 1, 1, 1), (1, 1), "relu", 1, False),
    (17, (13, 6), (5, 5), (2, 2), (2, 2, 2, 2), (1, 1), "leaky", 3, True),
    (19, (10, 10), (3, 3), (2, 2), (0, 0, 1, 1), (1, 1), "clip", 1, True),
    (33, (15, 17), (3, 3), (1, 1), (2, 2, 2, 2), (2, 2), "sigmoid", 1, True),
    (48, (33, 31), (3, 3), (3, 3), (3, 0, 1, 4), (1, 1), "tanh", 2, True),
    (67, (7, 9), (3, 3), (2, 1), (0, 0, 0, 0), (1, 1), None, 1, False),
    (64, (67, 3), (1, 3), (1, 1), (0, 1, 0, 1), (1, 1), "relu", 1, True),
]


def case_id(c):
    return f"c{c[0]}_{c[1][0]}x{c[1][1]}_k{c[2][0]}{c[2][1]}_s{c[3][0]}{c[3][1]}_p{''.join(map(str, c[4]))}_d{c[5][0]}_{c[6]}_n{c[7]}"


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_depthwise_f32_vs_onnxruntime(case, convert, dlrt_mod):
    c, (h, w), k, stride, pads, dil, act, batch, bias = case
    m = model(c, k, stride, pads, dil, act, bias)
    path = convert(m, "dwf32_" + case_id(case))
    x = np.random.default_rng(c + h).standard_normal((batch, c, h, w)).astype(np.float32)
    want = ort_run(m, {"x": x})["y"]
    with dlrt_mod.Model(path) as m1, dlrt_mod.Model(path, threads=2) as m2:
        got, got2 = m1.run({"x": x})["y"], m2.run({"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * float(np.abs(want).max() + 1))
    assert np.array_equal(got, got2), "results depend on the thread count"


@pytest.mark.parametrize("isa", ["avx2", "baseline"])
def test_depthwise_f32_other_isas(isa, convert, tmp_path):
    """The Swift kernels chosen below AVX-512 agree with onnxruntime on the same graphs."""
    for case in CASES[:6]:
        c, (h, w), k, stride, pads, dil, act, batch, bias = case
        m = model(c, k, stride, pads, dil, act, bias)
        path = convert(m, "dwf32_" + case_id(case))
        x = np.random.default_rng(c + h).standard_normal((batch, c, h, w)).astype(np.float32)
        np.save(tmp_path / "x.npy", x)
        code = ("import sys, numpy as np; sys.path.insert(0, sys.argv[1]); import dlrt\n"
                "with dlrt.Model(sys.argv[2]) as m: np.save(sys.argv[4], m.run({'x': np.load(sys.argv[3])})['y'])\n")
        env = dict(os.environ, DLRT_ISA=isa)
        subprocess.run([sys.executable, "-c", code, str(REPO / "bindings" / "python"), str(path), str(tmp_path / "x.npy"),
                        str(tmp_path / "y.npy")], check=True, env=env, timeout=120)
        want = ort_run(m, {"x": x})["y"]
        np.testing.assert_allclose(np.load(tmp_path / "y.npy"), want, rtol=1e-4, atol=1e-5 * float(np.abs(want).max() + 1))
