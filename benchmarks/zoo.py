"""The benchmark models, built with onnx.helper the way PyTorch exports them (random weights,
fixed seeds). Each builder returns a ``BenchModel``: the ONNX model, the sizes of its symbolic
dims for the benchmark, and whether it is a convnet (so int8 uses static calibration).

    resnet18      ResNet-18, 224×224, BasicBlocks, BN folded by the converter        (3.6 GFLOP)
    mobilenetv2   MobileNetV2 (width 1.0) at 128×128, ReLU6, inverted residuals      (0.1 GFLOP)
    pilotnet      NVIDIA PilotNet driving net, 66×200 (examples/python/driving.py)
    bert6         BERT-style encoder: 6 layers, hidden 384, 12 heads, FFN 1536, seq 12–128
    gpt           GPT-style decoder: 4 layers, hidden 256, 4 heads, learned positions, causal mask
    lstm2         2-layer LSTM, input 64, hidden 128, 32 steps, batch 1
    dcgan         DCGAN generator, z 100 → 64×64×3 (ConvTranspose, BN, ReLU, Tanh)
    mlp           24→256→256→6 MLP policy (examples/control_loop/make_policy.py)
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List

import numpy as np
import onnx
from onnx import TensorProto, helper

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "Tests" / "python"))
sys.path.insert(0, str(REPO / "examples" / "python"))
sys.path.insert(0, str(REPO / "examples" / "control_loop"))
from models import F32, I64, GraphBuilder, vi  # noqa: E402


@dataclass
class BenchModel:
    name: str
    model: onnx.ModelProto
    dims: Dict[str, int] = field(default_factory=dict)   # sizes of symbolic dims for the benchmark
    convnet: bool = False                                # int8: static (calibrated) rather than dynamic
    description: str = ""


# ---- convnets -------------------------------------------------------------------------------------

def resnet18(size: int = 224) -> BenchModel:
    b = GraphBuilder(18)
    h = b.node("Relu", [b.bn(b.conv("input", 3, 64, k=7, stride=2, pad=3, bias=False), 64)])
    h = b.node("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, cout in enumerate([64, 128, 256, 512]):
        for block in range(2):
            stride = 2 if stage > 0 and block == 0 else 1
            y = b.node("Relu", [b.bn(b.conv(h, cin, cout, k=3, stride=stride, pad=1, bias=False), cout)])
            y = b.bn(b.conv(y, cout, cout, k=3, stride=1, pad=1, bias=False), cout)
            skip = h if stride == 1 and cin == cout else b.bn(b.conv(h, cin, cout, k=1, stride=stride, pad=0, bias=False), cout)
            h = b.node("Relu", [b.node("Add", [y, skip])])
            cin = cout
    h = b.node("Flatten", [b.node("GlobalAveragePool", [h])])
    b.nodes.append(helper.make_node("Gemm", [h, b.weight((1000, 512)), b.const(np.zeros(1000, np.float32))],
                                    ["logits"], name="/fc/Gemm", transB=1))
    m = b.build("resnet18", [vi("input", ["batch", 3, size, size])], [vi("logits", ["batch", 1000])], opset=17)
    return BenchModel("resnet18", m, {"batch": 1}, convnet=True, description=f"ResNet-18 {size}²")


def mobilenetv2(size: int = 128) -> BenchModel:
    b = GraphBuilder(2)

    def relu6(x):
        return b.node("Clip", [x, b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))])

    h = relu6(b.bn(b.conv("input", 3, 32, k=3, stride=2, pad=1, bias=False), 32))
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = h if t == 1 else relu6(b.bn(b.conv(h, cin, hidden, k=1, pad=0, bias=False), hidden))
            y = relu6(b.bn(b.conv(y, hidden, hidden, k=3, stride=stride, pad=1, group=hidden, bias=False), hidden))
            y = b.bn(b.conv(y, hidden, c, k=1, pad=0, bias=False), c)
            h = b.node("Add", [y, h]) if stride == 1 and cin == c else y
            cin = c
    h = relu6(b.bn(b.conv(h, cin, 1280, k=1, pad=0, bias=False), 1280))
    h = b.node("Flatten", [b.node("GlobalAveragePool", [h])])
    b.nodes.append(helper.make_node("Gemm", [h, b.weight((1000, 1280)), b.const(np.zeros(1000, np.float32))],
                                    ["logits"], name="/classifier/Gemm", transB=1))
    m = b.build("mobilenetv2", [vi("input", ["batch", 3, size, size])], [vi("logits", ["batch", 1000])], opset=17)
    return BenchModel("mobilenetv2", m, {"batch": 1}, convnet=True, description=f"MobileNetV2 {size}²")


def pilotnet() -> BenchModel:
    from driving import pilotnet as build
    return BenchModel("pilotnet", build(0), {"batch": 1}, convnet=True, description="PilotNet 66×200")


def dcgan() -> BenchModel:
    b = GraphBuilder(64)
    h, cin = "z", 100
    for i, cout in enumerate([512, 256, 128, 64, 3]):
        w = b.weight((cin, cout, 4, 4), scale=0.02 * 4)
        stride, pad = (1, 0) if i == 0 else (2, 1)
        h = b.node("ConvTranspose", [h, w], kernel_shape=[4, 4], strides=[stride, stride], pads=[pad] * 4)
        h = b.node("Tanh", [h]) if cout == 3 else b.node("Relu", [b.bn(h, cout)])
        cin = cout
    b.node("Identity", [h], name="image")
    m = b.build("dcgan", [vi("z", ["batch", 100, 1, 1])], [vi("image_output_0", ["batch", 3, 64, 64])], opset=17)
    return BenchModel("dcgan", m, {"batch": 1}, convnet=True, description="DCGAN generator 64×64")


# ---- sequence models ------------------------------------------------------------------------------

class Transformer:
    """BERT/GPT building blocks with a given width (the same node patterns as
    Tests/python/test_transformer.py, which checks them against onnxruntime at test size)."""

    def __init__(self, b: GraphBuilder, hidden: int, heads: int):
        self.b, self.hidden, self.heads = b, hidden, heads

    def const(self, v):
        return self.b.const(np.array(v, np.float32))

    def layer_norm(self, x):
        b = self.b
        g = b.const((1 + 0.1 * b.rng.standard_normal(self.hidden)).astype(np.float32))
        beta = b.const((0.1 * b.rng.standard_normal(self.hidden)).astype(np.float32))
        return b.node("LayerNormalization", [x, g, beta], axis=-1, epsilon=1e-12)

    def linear(self, x, k, n):
        y = self.b.node("MatMul", [x, self.b.weight([k, n], scale=np.sqrt(1.0 / k))])
        return self.b.node("Add", [self.b.const((0.02 * self.b.rng.standard_normal(n)).astype(np.float32)), y])

    def gelu(self, x):
        b = self.b
        e = b.node("Erf", [b.node("Div", [x, self.const(1.4142135)])])
        return b.node("Mul", [b.node("Mul", [x, b.node("Add", [e, self.const(1.0)])]), self.const(0.5)])

    def heads_of(self, x, like, perm):
        b = self.b
        shp = b.node("Shape", [like])
        dims = [b.node("Unsqueeze", [b.node("Gather", [shp, b.const(np.array(i, np.int64))], axis=0),
                                     b.const(np.array([0], np.int64))]) for i in (0, 1)]
        target = b.node("Concat", dims + [b.const(np.array([self.heads, self.hidden // self.heads], np.int64))], axis=0)
        return b.node("Transpose", [b.node("Reshape", [x, target])], perm=perm)

    def attention(self, x, like, mask=None, causal=None):
        b, H = self.b, self.hidden
        q = self.heads_of(self.linear(x, H, H), like, [0, 2, 1, 3])
        k = self.heads_of(self.linear(x, H, H), like, [0, 2, 3, 1])
        v = self.heads_of(self.linear(x, H, H), like, [0, 2, 1, 3])
        s = b.node("Div", [b.node("MatMul", [q, k]), self.const(np.sqrt(H // self.heads))])
        if mask is not None:
            s = b.node("Add", [s, mask])
        if causal is not None:
            s = b.node("Where", [causal, s, self.const(-1e9)])
        ctx = b.node("Transpose", [b.node("MatMul", [b.node("Softmax", [s], axis=-1), v])], perm=[0, 2, 1, 3])
        first2 = b.node("Slice", [b.node("Shape", [like]), b.const(np.array([0], np.int64)), b.const(np.array([2], np.int64))])
        ctx = b.node("Reshape", [ctx, b.node("Concat", [first2, b.const(np.array([H], np.int64))], axis=0)])
        return self.linear(ctx, H, H)

    def ffn(self, x, inner):
        return self.linear(self.gelu(self.linear(x, self.hidden, inner)), inner, self.hidden)

    def positions(self, ids, table_rows):
        b = self.b
        seq = b.node("Gather", [b.node("Shape", [ids]), b.const(np.array(1, np.int64))], axis=0)
        pos = b.node("Unsqueeze", [b.node("Range", [b.const(np.array(0, np.int64)), seq, b.const(np.array(1, np.int64))]),
                                   b.const(np.array([0], np.int64))])
        return b.node("Gather", [b.weight([table_rows, self.hidden], scale=0.1), pos], axis=0)


def bert6(seq: int = 64, layers: int = 6, hidden: int = 384, heads: int = 12, vocab: int = 30522) -> BenchModel:
    b = GraphBuilder(384)
    t = Transformer(b, hidden, heads)
    words = b.node("Gather", [b.weight([vocab, hidden], scale=0.1), "input_ids"], axis=0)
    x = t.layer_norm(b.node("Add", [words, t.positions("input_ids", 512)]))
    m = b.node("Unsqueeze", [b.node("Unsqueeze", ["attention_mask", b.const(np.array([1], np.int64))]),
                             b.const(np.array([2], np.int64))])
    mask = b.node("Mul", [b.node("Sub", [t.const(1.0), b.node("Cast", [m], to=F32)]), t.const(-10000.0)])
    for _ in range(layers):
        x = t.layer_norm(b.node("Add", [t.attention(x, "input_ids", mask=mask), x]))
        x = t.layer_norm(b.node("Add", [t.ffn(x, 4 * hidden), x]))
    b.node("Identity", [x], name="hidden")
    inputs = [vi("input_ids", ["batch", "seq"], I64), vi("attention_mask", ["batch", "seq"], I64)]
    m = b.build("bert6", inputs, [vi("hidden_output_0", ["batch", "seq", hidden])], opset=17)
    return BenchModel("bert6", m, {"batch": 1, "seq": seq}, description=f"BERT {layers}×{hidden}, seq {seq}")


def gpt(seq: int = 64, layers: int = 4, hidden: int = 256, heads: int = 4, vocab: int = 4096, context: int = 256) -> BenchModel:
    b = GraphBuilder(256)
    t = Transformer(b, hidden, heads)
    table = b.weight([vocab, hidden], scale=0.1)
    x = b.node("Add", [b.node("Gather", [table, "input_ids"], axis=0), t.positions("input_ids", context)])
    seq_len = b.node("Unsqueeze", [b.node("Gather", [b.node("Shape", ["input_ids"]), b.const(np.array(1, np.int64))], axis=0),
                                   b.const(np.array([0], np.int64))])
    ones = b.node("Trilu", [b.const(np.ones((context, context), np.int64))], upper=0)
    causal = b.node("Cast", [b.node("Slice", [ones, b.const(np.array([0, 0], np.int64)),
                                              b.node("Concat", [seq_len, seq_len], axis=0)])], to=TensorProto.BOOL)
    for _ in range(layers):
        x = b.node("Add", [x, t.attention(t.layer_norm(x), "input_ids", causal=causal)])
        x = b.node("Add", [x, t.ffn(t.layer_norm(x), 4 * hidden)])
    logits = b.node("MatMul", [t.layer_norm(x), b.node("Transpose", [table], perm=[1, 0])])
    b.node("Identity", [logits], name="logits")
    m = b.build("gpt", [vi("input_ids", ["batch", "seq"], I64)], [vi("logits_output_0", ["batch", "seq", vocab])], opset=17)
    return BenchModel("gpt", m, {"batch": 1, "seq": seq}, description=f"GPT {layers}×{hidden}, seq {seq}")


def lstm2(steps: int = 32, features: int = 64, hidden: int = 128) -> BenchModel:
    """torch.nn.LSTM(64, 128, num_layers=2) + Linear(128, 8) on the last step, as exported."""
    b = GraphBuilder(128)
    x, width = "sequence", features
    for layer in range(2):
        w = b.weight([1, 4 * hidden, width], scale=np.sqrt(1.0 / hidden))
        r = b.weight([1, 4 * hidden, hidden], scale=np.sqrt(1.0 / hidden))
        bias = b.const((0.05 * b.rng.standard_normal((1, 8 * hidden))).astype(np.float32))
        y, y_h, _ = b.node("LSTM", [x, w, r, bias], n_out=3, hidden_size=hidden)
        x, width = b.node("Squeeze", [y, b.const(np.array([1], np.int64))]), hidden
    last = b.node("Squeeze", [y_h, b.const(np.array([0], np.int64))])
    b.nodes.append(helper.make_node("Gemm", [last, b.weight((8, hidden)), b.const(np.zeros(8, np.float32))],
                                    ["prediction"], name="/head/Gemm", transB=1))
    m = b.build("lstm2", [vi("sequence", ["seq", "batch", features])], [vi("prediction", ["batch", 8])], opset=17)
    return BenchModel("lstm2", m, {"seq": steps, "batch": 1}, description=f"LSTM 2×{hidden}, {steps} steps")


def mlp() -> BenchModel:
    from make_policy import build
    return BenchModel("mlp", build(0), {"batch": 1}, description="MLP policy 24→256→256→6")


MODELS: Dict[str, Callable[[], BenchModel]] = {
    "resnet18": resnet18, "mobilenetv2": mobilenetv2, "pilotnet": pilotnet, "bert6": bert6,
    "gpt": gpt, "lstm2": lstm2, "dcgan": dcgan, "mlp": mlp,
}


def random_feeds(model: onnx.ModelProto, dims: Dict[str, int], seed: int = 0) -> Dict[str, np.ndarray]:
    """Inputs for a model: float32 normal; token ids below 1000; attention masks all ones."""
    rng = np.random.default_rng(seed)
    feeds = {}
    for v in model.graph.input:
        tt = v.type.tensor_type
        shape = [d.dim_value if d.HasField("dim_value") else dims.get(d.dim_param, 1) for d in tt.shape.dim]
        if tt.elem_type == F32:
            feeds[v.name] = rng.standard_normal(shape).astype(np.float32)
        elif "mask" in v.name:
            feeds[v.name] = np.ones(shape, np.int64)
        else:
            feeds[v.name] = rng.integers(0, 1000, shape).astype(np.int64)
    return feeds


def build_all(names: List[str]) -> List[BenchModel]:
    return [MODELS[n]() for n in names]
