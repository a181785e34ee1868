#!/usr/bin/env python3
"""A driving example: a PilotNet-style steering network (NVIDIA's end-to-end driving CNN) on
66×200 camera frames, built as an ONNX file the way PyTorch exports it, converted with dlrt and
run frame by frame as a driving stack would, compared with onnxruntime when it is installed.

    python examples/python/driving.py [--frames 300] [--workdir out/driving]

The weights are random (seeded): the point is the workflow and the per-frame latency, not the
steering. Normalisation (x/127.5 - 1) is part of the graph, as in PilotNet.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[2]
try:
    import dlrt
except ImportError:  # running from a source checkout
    sys.path.insert(0, str(REPO / "bindings" / "python"))
    import dlrt


def pilotnet(seed: int = 0) -> onnx.ModelProto:
    """5 convolutions (24/36/48 5×5 stride 2, 64/64 3×3) → 1152 → 100 → 50 → 10 → 1 steering."""
    rng = np.random.default_rng(seed)
    inits, nodes = [], []

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    x = "frame"
    nodes.append(helper.make_node("Div", [x, const("scale", np.float32(127.5))], ["scaled"], name="/norm/Div"))
    nodes.append(helper.make_node("Sub", ["scaled", const("one", np.float32(1.0))], ["normed"], name="/norm/Sub"))
    x, channels = "normed", 3
    for i, (out, k, s) in enumerate([(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]):
        w = (rng.standard_normal((out, channels, k, k)) * np.sqrt(2 / (channels * k * k))).astype(np.float32)
        b = (rng.standard_normal(out) * 0.01).astype(np.float32)
        nodes.append(helper.make_node("Conv", [x, const(f"conv{i}.weight", w), const(f"conv{i}.bias", b)], [f"c{i}"],
                                      kernel_shape=[k, k], strides=[s, s], name=f"/conv{i}/Conv"))
        nodes.append(helper.make_node("Elu", [f"c{i}"], [f"e{i}"], name=f"/elu{i}/Elu"))
        x, channels = f"e{i}", out
    nodes.append(helper.make_node("Flatten", [x], ["flat"], axis=1, name="/Flatten"))
    x, width = "flat", 64 * 1 * 18
    for i, out in enumerate([100, 50, 10, 1]):
        w = (rng.standard_normal((out, width)) * np.sqrt(1 / width)).astype(np.float32)
        b = (rng.standard_normal(out) * 0.01).astype(np.float32)
        y = f"fc{i}" if out > 1 else "steering_raw"
        nodes.append(helper.make_node("Gemm", [x, const(f"fc{i}.weight", w), const(f"fc{i}.bias", b)], [y],
                                      transB=1, name=f"/fc{i}/Gemm"))
        if out > 1:
            nodes.append(helper.make_node("Elu", [y], [f"a{i}"], name=f"/fc{i}/Elu"))
            y = f"a{i}"
        x, width = y, out
    nodes.append(helper.make_node("Tanh", [x], ["steering"], name="/Tanh"))
    graph = helper.make_graph(nodes, "pilotnet",
                              [helper.make_tensor_value_info("frame", TensorProto.FLOAT, ["batch", 3, 66, 200])],
                              [helper.make_tensor_value_info("steering", TensorProto.FLOAT, ["batch", 1])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="dlrt-examples")
    onnx.checker.check_model(model)
    return model


def find_cli() -> str:
    import os
    for candidate in (os.environ.get("DLRT_CLI"), REPO / ".build" / "release" / "dlrt"):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    return "dlrt"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--workdir", default=str(REPO / "out" / "driving"))
    args = ap.parse_args()
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    onnx_path, dlrt_path = work / "pilotnet.onnx", work / "pilotnet.dlrt"
    onnx.save(pilotnet(), onnx_path)
    subprocess.run([find_cli(), "convert", str(onnx_path), "-o", str(dlrt_path)], check=True, stdout=subprocess.DEVNULL)

    rng = np.random.default_rng(1)
    # A synthetic drive: a bright road band drifting left and right across noisy frames.
    frames = []
    for t in range(args.frames):
        img = rng.uniform(0, 60, (1, 3, 66, 200)).astype(np.float32)
        centre = int(100 + 60 * np.sin(t / 25))
        img[:, :, 30:, max(centre - 20, 0):centre + 20] += 150
        frames.append(np.clip(img, 0, 255))

    with dlrt.Model(str(dlrt_path)) as model:
        steering, times = [], []
        for frame in frames:
            t0 = time.perf_counter()
            out = model.run({"frame": frame})["steering"]
            times.append(time.perf_counter() - t0)
            steering.append(float(out[0, 0]))
    times_us = np.array(times[10:] or times) * 1e6
    print(f"PilotNet 66×200: {len(frames)} frames, steering range [{min(steering):+.3f}, {max(steering):+.3f}]")
    print(f"dlrt per frame: median {np.median(times_us):.0f} us, p99 {np.percentile(times_us, 99):.0f} us")
    try:
        import onnxruntime as ort
    except ImportError:
        return 0
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    session = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    reference = [float(session.run(None, {"frame": f})[0][0, 0]) for f in frames]
    diff = max(abs(a - b) for a, b in zip(steering, reference))
    print(f"onnxruntime agreement: max |steering difference| {diff:.2e}")
    return 0 if diff < 1e-4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
