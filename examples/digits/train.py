#!/usr/bin/env python3
"""Train a small CNN on scikit-learn's bundled 8x8 digits with numpy only, and export it to ONNX
the way PyTorch's exporter would write it.

    python examples/digits/train.py            # writes digits_cnn.onnx and digits_test.npz here

Network (NCHW, input "input" [batch, 1, 8, 8], pixels scaled to [0, 1]):
    Conv 3x3 1->16 pad 1 (+bias) -> BatchNorm -> Relu
    Conv 3x3 16->32 stride 2 pad 1 (+bias) -> Relu          -> [N, 32, 4, 4]
    Flatten (Shape -> Gather -> Unsqueeze -> Concat -> Reshape) -> [N, 512]
    Gemm 512->10 (transB=1) -> Softmax(axis=1)              -> "probabilities" [batch, 10]
Trained with Adam on cross-entropy; fixed seeds and a fixed train/test split, so reruns give the
same weights. Runs in well under a minute on one core.
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

# One BLAS thread: the run is then bit-for-bit reproducible (threaded BLAS sums in varying order).
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
SEED = 0


# ---- data --------------------------------------------------------------------------------------

def load_data():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0)[:, None, :, :]  # [N, 1, 8, 8]
    y = d.target.astype(np.int64)
    return train_test_split(x, y, test_size=0.25, random_state=42, stratify=y)


# ---- layers (forward returns a cache for backward) ---------------------------------------------

def im2col(x, kh, kw, stride, pad):
    n, c, h, w = x.shape
    ho = (h + 2 * pad - kh) // stride + 1
    wo = (w + 2 * pad - kw) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((n, c, kh, kw, ho, wo), dtype=x.dtype)
    for i in range(kh):
        for j in range(kw):
            cols[:, :, i, j] = xp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride]
    return cols.reshape(n, c * kh * kw, ho * wo), ho, wo


def col2im(dcols, xshape, kh, kw, stride, pad, ho, wo):
    n, c, h, w = xshape
    dcols = dcols.reshape(n, c, kh, kw, ho, wo)
    dxp = np.zeros((n, c, h + 2 * pad, w + 2 * pad), dtype=dcols.dtype)
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += dcols[:, :, i, j]
    return dxp[:, :, pad:pad + h, pad:pad + w]


def conv_fwd(x, w, b, stride, pad):
    m, c, kh, kw = w.shape
    cols, ho, wo = im2col(x, kh, kw, stride, pad)          # [N, CK, P]
    y = np.einsum("mk,nkp->nmp", w.reshape(m, -1), cols, optimize=True) + b[None, :, None]
    return y.reshape(x.shape[0], m, ho, wo), (x.shape, cols, w, stride, pad, ho, wo)


def conv_bwd(dy, cache):
    xshape, cols, w, stride, pad, ho, wo = cache
    m, c, kh, kw = w.shape
    dy = dy.reshape(dy.shape[0], m, -1)                      # [N, M, P]
    dw = np.einsum("nmp,nkp->mk", dy, cols, optimize=True).reshape(w.shape)
    db = dy.sum(axis=(0, 2))
    dcols = np.einsum("mk,nmp->nkp", w.reshape(m, -1), dy, optimize=True)
    dx = col2im(dcols, xshape, kh, kw, stride, pad, ho, wo)
    return dx, dw, db


def bn_fwd_train(x, gamma, beta, eps):
    mu = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    inv = 1.0 / np.sqrt(var + eps)
    xh = (x - mu[None, :, None, None]) * inv[None, :, None, None]
    y = gamma[None, :, None, None] * xh + beta[None, :, None, None]
    return y, (xh, inv, gamma), mu, var


def bn_bwd(dy, cache):
    xh, inv, gamma = cache
    m = dy.shape[0] * dy.shape[2] * dy.shape[3]
    dgamma = (dy * xh).sum(axis=(0, 2, 3))
    dbeta = dy.sum(axis=(0, 2, 3))
    dxh = dy * gamma[None, :, None, None]
    dx = (inv[None, :, None, None] / m) * (m * dxh - dxh.sum(axis=(0, 2, 3))[None, :, None, None]
                                           - xh * (dxh * xh).sum(axis=(0, 2, 3))[None, :, None, None])
    return dx, dgamma, dbeta


def softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


# ---- model -------------------------------------------------------------------------------------

C1, C2, NCLS, EPS, BN_MOMENTUM = 16, 32, 10, 1e-5, 0.1


def init_params(rng):
    def kaiming(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)
    return {
        "conv1.weight": kaiming((C1, 1, 3, 3), 9),
        "conv1.bias": np.zeros(C1, np.float32),
        "bn1.weight": np.ones(C1, np.float32),
        "bn1.bias": np.zeros(C1, np.float32),
        "conv2.weight": kaiming((C2, C1, 3, 3), C1 * 9),
        "conv2.bias": np.zeros(C2, np.float32),
        "fc.weight": (rng.standard_normal((NCLS, C2 * 16)) * np.sqrt(1.0 / (C2 * 16))).astype(np.float32),
        "fc.bias": np.zeros(NCLS, np.float32),
    }


def forward(p, state, x, train):
    h1, c1 = conv_fwd(x, p["conv1.weight"], p["conv1.bias"], 1, 1)
    if train:
        b1, cb, mu, var = bn_fwd_train(h1, p["bn1.weight"], p["bn1.bias"], EPS)
        n = h1.shape[0] * h1.shape[2] * h1.shape[3]
        state["bn1.running_mean"] = (1 - BN_MOMENTUM) * state["bn1.running_mean"] + BN_MOMENTUM * mu
        state["bn1.running_var"] = (1 - BN_MOMENTUM) * state["bn1.running_var"] + BN_MOMENTUM * var * n / (n - 1)
    else:
        inv = 1.0 / np.sqrt(state["bn1.running_var"] + EPS)
        b1 = (h1 - state["bn1.running_mean"][None, :, None, None]) * (inv * p["bn1.weight"])[None, :, None, None] \
            + p["bn1.bias"][None, :, None, None]
        cb = None
    r1 = np.maximum(b1, 0)
    h2, c2 = conv_fwd(r1, p["conv2.weight"], p["conv2.bias"], 2, 1)
    r2 = np.maximum(h2, 0)
    f = r2.reshape(r2.shape[0], -1)
    logits = f @ p["fc.weight"].T + p["fc.bias"]
    return logits, (c1, cb, b1, c2, h2, r2.shape, f)


def backward(p, cache, dlogits):
    c1, cb, b1, c2, h2, r2shape, f = cache
    g = {}
    g["fc.weight"] = dlogits.T @ f
    g["fc.bias"] = dlogits.sum(axis=0)
    df = dlogits @ p["fc.weight"]
    dh2 = df.reshape(r2shape) * (h2 > 0)
    dr1, g["conv2.weight"], g["conv2.bias"] = conv_bwd(dh2, c2)
    db1 = dr1 * (b1 > 0)
    dh1, g["bn1.weight"], g["bn1.bias"] = bn_bwd(db1, cb)
    _, g["conv1.weight"], g["conv1.bias"] = conv_bwd(dh1, c1)
    return g


def predict(p, state, x, batch=512):
    out = [softmax(forward(p, state, x[i:i + batch], False)[0]) for i in range(0, len(x), batch)]
    return np.concatenate(out)


def train(x_tr, y_tr, x_te, y_te, epochs=30, batch=32, lr=2e-3, wd=1e-4, verbose=True):
    rng = np.random.default_rng(SEED)
    p = init_params(rng)
    state = {"bn1.running_mean": np.zeros(C1, np.float32), "bn1.running_var": np.ones(C1, np.float32)}
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, t = 0.9, 0.999, 0
    n = len(x_tr)
    for ep in range(epochs):
        order = rng.permutation(n)
        lr_ep = lr * 0.5 * (1 + np.cos(np.pi * ep / epochs))  # cosine decay
        loss_sum = 0.0
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            xb, yb = x_tr[idx], y_tr[idx]
            logits, cache = forward(p, state, xb, True)
            prob = softmax(logits)
            loss_sum += -np.log(prob[np.arange(len(yb)), yb] + 1e-12).sum()
            dlogits = prob
            dlogits[np.arange(len(yb)), yb] -= 1
            dlogits /= len(yb)
            g = backward(p, cache, dlogits.astype(np.float32))
            t += 1
            for k in p:
                gk = g[k] + wd * p[k] if k.endswith("weight") and not k.startswith("bn") else g[k]
                m[k] = b1 * m[k] + (1 - b1) * gk
                v[k] = b2 * v[k] + (1 - b2) * gk * gk
                mh = m[k] / (1 - b1 ** t)
                vh = v[k] / (1 - b2 ** t)
                p[k] = (p[k] - lr_ep * mh / (np.sqrt(vh) + 1e-8)).astype(np.float32)
        if verbose and (ep % 5 == 4 or ep == epochs - 1):
            acc = (predict(p, state, x_te).argmax(1) == y_te).mean()
            print(f"epoch {ep + 1:3d}  loss {loss_sum / n:.4f}  test acc {acc:.4f}")
    state = {k: v.astype(np.float32) for k, v in state.items()}
    return p, state


# ---- ONNX export (the graph torch.onnx.export writes for this module, opset 17) -----------------

def export_onnx(p, state, path, opset=17):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    inits = [numpy_helper.from_array(np.asarray(a, np.float32), k) for k, a in {**p, **state}.items()]
    inits += [
        numpy_helper.from_array(np.array(0, np.int64), "onnx::Gather_idx0"),
        numpy_helper.from_array(np.array([0], np.int64), "onnx::Unsqueeze_axes"),
        numpy_helper.from_array(np.array([-1], np.int64), "onnx::Concat_minus1"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["/conv1/Conv_output_0"],
                         name="/conv1/Conv", dilations=[1, 1], group=1, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[1, 1]),
        helper.make_node("BatchNormalization",
                         ["/conv1/Conv_output_0", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"],
                         ["/bn1/BatchNormalization_output_0"], name="/bn1/BatchNormalization",
                         epsilon=EPS, momentum=1 - BN_MOMENTUM),
        helper.make_node("Relu", ["/bn1/BatchNormalization_output_0"], ["/relu1/Relu_output_0"], name="/relu1/Relu"),
        helper.make_node("Conv", ["/relu1/Relu_output_0", "conv2.weight", "conv2.bias"], ["/conv2/Conv_output_0"],
                         name="/conv2/Conv", dilations=[1, 1], group=1, kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1], strides=[2, 2]),
        helper.make_node("Relu", ["/conv2/Conv_output_0"], ["/relu2/Relu_output_0"], name="/relu2/Relu"),
        # x.view(x.size(0), -1)
        helper.make_node("Shape", ["/relu2/Relu_output_0"], ["/Shape_output_0"], name="/Shape"),
        helper.make_node("Gather", ["/Shape_output_0", "onnx::Gather_idx0"], ["/Gather_output_0"],
                         name="/Gather", axis=0),
        helper.make_node("Unsqueeze", ["/Gather_output_0", "onnx::Unsqueeze_axes"], ["/Unsqueeze_output_0"],
                         name="/Unsqueeze"),
        helper.make_node("Concat", ["/Unsqueeze_output_0", "onnx::Concat_minus1"], ["/Concat_output_0"],
                         name="/Concat", axis=0),
        helper.make_node("Reshape", ["/relu2/Relu_output_0", "/Concat_output_0"], ["/Reshape_output_0"],
                         name="/Reshape", allowzero=0),
        helper.make_node("Gemm", ["/Reshape_output_0", "fc.weight", "fc.bias"], ["/fc/Gemm_output_0"],
                         name="/fc/Gemm", alpha=1.0, beta=1.0, transB=1),
        helper.make_node("Softmax", ["/fc/Gemm_output_0"], ["probabilities"], name="/Softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "main_graph",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 8, 8])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["batch", NCLS])],
        initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="pytorch", producer_version="2.1.0")
    model.ir_version = 8
    helper.set_model_props(model, {
        "labels": ",".join(str(i) for i in range(NCLS)),
        "description": "8x8 digits CNN trained with numpy (examples/digits/train.py)",
        "input_scaling": "pixel/16",
    })
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(path))
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out-dir", default=str(HERE))
    ap.add_argument("--epochs", type=int, default=30)
    args = ap.parse_args()
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    x_tr, x_te, y_tr, y_te = load_data()
    print(f"train {len(x_tr)}  test {len(x_te)}")
    p, state = train(x_tr, y_tr, x_te, y_te, epochs=args.epochs)
    probs = predict(p, state, x_te)
    acc = float((probs.argmax(1) == y_te).mean())
    print(f"numpy model test accuracy: {acc:.4f}  ({time.perf_counter() - t0:.1f} s)")
    assert acc >= 0.95, f"accuracy {acc} below 0.95"

    onnx_path = out / "digits_cnn.onnx"
    export_onnx(p, state, onnx_path)
    np.savez_compressed(out / "digits_test.npz", images=x_te.astype(np.float32), labels=y_te.astype(np.int64))

    import onnxruntime as ort
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), so, providers=["CPUExecutionProvider"])
    ort_probs = sess.run(None, {"input": x_te})[0]
    ort_acc = float((ort_probs.argmax(1) == y_te).mean())
    print(f"onnxruntime test accuracy:  {ort_acc:.4f}  max |prob diff| {np.abs(ort_probs - probs).max():.2e}")
    assert ort_acc == acc, "onnxruntime disagrees with the numpy model"
    print(f"wrote {onnx_path} ({os.path.getsize(onnx_path)} bytes) and {out / 'digits_test.npz'}")


if __name__ == "__main__":
    main()
