"""Vision ops (ConvTranspose, Resize/Upsample, Pad, DepthToSpace, SpaceToDepth) end to end:
graphs built with onnx.helper the way PyTorch exports them, converted once with the CLI, run at
several input shapes from the SAME converted file and compared with onnxruntime (rtol 1e-4).
Also per-op cases across opsets and attributes, and convert-time refusals."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from conftest import compare, ort_run, run_cli
from models import F32, I32, I64, Case, GraphBuilder, rnd, vi

U8 = onnx.TensorProto.UINT8


def check_case(case: Case, convert, dlrt_mod):
    path = convert(case.model, case.name)
    with dlrt_mod.Model(path) as m:
        for i, feeds in enumerate(case.feeds):
            got, want = m.run(feeds), ort_run(case.model, feeds)
            compare(f"{case.name} run {i} {({k: v.shape for k, v in feeds.items()})}", got, want, case.rtol, case.atol)


def conv_t(b: GraphBuilder, x, cin, cout, k, stride=1, pad=0, bias=True, **attrs):
    w = b.weight((cin, cout, k, k), scale=np.sqrt(1.0 / (cin * k * k)))
    ins = [x, w] + ([b.const((0.1 * b.rng.standard_normal(cout)).astype(np.float32))] if bias else [])
    return b.node("ConvTranspose", ins, kernel_shape=[k, k], strides=[stride, stride], pads=[pad] * 4,
                  dilations=[1, 1], group=1, output_padding=[0, 0], **attrs)


# ---- (1) DCGAN generator ------------------------------------------------------------------------

def dcgan(leaky: bool) -> Case:
    """z [batch, 100, 1, 1] → ConvT 4×4 s1 (→4×4) → BN → ReLU → 3 × (ConvT 4×4 s2 p1, BN, ReLU) → ConvT → Tanh."""
    b = GraphBuilder(500 + leaky)
    act = (lambda h: b.node("LeakyRelu", [h], alpha=0.2)) if leaky else (lambda h: b.node("Relu", [h]))
    h = act(b.bn(conv_t(b, "z", 100, 64, 4, bias=False), 64))                    # 4×4
    for cin, cout in [(64, 32), (32, 16), (16, 8)]:
        h = act(b.bn(conv_t(b, h, cin, cout, 4, stride=2, pad=1, bias=False), cout))  # 8, 16, 32
    h = b.node("Tanh", [conv_t(b, h, 8, 3, 4, stride=2, pad=1, bias=False)])      # 64×64
    b.nodes[-1].output[0] = "image"
    m = b.build("dcgan", [vi("z", ["batch", 100, 1, 1])], [vi("image", ["batch", 3, 64, 64])], opset=17)
    return Case(f"dcgan_{'leakyrelu' if leaky else 'relu'}", m, [{"z": rnd(1, 1, 100, 1, 1)}, {"z": rnd(2, 4, 100, 1, 1)}])


@pytest.mark.parametrize("leaky", [False, True], ids=["relu", "leakyrelu"])
def test_dcgan_generator(leaky, convert, dlrt_mod, cli):
    case = dcgan(leaky)
    check_case(case, convert, dlrt_mod)
    # BN folded and the activation fused: only ConvTranspose (+ the final Tanh, fused too) remain.
    info = run_cli(cli, "inspect", convert(case.model, case.name), check=True).stdout
    assert "ops (5 nodes): ConvTranspose×5" in info, info


# ---- (2) detector / segmenter head ---------------------------------------------------------------

def silu(b, x):
    return b.node("Mul", [x, b.node("Sigmoid", [x])])


def detector(opset: int) -> Case:
    """YOLO-style: Conv+SiLU backbone, FPN (Resize nearest ×2 + Concat), Pad, a detection head
    reshaped to [batch, anchors, 85] (Reshape with 0 / -1 + Transpose), a DepthToSpace sub-pixel
    block and a bilinear (half_pixel) segmentation head back to the input size."""
    b = GraphBuilder(600 + opset)
    c1 = silu(b, b.conv("images", 3, 16, k=3, stride=2, pad=1))        # H/2
    c2 = silu(b, b.conv(c1, 16, 32, k=3, stride=2, pad=1))             # H/4
    c3 = silu(b, b.conv(c2, 32, 32, k=3, stride=2, pad=1))             # H/8
    empty = b.const(np.array([], np.float32))
    up = b.node("Resize", [c3, empty, b.const(np.array([1, 1, 2, 2], np.float32))],
                mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    p2 = silu(b, b.conv(b.node("Concat", [up, c2], axis=1), 64, 32, k=1, pad=0))
    p2 = b.node("Pad", [p2, b.const(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64)), b.const(np.array(0, np.float32))],
                mode="constant")
    p2 = silu(b, b.conv(p2, 32, 32, k=3, pad=0))                       # pad 1 + valid conv keeps H/4
    det = b.conv(p2, 32, 3 * 85, k=1, pad=0)                           # [b, 255, h, w]
    det = b.node("Reshape", [det, b.const(np.array([0, 3, 85, -1], np.int64))])
    det = b.node("Transpose", [det], perm=[0, 1, 3, 2])
    det = b.node("Reshape", [det, b.const(np.array([0, -1, 85], np.int64))], name="detections")
    sub = b.node("DepthToSpace", [b.conv(p2, 32, 32, k=3, pad=1)], blocksize=2, mode="CRD")   # 8 ch at H/2
    seg = b.conv(sub, 8, 4, k=1, pad=0)
    seg = b.node("Resize", [seg, empty, b.const(np.array([1, 1, 2, 2], np.float32))], mode="linear",
                 coordinate_transformation_mode="half_pixel", name="segmentation")
    outs = [vi("detections_output_0", ["batch", "anchors", 85]), vi("segmentation_output_0", ["batch", 4, "H", "W"])]
    m = b.build("detector", [vi("images", ["batch", 3, "H", "W"])], outs, opset=opset)
    feeds = [{"images": rnd(20, 1, 3, 32, 48)}, {"images": rnd(21, 2, 3, 64, 40)}]
    return Case(f"detector_opset{opset}", m, feeds)


@pytest.mark.parametrize("opset", [13, 17])
def test_detector_segmenter_two_sizes(opset, convert, dlrt_mod, cli):
    case = detector(opset)
    check_case(case, convert, dlrt_mod)
    info = run_cli(cli, "inspect", convert(case.model, case.name), check=True).stdout
    for op in ["Resize×2", "Pad×1", "DepthToSpace×1", "Concat×1", "Transpose×1"]:
        assert op in info, info
    assert "segmentation_output_0: float32 [batch, 4, H, W]" in info, info


# ---- per-op cases --------------------------------------------------------------------------------

def single(name, op, inputs, in_vis, out_shape, feeds, opset=17, consts=(), out_type=F32, **attrs) -> Case:
    b = GraphBuilder(700)
    names = list(inputs)
    for k, v in consts:
        names[k] = b.const(v)
    b.nodes.append(helper.make_node(op, names, ["y"], name=f"/{op}", **attrs))
    m = b.build(name, in_vis, [vi("y", out_shape, out_type)], opset=opset)
    return Case(name, m, feeds)


CT = [  # (name, x shape, W shape, attrs, bias)
    ("basic", [1, 3, 5, 5], [3, 2, 3, 3], {}, True),
    ("stride2_pad1_outpad1", [2, 4, 7, 6], [4, 5, 3, 3], dict(strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]), True),
    ("stride3_asym_pads", [1, 2, 5, 7], [2, 3, 4, 2], dict(strides=[3, 2], pads=[1, 0, 2, 1]), False),
    ("dilation2", [1, 3, 6, 5], [3, 4, 3, 3], dict(dilations=[2, 2], pads=[1, 2, 0, 1]), True),
    ("group2", [2, 6, 5, 5], [6, 2, 3, 3], dict(group=2, strides=[2, 2]), True),
    ("depthwise", [1, 8, 9, 7], [8, 1, 4, 4], dict(group=8, strides=[2, 2], pads=[1, 1, 1, 1]), True),
    ("output_shape", [1, 3, 5, 5], [3, 2, 3, 3], dict(strides=[2, 2], output_shape=[10, 11]), True),
    ("same_upper", [1, 3, 5, 6], [3, 2, 3, 3], dict(strides=[2, 2], auto_pad="SAME_UPPER"), True),
    ("same_lower", [1, 3, 5, 6], [3, 2, 4, 4], dict(strides=[2, 2], auto_pad="SAME_LOWER"), True),
    ("valid", [1, 3, 5, 6], [3, 2, 3, 3], dict(strides=[2, 1], auto_pad="VALID"), True),
    ("1d", [2, 3, 11], [3, 4, 5], dict(strides=[3], pads=[2, 1], output_padding=[2]), True),
    ("big_channels", [1, 67, 9, 9], [67, 33, 3, 3], dict(strides=[2, 2], pads=[1, 1, 1, 1]), True),
]


@pytest.mark.parametrize("name,xs,ws,attrs,bias", CT, ids=[c[0] for c in CT])
def test_convtranspose(name, xs, ws, attrs, bias, convert, dlrt_mod):
    rng = np.random.default_rng(len(name))
    w = rng.standard_normal(ws).astype(np.float32)
    consts = [(1, w)] + ([(2, rng.standard_normal(ws[1] * attrs.get("group", 1)).astype(np.float32))] if bias else [])
    inputs = ["x", "w"] + (["b"] if bias else [])
    case = single(f"convtranspose_{name}", "ConvTranspose", inputs, [vi("x", xs)], None,
                  [{"x": rnd(3, *xs)}], consts=consts, **attrs)
    check_case(case, convert, dlrt_mod)


def test_convtranspose_grouped_bn_fold_and_sigmoid(convert, dlrt_mod, cli):
    """BatchNormalization folded into a grouped ConvTranspose (W's axis 1 per group), Sigmoid fused."""
    b = GraphBuilder(720)
    w = b.weight((6, 2, 3, 3), scale=0.5)
    h = b.node("ConvTranspose", ["x", w, b.const(rnd(7, 6, scale=0.1))], group=3, strides=[2, 2], pads=[1, 1, 0, 0],
               output_padding=[1, 0])
    h = b.node("Sigmoid", [b.bn(h, 6)])
    b.nodes[-1].output[0] = "y"
    m = b.build("ct_group_bn", [vi("x", ["n", 6, 5, 4])], [vi("y", ["n", 6, 11, 8])], opset=13)
    case = Case("convtranspose_group_bn_sigmoid", m, [{"x": rnd(8, 1, 6, 5, 4)}, {"x": rnd(9, 3, 6, 5, 4)}])
    check_case(case, convert, dlrt_mod)
    info = run_cli(cli, "inspect", convert(case.model, case.name), check=True).stdout
    assert "ops (1 nodes): ConvTranspose×1" in info, info


def test_resize_tf_crop_and_resize(convert, dlrt_mod):
    roi = np.array([0, 0, 0.2, 0.1, 1, 1, 0.9, 1.2], np.float32)
    case = single("resize_tf_crop_and_resize", "Resize", ["x", "roi", "", "sizes"], [vi("x", [1, 2, 6, 5])], None,
                  [{"x": rnd(10, 1, 2, 6, 5)}], opset=13, consts=[(1, roi), (3, np.array([1, 2, 4, 7], np.int64))],
                  mode="linear", coordinate_transformation_mode="tf_crop_and_resize", extrapolation_value=-2.0)
    check_case(case, convert, dlrt_mod)


RESIZE = [  # (name, opset, x shape, scales, sizes, attrs)
    ("nearest_half_pixel_up", 13, [1, 2, 5, 7], [1, 1, 2, 3], None, dict(mode="nearest")),
    ("nearest_down_round_ceil", 13, [1, 2, 9, 8], [1, 1, 0.6, 0.5], None, dict(mode="nearest", nearest_mode="round_prefer_ceil")),
    ("nearest_floor_asym", 11, [2, 3, 4, 5], [1, 1, 2.5, 1.5], None, dict(mode="nearest", nearest_mode="floor", coordinate_transformation_mode="asymmetric")),
    ("nearest_ceil_align", 13, [1, 1, 6, 5], None, [1, 1, 9, 13], dict(mode="nearest", nearest_mode="ceil", coordinate_transformation_mode="align_corners")),
    ("nearest_tf_half_pixel", 11, [1, 1, 4, 4], [1, 1, 1.75, 2], None, dict(mode="nearest", coordinate_transformation_mode="tf_half_pixel_for_nn")),
    ("linear_half_pixel", 13, [2, 3, 7, 5], [1, 1, 2, 2], None, dict(mode="linear")),
    ("linear_down", 13, [1, 2, 16, 13], [1, 1, 0.5, 0.7], None, dict(mode="linear")),
    ("linear_pytorch", 13, [1, 2, 7, 1], None, [1, 2, 15, 1], dict(mode="linear", coordinate_transformation_mode="pytorch_half_pixel")),
    ("linear_align_corners", 11, [1, 2, 5, 6], None, [1, 2, 11, 9], dict(mode="linear", coordinate_transformation_mode="align_corners")),
    ("linear_asymmetric", 13, [1, 3, 4, 4], [1, 1, 1.5, 2.5], None, dict(mode="linear", coordinate_transformation_mode="asymmetric")),
    ("linear_3d", 13, [1, 2, 3, 4, 5], [1, 1, 2, 1.5, 0.8], None, dict(mode="linear")),
    ("linear_1d", 13, [3, 9], [1, 1.7], None, dict(mode="linear")),
    ("linear_half_pixel_symmetric", 19, [1, 2, 5, 7], [1, 1, 2.3, 1.6], None, dict(mode="linear", coordinate_transformation_mode="half_pixel_symmetric")),
    ("cubic", 13, [1, 2, 6, 7], [1, 1, 2, 1.5], None, dict(mode="cubic")),
    ("cubic_exclude_outside", 13, [1, 1, 8, 8], [1, 1, 0.6, 1.3], None, dict(mode="cubic", exclude_outside=1, cubic_coeff_a=-0.5)),
    ("cubic_align_corners", 11, [1, 1, 5, 4], None, [1, 1, 9, 7], dict(mode="cubic", coordinate_transformation_mode="align_corners")),
    ("axes_sizes_not_larger", 18, [1, 2, 10, 7], None, [6, 6], dict(mode="linear", axes=[2, 3], keep_aspect_ratio_policy="not_larger")),
    ("axes_sizes_not_smaller", 18, [1, 2, 10, 7], None, [6, 6], dict(mode="nearest", axes=[2, 3], keep_aspect_ratio_policy="not_smaller")),
    ("axes_scales", 18, [1, 2, 5, 7], [2.0, 0.5], None, dict(mode="linear", axes=[3, 2])),
    ("opset10_nearest", 10, [1, 2, 3, 4], [1, 1, 2, 3], None, dict(mode="nearest")),
    ("opset10_linear", 10, [1, 2, 3, 4], [1, 1, 2, 1.5], None, dict(mode="linear")),
]


def resize_case(name, opset, xs, scales, sizes, attrs, **kw) -> Case:
    scales_c = np.array(scales if scales is not None else [], np.float32)
    if opset == 10:
        inputs, consts = ["x", "scales"], [(1, scales_c)]
    elif opset < 13 or scales is not None or sizes is None:
        inputs, consts = ["x", "roi", "scales"], [(1, np.array([], np.float32)), (2, scales_c)]
        if sizes is not None:
            inputs.append("sizes"); consts.append((3, np.array(sizes, np.int64)))
    else:
        inputs, consts = ["x", "", "", "sizes"], [(3, np.array(sizes, np.int64))]
    return single(f"resize_{name}", "Resize", inputs, [vi("x", kw.get("in_shape", xs))], None,
                  [{"x": rnd(4, *xs)}] + kw.get("more", []), opset=opset, consts=consts, **attrs)


@pytest.mark.parametrize("name,opset,xs,scales,sizes,attrs", RESIZE, ids=[r[0] for r in RESIZE])
def test_resize(name, opset, xs, scales, sizes, attrs, convert, dlrt_mod):
    check_case(resize_case(name, opset, xs, scales, sizes, attrs), convert, dlrt_mod)


def test_resize_symbolic_sizes_from_scales(convert, dlrt_mod):
    """Constant scales, symbolic H/W: output sizes are computed per run from the input shape."""
    case = resize_case("symbolic_hw", 13, [1, 2, 5, 7], [1, 1, 2, 1.5], None, dict(mode="linear"),
                       in_shape=["n", 2, "h", "w"], more=[{"x": rnd(5, 3, 2, 9, 4)}])
    check_case(case, convert, dlrt_mod)


def test_resize_sizes_from_shape_chain(convert, dlrt_mod):
    """PyTorch's F.interpolate(size=…) export: sizes = Concat(Shape(x)[:2], [H', W'])."""
    b = GraphBuilder(710)
    shp = b.node("Slice", [b.node("Shape", ["x"]), b.const(np.array([0], np.int64)), b.const(np.array([2], np.int64))])
    sizes = b.node("Concat", [shp, b.const(np.array([12, 10], np.int64))], axis=0)
    b.nodes.append(helper.make_node("Resize", ["x", "", "", sizes], ["y"], name="/Resize", mode="linear",
                                    coordinate_transformation_mode="pytorch_half_pixel"))
    m = b.build("resize_shape_chain", [vi("x", ["n", "c", 5, 7])], [vi("y", ["n", "c", 12, 10])], opset=13)
    check_case(Case("resize_shape_chain", m, [{"x": rnd(6, 1, 3, 5, 7)}, {"x": rnd(7, 2, 1, 5, 7)}]), convert, dlrt_mod)


@pytest.mark.parametrize("opset,mode", [(7, "nearest"), (7, "linear"), (9, "nearest"), (9, "linear")])
def test_upsample(opset, mode, convert, dlrt_mod):
    scales = np.array([1, 1, 2, 3], np.float32)
    if opset == 7:
        case = single(f"upsample{opset}_{mode}", "Upsample", ["x"], [vi("x", [1, 2, 3, 4])], None,
                      [{"x": rnd(8, 1, 2, 3, 4)}], opset=opset, mode=mode, scales=scales.tolist())
    else:
        case = single(f"upsample{opset}_{mode}", "Upsample", ["x", "s"], [vi("x", [1, 2, 3, 4])], None,
                      [{"x": rnd(8, 1, 2, 3, 4)}], opset=opset, consts=[(1, scales)], mode=mode)
    check_case(case, convert, dlrt_mod)


PAD = [  # (name, opset, x shape, pads, mode, value, dtype, axes)
    ("constant", 13, [1, 3, 4, 5], [0, 0, 1, 2, 0, 0, 3, 1], "constant", 1.5, np.float32, None),
    ("reflect", 13, [2, 3, 4, 5], [0, 0, 2, 3, 0, 0, 3, 4], "reflect", None, np.float32, None),
    ("edge", 11, [1, 2, 3, 3], [0, 1, 2, 2, 0, 1, 2, 2], "edge", None, np.float32, None),
    ("wrap", 19, [1, 2, 3, 4], [0, 0, 2, 5, 0, 0, 1, 3], "wrap", None, np.float32, None),
    ("negative_crop", 13, [1, 2, 6, 7], [0, 0, -1, 2, 0, 0, 2, -3], "constant", None, np.float32, None),
    ("negative_reflect", 13, [1, 2, 6, 7], [0, 0, -1, 2, 0, 0, 2, -3], "reflect", None, np.float32, None),
    ("int64_constant", 13, [3, 4], [1, 2, 2, 1], "constant", 7, np.int64, None),
    ("int32_edge", 13, [3, 4], [2, 1, 0, 3], "edge", None, np.int32, None),
    ("uint8_constant", 13, [2, 5], [1, 0, 1, 2], "constant", 9, np.uint8, None),
    ("axes", 18, [1, 3, 4, 5], [1, 2, 3, 1], "constant", 0.5, np.float32, [2, -1]),
    ("attr_opset2", 7, [1, 2, 3, 4], [0, 0, 1, 1, 0, 0, 2, 0], "reflect", None, np.float32, None),
]
ONNX_TYPE = {np.float32: F32, np.int64: I64, np.int32: I32, np.uint8: U8}


@pytest.mark.parametrize("name,opset,xs,pads,mode,value,dt,axes", PAD, ids=[p[0] for p in PAD])
def test_pad(name, opset, xs, pads, mode, value, dt, axes, convert, dlrt_mod):
    x = (rnd(9, *xs) * 10).astype(dt) if dt != np.uint8 else np.random.default_rng(9).integers(0, 255, xs).astype(dt)
    if opset < 11:
        case = single(f"pad_{name}", "Pad", ["x"], [vi("x", xs, ONNX_TYPE[dt])], None, [{"x": x}], opset=opset,
                      out_type=ONNX_TYPE[dt], pads=pads, mode=mode, **({} if value is None else {"value": float(value)}))
    else:
        inputs = ["x", "pads"] + (["", "axes"] if axes is not None and value is None else [])
        consts = [(1, np.array(pads, np.int64))]
        if value is not None:
            inputs = ["x", "pads", "value"] + (["axes"] if axes is not None else [])
            consts.append((2, np.array(value, dt)))
        if axes is not None:
            consts.append((3, np.array(axes, np.int64)))
        case = single(f"pad_{name}", "Pad", inputs, [vi("x", xs, ONNX_TYPE[dt])], None, [{"x": x}], opset=opset,
                      out_type=ONNX_TYPE[dt], consts=consts, mode=mode)
    check_case(case, convert, dlrt_mod)


@pytest.mark.parametrize("mode", ["DCR", "CRD"])
def test_depth_to_space(mode, convert, dlrt_mod):
    case = single(f"depthtospace_{mode}", "DepthToSpace", ["x"], [vi("x", ["n", 12, 3, 5])], None,
                  [{"x": rnd(10, 1, 12, 3, 5)}, {"x": rnd(11, 2, 12, 3, 5)}], blocksize=2, mode=mode)
    check_case(case, convert, dlrt_mod)


def test_space_to_depth(convert, dlrt_mod):
    case = single("spacetodepth", "SpaceToDepth", ["x"], [vi("x", ["n", 3, 6, 9])], None,
                  [{"x": rnd(12, 1, 3, 6, 9)}, {"x": rnd(13, 2, 3, 6, 9)}], blocksize=3)
    check_case(case, convert, dlrt_mod)


# ---- convert-time refusals -----------------------------------------------------------------------

def refusal(tmp_path, cli, model, *needles):
    src = tmp_path / "m.onnx"
    onnx.save(model, str(src))
    r = run_cli(cli, "convert", src, "-o", tmp_path / "m.dlrt")
    assert r.returncode != 0, f"conversion should fail: {r.stdout}"
    for n in needles:
        assert n in r.stderr, f"{n!r} not in: {r.stderr}"


def raw_model(nodes, inputs, outputs, inits=(), opset=17):
    g = helper.make_graph(nodes, "m", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def test_refuse_resize_antialias(tmp_path, cli):
    s = onnx.numpy_helper.from_array(np.array([1, 1, 0.5, 0.5], np.float32), "s")
    m = raw_model([helper.make_node("Resize", ["x", "", "s"], ["y"], name="down", mode="linear", antialias=1)],
                  [vi("x", [1, 1, 8, 8])], [vi("y", [1, 1, 4, 4])], [s], opset=18)
    refusal(tmp_path, cli, m, "'down'", "antialias")


def test_refuse_upsample_runtime_scales(tmp_path, cli):
    """Resize-11+ reads graph-input roi / scales / sizes at plan time (test_runtime_values.py);
    Upsample and Resize-10 take them as constants only."""
    m = raw_model([helper.make_node("Upsample", ["x", "s"], ["y"], name="dyn", mode="nearest")],
                  [vi("x", [1, 1, 8, 8]), vi("s", [4])], [vi("y", [1, 1, 16, 16])], opset=9)
    refusal(tmp_path, cli, m, "'dyn'", "scales", "not a constant")


def test_refuse_pad_computed_pads(tmp_path, cli):
    """Graph-input pads are value inputs (test_runtime_values.py); pads computed in the graph are refused."""
    m = raw_model([helper.make_node("Add", ["p", "p"], ["p2"]), helper.make_node("Pad", ["x", "p2"], ["y"], name="pad1", mode="constant")],
                  [vi("x", [1, 2]), vi("p", [4], I64)], [vi("y", [3, 4])], opset=13)
    refusal(tmp_path, cli, m, "'pad1'", "pads", "computed in the graph")


def test_refuse_convtranspose_output_shape_symbolic(tmp_path, cli):
    w = onnx.numpy_helper.from_array(np.ones((2, 2, 3, 3), np.float32), "w")
    m = raw_model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up1", strides=[2, 2], output_shape=[10, 10])],
                  [vi("x", [1, 2, "h", "w"])], [vi("y", [1, 2, 10, 10])], [w])
    refusal(tmp_path, cli, m, "'up1'", "output_shape")


def test_convtranspose_runtime_weights(convert, dlrt_mod):
    """W fed at run time (fixed shape): packed into scratch on every run."""
    m = raw_model([helper.make_node("ConvTranspose", ["x", "w", "b"], ["y"], name="up2", strides=[2, 2], pads=[1, 0, 1, 0])],
                  [vi("x", ["n", 4, 5, 3]), vi("w", [4, 3, 3, 3]), vi("b", [3])], [vi("y", ["n", 3, 9, 7])])
    feeds = [{"x": rnd(30, n, 4, 5, 3), "w": rnd(31 + n, 4, 3, 3, 3), "b": rnd(40 + n, 3)} for n in (1, 2)]
    check_case(Case("convtranspose_runtime_weights", m, feeds), convert, dlrt_mod)


def test_refuse_convtranspose_symbolic_weights(tmp_path, cli):
    m = raw_model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up2")],
                  [vi("x", [1, 2, 4, 4]), vi("w", [2, "m", 3, 3])], [vi("y", [1, 2, 6, 6])])
    refusal(tmp_path, cli, m, "'up2'", "W", "neither a constant nor of a shape known")


def test_refuse_convtranspose_3d(tmp_path, cli):
    w = onnx.numpy_helper.from_array(np.ones((2, 2, 3, 3, 3), np.float32), "w")
    m = raw_model([helper.make_node("ConvTranspose", ["x", "w"], ["y"], name="up3")],
                  [vi("x", [1, 2, 4, 4, 4])], [vi("y", [1, 2, 6, 6, 6])], [w])
    refusal(tmp_path, cli, m, "'up3'", "1-D and 2-D")


def test_refuse_pad_bad_mode(tmp_path, cli):
    p = onnx.numpy_helper.from_array(np.array([1, 1], np.int64), "p")
    bad = helper.make_node("Pad", ["x", "p"], ["y"], name="pad2", mode="symmetric")
    m = raw_model([bad], [vi("x", [3])], [vi("y", [5])], [p], opset=13)
    m.graph.node[0].attribute[0].s = b"symmetric"
    refusal(tmp_path, cli, m, "'pad2'", "mode", "symmetric")
