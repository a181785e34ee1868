#!/usr/bin/env python3
"""dlrt vs LiteRT (TensorFlow Lite's runtime with XNNPACK) on the same architectures, one process.

LiteRT needs TensorFlow to produce .tflite files, far too heavy for CI: this runs from a separate,
benchmark-only venv (`make bench-litert` creates it in .venv-litert):

    python3 -m venv .venv-litert && .venv-litert/bin/pip install ai-edge-litert tensorflow-cpu onnx numpy
    .venv-litert/bin/python benchmarks/litert_compare.py [--models mlp,mobilenetv2] [--threads 1,2]

Each model is built twice with the same layer shapes: as ONNX by benchmarks/zoo.py (converted with
`dlrt convert`) and in Keras (converted with tf.lite.TFLiteConverter, float32). Weights differ
(random), which does not change the work done. Per call: inputs in, run, outputs out — for LiteRT
`set_tensor`, `invoke`, `get_tensor` (what its users write); for dlrt `Model.run`. Calls alternate;
the table gives medians / p99 and the ratio dlrt / LiteRT. Writes benchmarks/RESULTS_LITERT.md.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "bindings" / "python"))


def keras_models():
    import keras
    from keras import layers as L

    def mlp():
        x = keras.Input((24,), batch_size=1)
        h = L.Dense(256, activation="relu")(x)
        h = L.Dense(256, activation="relu")(h)
        return keras.Model(x, L.Dense(6, activation="tanh")(h))

    def pilotnet():
        x = keras.Input((66, 200, 3), batch_size=1)
        h = L.Rescaling(1 / 127.5, offset=-1)(x)
        for c, k, s in [(24, 5, 2), (36, 5, 2), (48, 5, 2), (64, 3, 1), (64, 3, 1)]:
            h = L.Conv2D(c, k, strides=s, activation="elu")(h)
        h = L.Flatten()(h)
        for n in (100, 50, 10):
            h = L.Dense(n, activation="elu")(h)
        return keras.Model(x, L.Dense(1, activation="tanh")(h))

    def mobilenetv2():
        return keras.applications.MobileNetV2(input_shape=(128, 128, 3), weights=None, classes=1000,
                                              classifier_activation=None)

    def resnet18():
        x = keras.Input((224, 224, 3), batch_size=1)
        h = L.ReLU()(L.BatchNormalization()(L.Conv2D(64, 7, strides=2, padding="same", use_bias=False)(x)))
        h = L.MaxPooling2D(3, strides=2, padding="same")(h)
        cin = 64
        for stage, c in enumerate([64, 128, 256, 512]):
            for block in range(2):
                s = 2 if stage > 0 and block == 0 else 1
                y = L.ReLU()(L.BatchNormalization()(L.Conv2D(c, 3, strides=s, padding="same", use_bias=False)(h)))
                y = L.BatchNormalization()(L.Conv2D(c, 3, padding="same", use_bias=False)(y))
                skip = h if s == 1 and cin == c else L.BatchNormalization()(L.Conv2D(c, 1, strides=s, use_bias=False)(h))
                h = L.ReLU()(L.Add()([y, skip]))
                cin = c
        return keras.Model(x, L.Dense(1000)(L.GlobalAveragePooling2D()(h)))

    def dcgan():
        z = keras.Input((1, 1, 100), batch_size=1)
        h = z
        for i, c in enumerate([512, 256, 128, 64]):
            h = L.Conv2DTranspose(c, 4, strides=1 if i == 0 else 2, padding="valid" if i == 0 else "same", use_bias=False)(h)
            h = L.ReLU()(L.BatchNormalization()(h))
        return keras.Model(z, L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh", use_bias=False)(h))

    def lstm2():
        x = keras.Input((32, 64), batch_size=1)
        h = L.LSTM(128, return_sequences=True)(x)
        h = L.LSTM(128)(h)
        return keras.Model(x, L.Dense(8)(h))

    def encoder(layers, hidden, heads, seq, causal):
        ids = keras.Input((seq,), batch_size=1, dtype="int32")
        h = L.Embedding(30522 if not causal else 4096, hidden)(ids)
        h = h + L.Embedding(512, hidden)(keras.ops.arange(seq)[None, :])
        if not causal:
            h = L.LayerNormalization(epsilon=1e-12)(h)
        for _ in range(layers):
            a_in = L.LayerNormalization()(h) if causal else h
            a = L.MultiHeadAttention(heads, hidden // heads)(a_in, a_in, use_causal_mask=causal)
            h = h + a if causal else L.LayerNormalization(epsilon=1e-12)(h + a)
            f_in = L.LayerNormalization()(h) if causal else h
            f = L.Dense(hidden)(L.Dense(4 * hidden, activation="gelu")(f_in))
            h = h + f if causal else L.LayerNormalization(epsilon=1e-12)(h + f)
        if causal:
            h = L.Dense(4096, use_bias=False)(L.LayerNormalization()(h))
        return keras.Model(ids, h)

    return {"mlp": mlp, "pilotnet": pilotnet, "mobilenetv2": mobilenetv2, "resnet18": resnet18, "dcgan": dcgan,
            "lstm2": lstm2, "bert6": lambda: encoder(6, 384, 12, 64, False), "gpt": lambda: encoder(4, 256, 4, 64, True)}


def to_tflite(model, path: Path) -> None:
    import tensorflow as tf
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    path.write_bytes(conv.convert())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="mlp,pilotnet,mobilenetv2,resnet18,dcgan,lstm2,bert6,gpt")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--work", default=str(REPO / "out" / "bench-litert"))
    ap.add_argument("--out", default=str(HERE / "RESULTS_LITERT.md"))
    args = ap.parse_args()
    import onnx
    import dlrt
    import zoo
    from ai_edge_litert.interpreter import Interpreter

    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    cli = os.environ.get("DLRT_CLI", str(REPO / ".build" / "release" / "dlrt"))
    builders = keras_models()
    rows = []
    for name in args.models.split(","):
        bm = zoo.MODELS[name]()
        onnx_path, dl_path, tfl_path = work / f"{name}.onnx", work / f"{name}.dlrt", work / f"{name}.tflite"
        onnx.save(bm.model, onnx_path)
        r = subprocess.run([cli, "convert", str(onnx_path), "-o", str(dl_path)], capture_output=True, text=True)
        if r.returncode != 0:
            rows.append(f"| {bm.description} | — | — | — | — | n/a: dlrt: {r.stderr.strip().splitlines()[0][:120]} |")
            print(rows[-1], flush=True)
            continue
        if not tfl_path.exists():
            to_tflite(builders[name](), tfl_path)
        feeds = zoo.random_feeds(bm.model, bm.dims, seed=1)
        for t in [int(x) for x in args.threads.split(",")]:
            model = dlrt.Model(str(dl_path), threads=t)
            interp = Interpreter(model_path=str(tfl_path), num_threads=t)
            interp.allocate_tensors()
            ins, outs = interp.get_input_details(), interp.get_output_details()
            rng = np.random.default_rng(1)
            tfl_feeds = [(d["index"], (rng.integers(0, 1000, d["shape"]) if d["dtype"] != np.float32
                                       else rng.standard_normal(d["shape"])).astype(d["dtype"])) for d in ins]

            def run_litert():
                for idx, v in tfl_feeds:
                    interp.set_tensor(idx, v)
                interp.invoke()
                return [interp.get_tensor(o["index"]) for o in outs]

            calls = {"dlrt": lambda: model.run(feeds), "litert": run_litert}
            t0 = time.perf_counter()
            for f in calls.values():
                f()
            runs = int(min(5000, max(15, args.seconds / max(time.perf_counter() - t0, 1e-6))))
            for _ in range(min(20, runs)):
                for f in calls.values():
                    f()
            times = {k: [] for k in calls}
            for _ in range(runs):
                for k, f in calls.items():
                    s = time.perf_counter()
                    f()
                    times[k].append(time.perf_counter() - s)
            med = {k: float(np.median(v)) * 1e3 for k, v in times.items()}
            p99 = {k: float(np.percentile(v, 99)) * 1e3 for k, v in times.items()}
            fmt = lambda v: f"{v * 1e3:.1f} µs" if v < 1 else f"{v:.2f} ms"  # noqa: E731
            rows.append(f"| {bm.description} | {t} | {fmt(med['dlrt'])} / {fmt(p99['dlrt'])} | "
                        f"{fmt(med['litert'])} / {fmt(p99['litert'])} | **{med['dlrt'] / med['litert']:.2f}** | "
                        f"file {dl_path.stat().st_size / 2**20:.1f} vs {tfl_path.stat().st_size / 2**20:.1f} MB |")
            print(rows[-1], flush=True)
            model.close()
    import ai_edge_litert
    text = "\n".join([
        "# dlrt vs LiteRT", "",
        f"Generated by `make bench-litert` (`benchmarks/litert_compare.py`) on {time.strftime('%Y-%m-%d')}; "
        f"ai-edge-litert {getattr(ai_edge_litert, '__version__', '?')} (XNNPACK), dlrt {dlrt.version()}. "
        "Same layer shapes, random weights; per call = inputs in, run, outputs out; ratio = dlrt / LiteRT "
        "median (< 1: dlrt faster). Shared 2-vCPU VM: read the ratios.", "",
        "| model | threads | dlrt p50 / p99 | LiteRT p50 / p99 | ratio | notes |", "|---|---|---|---|---|---|",
    ] + rows) + "\n"
    if args.out != "-":
        Path(args.out).write_text(text)
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
