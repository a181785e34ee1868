"""LayerNormalization's optional Mean and InvStdDev outputs (training-style graphs export them),
against onnxruntime (rtol 1e-4), at several axes, with and without B, at 1 and 2 threads."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import compare, ort_run, run_cli
from models import rnd, vi


def ln_model(axis, outputs, bias=True, shape=(3, 4, 10)):
    norm = shape[axis:] if axis >= 0 else shape[len(shape) + axis:]
    inits = [onnx.numpy_helper.from_array(rnd(1, *norm), "scale")]
    ins = ["x", "scale"]
    if bias:
        inits.append(onnx.numpy_helper.from_array(rnd(2, *norm), "b"))
        ins.append("b")
    node = helper.make_node("LayerNormalization", ins, outputs, axis=axis, epsilon=1e-3, name="ln1")
    g = helper.make_graph([node], "m", [vi("x", ["n", *shape[1:]])], [vi(o, None) for o in outputs if o], initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    m.ir_version = 8
    return m


@pytest.mark.parametrize("axis", [1, 2, -1, -2])
@pytest.mark.parametrize("outputs", [["y", "mean", "inv"], ["y", "mean"]])
@pytest.mark.parametrize("bias", [True, False])
def test_layernorm_statistics_outputs(axis, outputs, bias, convert, dlrt_mod):
    m = ln_model(axis, outputs, bias)
    path = convert(m, f"ln_stats_{axis}_{len(outputs)}_{''.join(o[:1] or '_' for o in outputs)}_{bias}")
    for threads in (1, 2):
        with dlrt_mod.Model(path, threads=threads) as model:
            for n in (1, 3):
                feeds = {"x": rnd(10 + n, n, 4, 10) * 3 + 1}
                compare(f"axis {axis} n {n} threads {threads}", model.run(feeds), ort_run(m, feeds), 1e-4, 1e-5)


def test_layernorm_inv_std_dev_without_mean_is_refused(tmp_path, cli):
    """An absent output before a present one has no tensor in a .dlrt node: refused by name."""
    m = ln_model(-1, ["y", "", "inv"])
    src = tmp_path / "m.onnx"
    onnx.save(m, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode != 0 and "'ln1'" in r.stderr and "optional outputs" in r.stderr, r.stderr


def test_layernorm_refuses_stash_type(tmp_path, cli):
    m = ln_model(-1, ["y", "mean"])
    m.graph.node[0].attribute.append(helper.make_attribute("stash_type", 16))
    src = tmp_path / "m.onnx"
    onnx.save(m, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode != 0 and "stash_type" in r.stderr and "'ln1'" in r.stderr, r.stderr
