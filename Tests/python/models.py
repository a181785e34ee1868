"""ONNX test graphs built with onnx.helper: random weights with fixed seeds, shapes and node
patterns like the ones PyTorch's exporter writes. Each builder returns a ``Case``: the model and
one or more feed dicts that are run, in order, on the SAME converted file (so a model with a
symbolic batch is run with batch 1 and batch 5)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
I32 = TensorProto.INT32


@dataclass
class Case:
    name: str
    model: onnx.ModelProto
    feeds: List[Dict[str, np.ndarray]]
    rtol: float = 1e-4
    atol: float = 1e-5
    notes: str = ""


class GraphBuilder:
    """Small helper: adds initializers/nodes with unique names, PyTorch-like naming."""

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.nodes: List[onnx.NodeProto] = []
        self.inits: List[onnx.TensorProto] = []
        self.n = 0

    def uid(self, base: str) -> str:
        self.n += 1
        return f"/{base}_{self.n}"

    def const(self, value, name: Optional[str] = None) -> str:
        name = name or f"onnx::Const_{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def weight(self, shape, scale: Optional[float] = None, name: Optional[str] = None) -> str:
        if scale is None:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else int(shape[0])
            scale = np.sqrt(2.0 / max(fan_in, 1))
        w = (self.rng.standard_normal(shape) * scale).astype(np.float32)
        return self.const(w, name or f"w{len(self.inits)}")

    def node(self, op: str, inputs: Sequence[str], n_out: int = 1, name: Optional[str] = None, **attrs):
        name = name or self.uid(op)
        outs = [f"{name}_output_{i}" for i in range(n_out)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs[0] if n_out == 1 else outs

    # ---- composite layers, PyTorch style ----
    def conv(self, x, cin, cout, k=3, stride=1, pad=1, dilation=1, group=1, bias=True, auto_pad=None):
        kk = (k, k) if isinstance(k, int) else tuple(k)
        w = self.weight((cout, cin // group) + kk, scale=np.sqrt(2.0 / (cin // group * kk[0] * kk[1])))
        ins = [x, w]
        if bias:
            ins.append(self.const((self.rng.standard_normal(cout) * 0.1).astype(np.float32)))
        attrs = dict(kernel_shape=list(kk), group=group)
        if auto_pad is not None:
            attrs["auto_pad"] = auto_pad
            attrs["strides"] = [stride] * len(kk)
            attrs["dilations"] = [dilation] * len(kk)
        else:
            pads = [pad] * (2 * len(kk)) if isinstance(pad, int) else list(pad)
            attrs.update(pads=pads, strides=[stride] * len(kk), dilations=[dilation] * len(kk))
        return self.node("Conv", ins, **attrs)

    def bn(self, x, c, eps=1e-5):
        r = self.rng
        return self.node("BatchNormalization", [
            x,
            self.const((1 + 0.2 * r.standard_normal(c)).astype(np.float32)),
            self.const((0.1 * r.standard_normal(c)).astype(np.float32)),
            self.const((0.1 * r.standard_normal(c)).astype(np.float32)),
            self.const(r.uniform(0.5, 1.5, c).astype(np.float32)),
        ], epsilon=eps, momentum=0.9)

    def gemm(self, x, k, n, trans_b=1, bias=True, **attrs):
        w = self.weight((n, k) if trans_b else (k, n), scale=np.sqrt(2.0 / k))
        ins = [x, w]
        if bias:
            ins.append(self.const((self.rng.standard_normal(n) * 0.1).astype(np.float32)))
        return self.node("Gemm", ins, transB=trans_b, **attrs)

    def flatten_chain(self, x, opset):
        """x.view(x.size(0), -1) as PyTorch exports it."""
        shape = self.node("Shape", [x])
        g = self.node("Gather", [shape, self.const(np.array(0, np.int64))], axis=0)
        if opset >= 13:
            u = self.node("Unsqueeze", [g, self.const(np.array([0], np.int64))])
        else:
            u = self.node("Unsqueeze", [g], axes=[0])
        c = self.node("Concat", [u, self.const(np.array([-1], np.int64))], axis=0)
        return self.node("Reshape", [x, c])

    def build(self, name, inputs, outputs, opset=17, metadata=None) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, name, inputs, outputs, initializer=self.inits)
        m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="dlrt-tests")
        m.ir_version = 8 if opset <= 18 else 9
        if metadata:
            helper.set_model_props(m, metadata)
        return finish(m)


def finish(m: onnx.ModelProto) -> onnx.ModelProto:
    """Fills in outputs declared without a shape from ONNX shape inference, then checks the model."""
    if any(not o.type.tensor_type.HasField("shape") for o in m.graph.output):
        inferred = onnx.shape_inference.infer_shapes(m, strict_mode=True)
        known = {v.name: v for v in list(inferred.graph.value_info) + list(inferred.graph.output)}
        for o in m.graph.output:
            if not o.type.tensor_type.HasField("shape") and o.name in known:
                o.type.tensor_type.shape.CopyFrom(known[o.name].type.tensor_type.shape)
    onnx.checker.check_model(m, full_check=True)
    return m


def vi(name, shape, dtype=F32):
    return helper.make_tensor_value_info(name, dtype, shape)


def rnd(seed, *shape, dtype=np.float32, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale).astype(dtype)


# ---- builders ----------------------------------------------------------------------------------

def mlp_gemm(opset: int) -> Case:
    b = GraphBuilder(100 + opset)
    h = b.node("Relu", [b.gemm("x", 24, 64)])
    h = b.node("Relu", [b.gemm(h, 64, 32)])
    y = b.gemm(h, 32, 6)
    b.node("Identity", [y], name="out")
    b.nodes[-1].output[0] = "y"
    m = b.build("mlp_gemm", [vi("x", ["batch", 24])], [vi("y", ["batch", 6])], opset,
                metadata={"labels": "a,b,c,d,e,f"})
    return Case(f"mlp_gemm_opset{opset}", m, [{"x": rnd(1, 1, 24)}, {"x": rnd(2, 5, 24)}, {"x": rnd(3, 1, 24)}])


def mlp_matmul(opset: int) -> Case:
    """MatMul + Add (+ Relu) form, as exported from nn.Linear on 3-D inputs."""
    b = GraphBuilder(200 + opset)
    w1 = b.weight((16, 48))
    h = b.node("Add", [b.node("MatMul", ["x", w1]), b.const(rnd(5, 48, scale=0.1))])
    h = b.node("Relu", [h])
    h = b.node("Add", [b.const(rnd(6, 24, scale=0.1)), b.node("MatMul", [h, b.weight((48, 24))])])
    h = b.node("Relu", [h])
    b.nodes.append(helper.make_node("MatMul", [h, b.weight((24, 4))], ["y"], name="/head/MatMul"))
    m = b.build("mlp_matmul", [vi("x", ["batch", 7, 16])], [vi("y", ["batch", 7, 4])], opset)
    return Case(f"mlp_matmul_opset{opset}", m, [{"x": rnd(7, 1, 7, 16)}, {"x": rnd(8, 5, 7, 16)}])


def cnn_pytorch(opset: int = 17) -> Case:
    """A ResNet-ish CNN with every conv flavour PyTorch models use."""
    b = GraphBuilder(300 + opset)
    # stem: conv-bn-relu, maxpool
    h = b.node("Relu", [b.bn(b.conv("input", 3, 16, k=3, stride=1, pad=1), 16)])
    h = b.node("MaxPool", [h], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])   # 16x16 -> 8x8
    # residual block
    r = b.node("Relu", [b.bn(b.conv(h, 16, 16), 16)])
    r = b.bn(b.conv(r, 16, 16), 16)
    h = b.node("Relu", [b.node("Add", [r, h])])
    # depthwise separable (MobileNet): dw 3x3 group=C + pw 1x1, Relu6 as Clip
    h = b.conv(h, 16, 16, k=3, group=16, bias=False)
    h = b.node("Clip", [b.bn(h, 16), b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))])
    h = b.node("Relu", [b.conv(h, 16, 24, k=1, pad=0)])
    # strided + dilated + grouped conv
    h = b.node("Relu", [b.conv(h, 24, 32, k=3, stride=2, pad=1)])                          # 8x8 -> 4x4
    h = b.node("Relu", [b.conv(h, 32, 32, k=3, pad=2, dilation=2, group=2)])
    h = b.node("AveragePool", [h], kernel_shape=[2, 2], strides=[1, 1])                    # 4x4 -> 3x3
    h = b.node("GlobalAveragePool", [h])
    h = b.flatten_chain(h, opset)
    h = b.gemm(h, 32, 10)
    b.nodes.append(helper.make_node("Softmax", [h], ["probs"], name="/Softmax", axis=1))
    m = b.build("cnn", [vi("input", ["N", 3, 16, 16])], [vi("probs", ["N", 10])], opset)
    return Case(f"cnn_pytorch_opset{opset}", m, [{"input": rnd(10, 1, 3, 16, 16)}, {"input": rnd(11, 5, 3, 16, 16)}])


def cnn_logits(opset: int = 17) -> Case:
    """Same kind of CNN without the softmax, so errors in the features are not squashed."""
    b = GraphBuilder(350)
    h = b.node("Relu", [b.bn(b.conv("image", 3, 8, k=5, stride=2, pad=2), 8)])            # 20 -> 10
    h = b.node("LeakyRelu", [b.conv(h, 8, 16, k=3, stride=1, pad=1)], alpha=0.1)
    h = b.node("MaxPool", [h], kernel_shape=[2, 2], strides=[2, 2])                       # 10 -> 5
    h = b.node("Relu", [b.conv(h, 16, 16, k=3, auto_pad="SAME_UPPER", stride=2)])          # 5 -> 3
    h = b.node("Flatten", [h], axis=1)
    h = b.node("Relu", [b.gemm(h, 16 * 9, 32)])
    b.nodes.append(helper.make_node("Gemm", [h, b.weight((32, 5)), b.const(rnd(12, 1, 5))], ["logits"],
                                    name="/head/Gemm", transB=0))
    m = b.build("cnn_logits", [vi("image", ["batch", 3, 20, 20])], [vi("logits", ["batch", 5])], opset)
    return Case("cnn_logits_flatten_autopad", m, [{"image": rnd(13, 1, 3, 20, 20)}, {"image": rnd(14, 5, 3, 20, 20)}])


def conv_variants() -> List[Case]:
    cases = []
    specs = [
        ("conv_stride2_pad1", dict(k=3, stride=2, pad=1), (1, 4, 9, 9)),
        ("conv_asym_pads", dict(k=3, pad=[0, 1, 2, 1]), (2, 4, 7, 6)),
        ("conv_dilation2", dict(k=3, pad=2, dilation=2), (1, 4, 10, 10)),
        ("conv_dilation2_stride2", dict(k=3, pad=1, dilation=2, stride=2), (1, 4, 11, 11)),
        ("conv_5x5_nobias", dict(k=5, pad=2, bias=False), (1, 4, 8, 8)),
        ("conv_1x1", dict(k=1, pad=0), (3, 4, 5, 5)),
        ("conv_rect_kernel", dict(k=(3, 1), pad=[1, 0, 1, 0]), (1, 4, 6, 6)),
        ("conv_group2", dict(k=3, pad=1, group=2), (1, 4, 6, 6)),
        ("conv_depthwise", dict(k=3, pad=1, group=4, cout=4), (2, 4, 9, 9)),
        ("conv_depthwise_mult2_stride2", dict(k=3, pad=1, group=4, cout=8, stride=2), (1, 4, 9, 9)),
        ("conv_same_upper_s2", dict(k=3, auto_pad="SAME_UPPER", stride=2), (1, 4, 8, 8)),
        ("conv_same_upper_s2_odd", dict(k=4, auto_pad="SAME_UPPER", stride=2), (1, 4, 7, 7)),
        ("conv_same_lower", dict(k=4, auto_pad="SAME_LOWER", stride=1), (1, 4, 6, 6)),
        ("conv_valid", dict(k=3, auto_pad="VALID", stride=2), (1, 4, 8, 7)),
        ("conv_big_channels", dict(k=3, pad=1, cin=64, cout=96), (1, 64, 12, 12)),
    ]
    for i, (name, kw, shape) in enumerate(specs):
        b = GraphBuilder(400 + i)
        cin = kw.pop("cin", shape[1])
        cout = kw.pop("cout", 6)
        y = b.conv("x", cin, cout, **kw)
        b.nodes[-1].output[0] = "y"
        m = b.build(name, [vi("x", list(shape))], [vi("y", None)])
        cases.append(Case(name, m, [{"x": rnd(450 + i, *shape)}]))
    # 1-D conv
    b = GraphBuilder(480)
    w = b.weight((5, 3, 3))
    b.nodes.append(helper.make_node("Conv", ["x", w, b.const(rnd(481, 5))], ["y"], name="/conv1d",
                                    kernel_shape=[3], pads=[1, 1], strides=[2]))
    cases.append(Case("conv1d", b.build("conv1d", [vi("x", ["batch", 3, 11])], [vi("y", ["batch", 5, 6])]),
                      [{"x": rnd(482, 1, 3, 11)}, {"x": rnd(483, 5, 3, 11)}]))
    return cases


def pool_variants() -> List[Case]:
    specs = [
        ("maxpool_3x3_s2_p1", "MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1]), (1, 3, 9, 9)),
        ("maxpool_ceil", "MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), (1, 3, 8, 8)),
        ("maxpool_dilated", "MaxPool", dict(kernel_shape=[2, 2], dilations=[2, 2]), (1, 3, 7, 7)),
        ("maxpool_same_upper", "MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], auto_pad="SAME_UPPER"), (2, 3, 7, 8)),
        ("maxpool_negative_padding_wins_never", "MaxPool", dict(kernel_shape=[3, 3], pads=[1, 1, 1, 1]), (1, 2, 4, 4)),
        ("avgpool_exclude_pad", "AveragePool", dict(kernel_shape=[3, 3], strides=[1, 1], pads=[1, 1, 1, 1]), (1, 3, 6, 6)),
        ("avgpool_include_pad", "AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                   count_include_pad=1), (1, 3, 7, 7)),
        ("avgpool_ceil", "AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1), (1, 3, 8, 8)),
        ("avgpool_ceil_pad_include", "AveragePool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                                                        ceil_mode=1, count_include_pad=1), (1, 3, 8, 8)),
        ("maxpool_ceil_pad", "MaxPool", dict(kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1),
         (1, 3, 8, 8)),
        ("avgpool_2x2", "AveragePool", dict(kernel_shape=[2, 2], strides=[2, 2]), (4, 3, 8, 8)),
        ("global_avgpool", "GlobalAveragePool", {}, (2, 5, 7, 3)),
        ("global_maxpool", "GlobalMaxPool", {}, (2, 5, 7, 3)),
    ]
    cases = []
    for i, (name, op, attrs, shape) in enumerate(specs):
        x = rnd(500 + i, *shape)
        if name.startswith("maxpool_negative"):
            x = -np.abs(x) - 1  # all negative: a padded zero must never win
        b = GraphBuilder(500 + i)
        b.nodes.append(helper.make_node(op, ["x"], ["y"], name=f"/{op}", **attrs))
        m = b.build(name, [vi("x", list(shape))], [vi("y", None)])
        cases.append(Case(name, m, [{"x": x}]))
    return cases


def layout_ops() -> Case:
    """Transpose / Concat / Reshape with 0 and -1 / Flatten / Identity, two inputs, two outputs."""
    b = GraphBuilder(600)
    t = b.node("Transpose", ["a"], perm=[0, 2, 3, 1])                                  # [B,4,3,2] -> [B,3,2,4]
    c = b.node("Concat", [t, b.node("Relu", ["b"])], axis=-1)                            # [B,3,2,4+5]
    r = b.node("Reshape", [c, b.const(np.array([0, -1, 9], np.int64))])                 # [B,6,9]
    r = b.node("Transpose", [r])                                                       # default perm: [9,6,B]
    r = b.node("Transpose", [r], perm=[2, 0, 1])                                        # [B,9,6]
    f = b.node("Flatten", [r], axis=-1)                                                # [B*9, 6]
    b.nodes.append(helper.make_node("Identity", [f], ["flat"], name="/Identity"))
    s = b.node("Reshape", [c, b.const(np.array([-1, 3, 3, 2], np.int64))])               # [B*3, 3, 3, 2]
    b.nodes.append(helper.make_node("Concat", [s, s], ["cat"], name="/Concat_out", axis=0))
    m = b.build("layout", [vi("a", ["batch", 4, 3, 2]), vi("b", ["batch", 3, 2, 5])],
                [vi("flat", None), vi("cat", None)])
    return Case("layout_transpose_concat_reshape", m, [
        {"a": rnd(601, 1, 4, 3, 2), "b": rnd(602, 1, 3, 2, 5)},
        {"a": rnd(603, 5, 4, 3, 2), "b": rnd(604, 5, 3, 2, 5)},
    ])


def layout_int64() -> Case:
    """Layout ops move any dtype: int64 through Transpose/Reshape/Concat/Identity."""
    b = GraphBuilder(610)
    t = b.node("Transpose", ["ids"], perm=[1, 0])
    r = b.node("Reshape", [t, b.const(np.array([-1], np.int64))])
    b.nodes.append(helper.make_node("Concat", [r, b.const(np.array([7, -8], np.int64))], ["out"], name="/cat", axis=0))
    m = b.build("layout_i64", [vi("ids", [3, 4], I64)], [vi("out", [14], I64)])
    ids = np.arange(12, dtype=np.int64).reshape(3, 4) * 1_000_000_007
    return Case("layout_int64", m, [{"ids": ids}], rtol=0, atol=0)


def activations(opset: int = 17) -> Case:
    """Standalone activations, plus each one right after a Conv/Gemm/MatMul (fusion candidates)."""
    b = GraphBuilder(700)
    x = "x"
    outs = []
    def out(name, t):
        b.nodes.append(helper.make_node("Identity", [t], [name], name=f"/out_{name}"))
        outs.append(name)
    if opset >= 11:
        relu6 = b.node("Clip", [x, b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))])
        clip_min_only = b.node("Clip", [x, b.const(np.array(-0.5, np.float32))])
        clip_max_only = b.node("Clip", [x, "", b.const(np.array(0.7, np.float32))])
    else:
        relu6 = b.node("Clip", [x], min=0.0, max=6.0)
        clip_min_only = b.node("Clip", [x], min=-0.5)
        clip_max_only = b.node("Clip", [x], max=0.7)
    out("relu6", relu6)
    out("clip_min", clip_min_only)
    out("clip_max", clip_max_only)
    out("leaky", b.node("LeakyRelu", [x], alpha=0.2))
    out("leaky_default", b.node("LeakyRelu", [x]))
    out("elu", b.node("Elu", [x], alpha=0.7))
    out("elu_default", b.node("Elu", [x]))
    out("sigmoid", b.node("Sigmoid", [x]))
    out("tanh", b.node("Tanh", [x]))
    out("relu", b.node("Relu", [x]))
    # fusion candidates
    c = b.conv(x, 4, 6, k=3, pad=1)
    out("conv_relu6", b.node("Clip", [c, b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))]))
    c2 = b.conv(x, 4, 6, k=3, pad=1)
    out("conv_leaky", b.node("LeakyRelu", [c2], alpha=0.1))
    c3 = b.conv(x, 4, 6, k=1, pad=0)
    out("conv_sigmoid", b.node("Sigmoid", [c3]))
    c4 = b.conv(x, 4, 6, k=1, pad=0)
    out("conv_tanh", b.node("Tanh", [c4]))
    # a conv whose output has two consumers must not be fused
    c5 = b.conv(x, 4, 4, k=1, pad=0)
    out("conv_shared_relu", b.node("Relu", [c5]))
    out("conv_shared_raw", c5)
    fl = b.node("Flatten", [x], axis=1)
    g = b.gemm(fl, 4 * 5 * 5, 8)
    out("gemm_leaky", b.node("LeakyRelu", [g], alpha=0.3))
    mm = b.node("MatMul", [fl, b.weight((100, 8))])
    out("matmul_sigmoid", b.node("Sigmoid", [mm]))
    mm2 = b.node("MatMul", [fl, b.weight((100, 8))])
    out("matmul_tanh", b.node("Tanh", [mm2]))
    m = b.build("activations", [vi("x", ["batch", 4, 5, 5])], [vi(o, None) for o in outs], opset)
    return Case(f"activations_opset{opset}", m,
                [{"x": rnd(701, 1, 4, 5, 5, scale=3.0)}, {"x": rnd(702, 5, 4, 5, 5, scale=3.0)}])


def broadcasting() -> Case:
    """Add/Sub/Mul/Div with numpy broadcasting in both directions, constants on either side."""
    b = GraphBuilder(800)
    outs = []
    def out(name, t):
        b.nodes.append(helper.make_node("Identity", [t], [name], name=f"/out_{name}"))
        outs.append(name)
    out("sub_row", b.node("Sub", ["a", "row"]))                          # [B,3,4] - [4]
    out("div_row_rev", b.node("Div", ["row", "a"]))                      # [4] / [B,3,4]
    out("mul_col", b.node("Mul", ["a", b.const(rnd(801, 3, 1))]))        # [B,3,4] * [3,1]
    out("add_scalar", b.node("Add", [b.const(np.array(1.5, np.float32)), "a"]))
    out("div_scalar", b.node("Div", ["a", b.const(np.array(-4.0, np.float32))]))
    out("sub_outer", b.node("Sub", ["col", "row"]))                      # [3,1] - [4] -> [3,4]
    out("add_both", b.node("Add", [b.node("Reshape", ["a", b.const(np.array([0, 3, 1, 4], np.int64))]),
                                   b.node("Reshape", ["a", b.const(np.array([0, 1, 3, 4], np.int64))])]))
    out("div_same", b.node("Div", ["a", b.node("Add", [b.node("Mul", ["a", "a"]), b.const(np.array(1, np.float32))])]))
    out("sub_nchw_bias", b.node("Sub", ["a", b.const(rnd(802, 1, 3, 1))]))
    m = b.build("broadcast", [vi("a", ["batch", 3, 4]), vi("row", [4]), vi("col", [3, 1])],
                [vi(o, None) for o in outs])
    pos = lambda s, *sh: (np.abs(rnd(s, *sh)) + 0.5) * np.sign(rnd(s + 1, *sh))  # away from zero
    return Case("broadcast_sub_div", m, [
        {"a": pos(810, 1, 3, 4).astype(np.float32), "row": pos(812, 4).astype(np.float32), "col": rnd(814, 3, 1)},
        {"a": pos(820, 5, 3, 4).astype(np.float32), "row": pos(822, 4).astype(np.float32), "col": rnd(824, 3, 1)},
    ])


def int_arith(dtype) -> Case:
    onnx_t = I64 if dtype == np.int64 else I32
    b = GraphBuilder(900)
    outs = []
    for op in ["Add", "Sub", "Mul", "Div"]:
        b.nodes.append(helper.make_node(op, ["a", "b"], [op.lower()], name=f"/{op}"))
        outs.append(op.lower())
    b.nodes.append(helper.make_node("Div", ["a", "c"], ["div_bcast"], name="/Div_b"))
    outs.append("div_bcast")
    m = b.build("int_arith", [vi("a", [2, 6], onnx_t), vi("b", [2, 6], onnx_t), vi("c", [6], onnx_t)],
                [vi(o, None, onnx_t) for o in outs])
    rng = np.random.default_rng(901)
    a = rng.integers(-100, 100, (2, 6)).astype(dtype)
    bb = rng.integers(1, 9, (2, 6)).astype(dtype) * rng.choice([-1, 1], (2, 6)).astype(dtype)  # no zeros
    c = np.array([3, -3, 7, -7, 2, 5], dtype)
    return Case(f"int_arith_{np.dtype(dtype).name}", m, [{"a": a, "b": bb, "c": c}], rtol=0, atol=0,
                notes="integer Div truncates toward zero")


def softmax_variants() -> List[Case]:
    cases = []
    for opset, axis in [(11, 1), (11, -1), (13, 1), (13, -1), (17, 0)]:
        b = GraphBuilder(1000 + opset)
        b.nodes.append(helper.make_node("Softmax", ["x"], ["y"], name="/Softmax", axis=axis))
        m = b.build("softmax", [vi("x", [2, 3, 5])], [vi("y", [2, 3, 5])], opset)
        cases.append(Case(f"softmax_opset{opset}_axis{axis}", m, [{"x": rnd(1001, 2, 3, 5, scale=4.0)}]))
    return cases


def gemm_variants() -> List[Case]:
    cases = []
    specs = [
        ("gemm_transA", dict(transA=1), (8, 3), (8, 5), (5,)),
        ("gemm_alpha_beta", dict(alpha=0.5, beta=2.0, transB=1), (3, 8), (5, 8), (1, 5)),
        ("gemm_bias_scalar", dict(), (3, 8), (8, 5), ()),
        ("gemm_bias_full", dict(), (3, 8), (8, 5), (3, 5)),
        ("gemm_bias_col", dict(), (3, 8), (8, 5), (3, 1)),
        ("gemm_no_bias", dict(transA=1, transB=1), (8, 3), (5, 8), None),
        ("gemm_large", dict(transB=1), (17, 300), (130, 300), (130,)),
    ]
    for i, (name, attrs, sa, sb, sc) in enumerate(specs):
        b = GraphBuilder(1100 + i)
        ins = ["a", b.const(rnd(1110 + i, *sb, scale=0.3))]
        if sc is not None:
            ins.append(b.const(rnd(1120 + i, *sc)))
        b.nodes.append(helper.make_node("Gemm", ins, ["y"], name="/Gemm", **attrs))
        m_ = sa[1] if attrs.get("transA") else sa[0]
        n_ = sb[0] if attrs.get("transB") else sb[1]
        m = b.build(name, [vi("a", list(sa))], [vi("y", [m_, n_])], 17)
        cases.append(Case(name, m, [{"a": rnd(1130 + i, *sa)}]))
    return cases


def matmul_variants() -> List[Case]:
    cases = []
    specs = [
        ("matmul_batched_const", (2, 3, 4, 5), (5, 6)),
        ("matmul_bcast_batch", (2, 1, 4, 5), (3, 5, 6)),
        ("matmul_vec_left", (5,), (2, 5, 6)),
        ("matmul_vec_right", (2, 4, 5), (5,)),
        ("matmul_2d_large", (33, 129), (129, 65)),
    ]
    for i, (name, sa, sb) in enumerate(specs):
        b = GraphBuilder(1200 + i)
        b.nodes.append(helper.make_node("MatMul", ["a", "b"], ["y"], name="/MatMul"))
        ref = np.matmul(np.zeros(sa), np.zeros(sb)).shape
        m = b.build(name, [vi("a", list(sa)), vi("b", list(sb))], [vi("y", list(ref))], 17)
        cases.append(Case(name, m, [{"a": rnd(1210 + i, *sa), "b": rnd(1220 + i, *sb)}]))
    return cases


def bn_standalone() -> Case:
    """BatchNormalization that cannot be folded (input is a graph input / after an Add)."""
    b = GraphBuilder(1300)
    h = b.bn("x", 4, eps=1e-3)
    h = b.node("Add", [h, "x"])
    b.nodes.append(helper.make_node("BatchNormalization", [h] + [b.const(v) for v in [
        np.array([1.5, 0.5, -1.0, 2.0], np.float32), np.array([0, 1, 2, 3], np.float32),
        np.array([0.1, -0.1, 0.2, 0.0], np.float32), np.array([1.0, 2.0, 0.5, 4.0], np.float32)]],
        ["y"], name="/bn2"))
    m = b.build("bn", [vi("x", ["batch", 4, 3, 3])], [vi("y", ["batch", 4, 3, 3])])
    return Case("batchnorm_standalone", m, [{"x": rnd(1301, 1, 4, 3, 3)}, {"x": rnd(1302, 5, 4, 3, 3)}])


def gemm_bn_fold() -> Case:
    """Gemm followed by a (1-D) BatchNormalization, as in BatchNorm1d after Linear."""
    b = GraphBuilder(1350)
    h = b.gemm("x", 10, 6)
    h = b.bn(h, 6)
    b.nodes.append(helper.make_node("Relu", [h], ["y"], name="/Relu"))
    m = b.build("gemm_bn", [vi("x", ["batch", 10])], [vi("y", ["batch", 6])])
    return Case("gemm_batchnorm1d_relu", m, [{"x": rnd(1351, 1, 10)}, {"x": rnd(1352, 5, 10)}])


def mobilenet_like() -> Case:
    """Bigger channel counts and spatial sizes, so the fast (packed/threaded) kernels are used."""
    b = GraphBuilder(1500)
    h = b.bn(b.conv("input", 3, 32, k=3, stride=2, pad=1, bias=False), 32)                 # 32 -> 16
    h = b.node("Clip", [h, b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))])
    for cin, cout, stride in [(32, 64, 1), (64, 128, 2), (128, 128, 1)]:
        d = b.bn(b.conv(h, cin, cin, k=3, stride=stride, pad=1, group=cin, bias=False), cin)
        d = b.node("Clip", [d, b.const(np.array(0, np.float32)), b.const(np.array(6, np.float32))])
        p = b.bn(b.conv(d, cin, cout, k=1, pad=0, bias=False), cout)
        h = b.node("Add", [p, h]) if cin == cout and stride == 1 else p
    h = b.node("GlobalAveragePool", [h])
    h = b.node("Flatten", [h])
    b.nodes.append(helper.make_node("Gemm", [h, b.weight((20, 128)), b.const(rnd(1501, 20, scale=0.1))],
                                    ["logits"], name="/classifier/Gemm", transB=1))
    m = b.build("mobilenet_like", [vi("input", ["batch", 3, 32, 32])], [vi("logits", ["batch", 20])])
    return Case("mobilenet_like", m, [{"input": rnd(1502, 1, 3, 32, 32)}, {"input": rnd(1503, 5, 3, 32, 32)}])


def extremes() -> Case:
    """Activations and Softmax on large magnitudes (overflow-safe exp, saturation)."""
    b = GraphBuilder(1600)
    outs = []
    for op, attrs in [("Sigmoid", {}), ("Tanh", {}), ("Elu", {"alpha": 1.0}), ("LeakyRelu", {"alpha": 0.01}),
                      ("Softmax", {"axis": -1})]:
        b.nodes.append(helper.make_node(op, ["x"], [op.lower()], name=f"/{op}", **attrs))
        outs.append(op.lower())
    m = b.build("extremes", [vi("x", [4, 16])], [vi(o, None) for o in outs])
    x = rnd(1601, 4, 16, scale=40.0)
    x[0, :4] = [88.0, -88.0, 100.0, -100.0]
    return Case("activations_softmax_extremes", m, [{"x": x}])


def graph_edges() -> List[Case]:
    """Graph-structure edge cases: pass-through outputs, one tensor as two outputs, an output that
    is also consumed, unusual names, Constant nodes, older/newer opsets, NaN/inf propagation."""
    cases = []
    x = rnd(1700, 2, 3)
    b = GraphBuilder(1700)
    b.nodes.append(helper.make_node("Identity", ["x"], ["y"], name="/Identity"))
    cases.append(Case("edge_identity_only", b.build("id", [vi("x", [2, 3])], [vi("y", [2, 3])]), [{"x": x}]))

    b = GraphBuilder(1701)
    r = b.node("Relu", ["x"])
    b.nodes += [helper.make_node("Identity", [r], ["y1"], name="/i1"), helper.make_node("Identity", [r], ["y2"], name="/i2")]
    cases.append(Case("edge_same_tensor_two_outputs", b.build("two", [vi("x", [2, 3])], [vi("y1", [2, 3]), vi("y2", [2, 3])]),
                      [{"x": x}]))

    b = GraphBuilder(1702)
    b.nodes += [helper.make_node("Relu", ["x"], ["r"], name="/r"), helper.make_node("Sigmoid", ["r"], ["s"], name="/s")]
    cases.append(Case("edge_output_also_consumed", b.build("oc", [vi("x", ["n", 3])], [vi("r", ["n", 3]), vi("s", ["n", 3])]),
                      [{"x": x}, {"x": rnd(1703, 5, 3)}]))

    b = GraphBuilder(1704)
    b.nodes.append(helper.make_node("Relu", ["input:0/ä"], ["out put:0"], name="node with spaces/ü"))
    cases.append(Case("edge_unusual_names", b.build("names", [vi("input:0/ä", [2, 3])], [vi("out put:0", [2, 3])]),
                      [{"input:0/ä": x}]))

    b = GraphBuilder(1705)
    b.nodes += [helper.make_node("Constant", [], ["shape"], name="/Constant",
                                 value=numpy_helper.from_array(np.array([3, -1], np.int64))),
                helper.make_node("Constant", [], ["k"], name="/Constant_1", value_float=2.5),
                helper.make_node("Reshape", ["x", "shape"], ["rs"], name="/Reshape"),
                helper.make_node("Mul", ["rs", "k"], ["y"], name="/Mul")]
    cases.append(Case("edge_constant_nodes", b.build("consts", [vi("x", [2, 3])], [vi("y", [3, 2])]), [{"x": x}]))

    for opset in (7, 9, 21):
        b = GraphBuilder(1710 + opset)
        h = b.gemm("x", 3, 8)
        h = b.node("BatchNormalization", [h] + [b.const(v) for v in (
            np.linspace(0.5, 1.5, 8, dtype=np.float32), np.linspace(-1, 1, 8, dtype=np.float32),
            np.linspace(-0.2, 0.2, 8, dtype=np.float32), np.linspace(0.5, 2, 8, dtype=np.float32))])
        b.nodes.append(helper.make_node("Softmax", [h], ["y"], name="/Softmax"))
        cases.append(Case(f"edge_gemm_bn_softmax_opset{opset}",
                          b.build("old", [vi("x", ["n", 3])], [vi("y", ["n", 8])], opset), [{"x": x}, {"x": rnd(1720, 5, 3)}]))

    b = GraphBuilder(1730)
    b.nodes.append(helper.make_node("Softmax", ["x"], ["y"], name="/Softmax"))  # opset 11 default axis 1 on 4-D
    cases.append(Case("edge_softmax_opset11_default_axis_4d", b.build("sm", [vi("x", [2, 3, 4, 4])], [vi("y", [2, 3, 4, 4])], 11),
                      [{"x": rnd(1731, 2, 3, 4, 4, scale=3.0)}]))

    b = GraphBuilder(1740)
    outs = []
    for op in ("Relu", "Sigmoid", "Tanh", "Elu", "LeakyRelu", "Softmax"):
        b.nodes.append(helper.make_node(op, ["x"], [op.lower()], name=f"/{op}"))
        outs.append(op.lower())
    b.nodes.append(helper.make_node("MaxPool", ["x4"], ["maxpool"], name="/MaxPool", kernel_shape=[2, 2]))
    b.nodes.append(helper.make_node("GlobalAveragePool", ["x5"], ["gap"], name="/GAP"))
    outs += ["maxpool", "gap"]
    m = b.build("nan", [vi("x", [2, 6]), vi("x4", [1, 2, 3, 3]), vi("x5", [1, 2, 3, 3])], [vi(o, None) for o in outs])
    xs = np.array([[np.nan, -1, 1, np.inf, -np.inf, 0], [1, 2, 3, 4, 5, 6]], np.float32)
    # MaxPool with NaN is implementation-defined (onnxruntime skips NaN, PyTorch propagates it):
    # only infinities there.
    x4 = rnd(1741, 1, 2, 3, 3)
    x4[0, 0, 0, 0] = -np.inf
    x4[0, 1, 1, 1] = np.inf
    x5 = rnd(1742, 1, 2, 3, 3)
    x5[0, 0, 0, 0] = np.nan
    x5[0, 1, 1, 1] = np.inf
    cases.append(Case("edge_nan_inf_propagation", m, [{"x": xs, "x4": x4, "x5": x5}]))
    return cases


def all_cases() -> List[Case]:
    cases: List[Case] = []
    for opset in (11, 13, 17):
        cases.append(mlp_gemm(opset))
        cases.append(mlp_matmul(opset))
    cases += [cnn_pytorch(11), cnn_pytorch(13), cnn_pytorch(17), cnn_logits()]
    cases += conv_variants()
    cases += pool_variants()
    cases += [layout_ops(), layout_int64()]
    cases += [activations(11), activations(17)]
    cases += [broadcasting(), int_arith(np.int64), int_arith(np.int32), bn_standalone(), gemm_bn_fold()]
    cases += [mobilenet_like(), extremes()]
    cases += graph_edges()
    cases += softmax_variants()
    cases += gemm_variants()
    cases += matmul_variants()
    return cases


# ---- special-purpose models --------------------------------------------------------------------

def unsupported_op_model() -> onnx.ModelProto:
    """A valid model with an op outside dlrt's op set (Cos) in a node named 'my_cosine'."""
    b = GraphBuilder(1400)
    h = b.node("Relu", ["x"])
    b.nodes.append(helper.make_node("Cos", [h], ["y"], name="my_cosine"))
    return b.build("unsupported", [vi("x", ["batch", 4])], [vi("y", ["batch", 4])])
