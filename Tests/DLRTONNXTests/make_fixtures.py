#!/usr/bin/env python3
"""Writes the small ONNX models the DLRTONNX tests convert (committed under Fixtures/).

Run with the repository venv:  .venv/bin/python Tests/DLRTONNXTests/make_fixtures.py
Every valid model is checked with onnx.checker and run once with onnxruntime.
"""
import os
import numpy as np
import onnx
from onnx import helper as h, TensorProto as TP, numpy_helper as nh

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "Fixtures")
rng = np.random.default_rng(7)


def f32(*shape, scale=0.5):
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def init(name, arr):
    return nh.from_array(np.asarray(arr), name)


IO_CASES = {"mlp_flatten", "mlp_flatten_opset11", "conv_bn_relu", "gemm_bn", "depthwise", "residual", "softmax_opset11",
            "softmax_opset13", "clip_opset13", "identity_dropout"}


def write_io(name, sess, feeds, results):
    """<name>.io.txt: one line per tensor, `in|out <index> <dims,comma,separated> <values…>`."""
    with open(os.path.join(OUT, name + ".io.txt"), "w") as f:
        for tag, arrays in (("in", [feeds[i.name] for i in sess.get_inputs()]), ("out", results)):
            for k, a in enumerate(arrays):
                dims = ",".join(map(str, a.shape))
                f.write(f"{tag} {k} {dims} " + " ".join(repr(float(v)) for v in a.astype(np.float32).ravel()) + "\n")


def save(name, nodes, inputs, outputs, inits=(), opset=13, check=True, run=True, **model_kw):
    graph = h.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    model = h.make_model(graph, opset_imports=[h.make_opsetid("", opset)], producer_name="dlrt-fixtures",
                         producer_version="1.0", **model_kw)
    model.ir_version = 7 if opset < 15 else 8
    if check:
        onnx.checker.check_model(model)
    if run:
        import onnxruntime as ort
        sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
        feeds = {}
        for i in sess.get_inputs():
            shape = [d if isinstance(d, int) else 2 for d in i.shape]
            feeds[i.name] = rng.standard_normal(shape).astype(np.float32)
        results = sess.run(None, feeds)
        if name in IO_CASES:
            write_io(name, sess, feeds, results)
    with open(os.path.join(OUT, name + ".onnx"), "wb") as f:
        f.write(model.SerializeToString())
    return model


def vi(name, shape, t=TP.FLOAT):
    return h.make_tensor_value_info(name, t, shape)


def mlp(name, opset):
    """PyTorch-style MLP: x.view(x.size(0), -1) through Shape/Gather/Unsqueeze/Concat/Reshape."""
    unsq = (h.make_node("Unsqueeze", ["b0", "axes0"], ["b1"], name="unsqueeze") if opset >= 13
            else h.make_node("Unsqueeze", ["b0"], ["b1"], name="unsqueeze", axes=[0]))
    nodes = [
        h.make_node("Shape", ["x"], ["s"], name="shape"),
        h.make_node("Constant", [], ["i0"], name="c_index", value=h.make_tensor("i0", TP.INT64, [], [0])),
        h.make_node("Gather", ["s", "i0"], ["b0"], name="gather", axis=0),
        unsq,
        h.make_node("Constant", [], ["m1"], name="c_minus1", value=h.make_tensor("m1", TP.INT64, [1], [-1])),
        h.make_node("Concat", ["b1", "m1"], ["target"], name="concat", axis=0),
        h.make_node("Reshape", ["x", "target"], ["flat"], name="reshape"),
        h.make_node("Gemm", ["flat", "w1", "b1w"], ["h1"], name="fc1", transB=1),
        h.make_node("Relu", ["h1"], ["h1r"], name="relu1"),
        h.make_node("Gemm", ["h1r", "w2", "b2w"], ["y"], name="fc2", transB=1),
    ]
    inits = [init("w1", f32(16, 48)), init("b1w", f32(16)), init("w2", f32(5, 16)), init("b2w", f32(5))]
    if opset >= 13:
        inits.append(init("axes0", np.array([0], np.int64)))
    m = save(name, nodes, [vi("x", ["batch", 3, 4, 4])], [vi("y", ["batch", 5])], inits, opset=opset,
             doc_string="a tiny MLP")
    return m


def add_meta(name):
    path = os.path.join(OUT, name + ".onnx")
    m = onnx.load(path)
    onnx.helper.set_model_props(m, {"classes": "cat,dog,bird,fish,frog", "author": "fixtures"})
    onnx.save(m, path)


def conv_bn(name, expose_conv):
    outputs = [vi("y", [1, 4, 8, 8])] + ([vi("c", [1, 4, 8, 8])] if expose_conv else [])
    nodes = [
        h.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
        h.make_node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["n"], name="bn", epsilon=1e-3),
        h.make_node("Relu", ["n"], ["y"], name="relu"),
    ]
    r = np.random.default_rng(11)
    inits = [init("w", (r.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32)),
             init("b", (r.standard_normal(4) * 0.1).astype(np.float32)),
             init("scale", (r.uniform(0.5, 1.5, 4)).astype(np.float32)),
             init("bias", (r.standard_normal(4) * 0.1).astype(np.float32)),
             init("mean", (r.standard_normal(4) * 0.1).astype(np.float32)),
             init("var", (r.uniform(0.5, 2.0, 4)).astype(np.float32))]
    save(name, nodes, [vi("x", [1, 3, 8, 8])], outputs, inits, opset=11)


def gemm_bn(name, expose):
    outputs = [vi("y", ["n", 3])] + ([vi("g", ["n", 3])] if expose else [])
    r = np.random.default_rng(12)
    nodes = [h.make_node("Gemm", ["x", "w", "c0"], ["g"], name="gemm", transB=1, beta=0.5),
             h.make_node("BatchNormalization", ["g", "scale", "bias", "mean", "var"], ["y"], name="bn")]
    inits = [init("w", r.standard_normal((3, 4)).astype(np.float32)), init("c0", r.standard_normal(3).astype(np.float32)),
             init("scale", r.uniform(0.5, 1.5, 3).astype(np.float32)), init("bias", r.standard_normal(3).astype(np.float32)),
             init("mean", r.standard_normal(3).astype(np.float32)), init("var", r.uniform(0.5, 2, 3).astype(np.float32))]
    save(name, nodes, [vi("x", ["n", 4])], outputs, inits, opset=15)


def main():
    os.makedirs(OUT, exist_ok=True)
    mlp("mlp_flatten", 13)
    add_meta("mlp_flatten")
    mlp("mlp_flatten_opset11", 11)
    conv_bn("conv_bn_relu", False)
    conv_bn("conv_bn_relu_unfused", True)
    gemm_bn("gemm_bn", False)
    gemm_bn("gemm_bn_unfused", True)

    # Depthwise 3x3 stride 2 SAME_UPPER conv + Clip(0, 6) from constant inputs (ReLU6).
    save("depthwise", [
        h.make_node("Conv", ["x", "w"], ["c"], name="dw", group=4, strides=[2, 2], auto_pad="SAME_UPPER"),
        h.make_node("Constant", [], ["lo"], name="lo", value=h.make_tensor("lo", TP.FLOAT, [], [0.0])),
        h.make_node("Constant", [], ["hi"], name="hi", value=h.make_tensor("hi", TP.FLOAT, [], [6.0])),
        h.make_node("Clip", ["c", "lo", "hi"], ["y"], name="relu6"),
    ], [vi("x", [1, 4, 9, 9])], [vi("y", [1, 4, 5, 5])], [init("w", f32(4, 1, 3, 3))])

    # Residual block: y = GAP(relu(x + relu(conv1x1(x)))), flattened.
    save("residual", [
        h.make_node("Conv", ["x", "w", "b"], ["c"], name="conv"),
        h.make_node("Relu", ["c"], ["r"], name="relu_a"),
        h.make_node("Add", ["x", "r"], ["s"], name="add"),
        h.make_node("Relu", ["s"], ["t"], name="relu_b"),
        h.make_node("GlobalAveragePool", ["t"], ["p"], name="gap"),
        h.make_node("Flatten", ["p"], ["y"], name="flatten"),
    ], [vi("x", ["N", 4, 8, 8])], [vi("y", ["N", 4])], [init("w", f32(4, 4, 1, 1)), init("b", f32(4))])

    save("clip_opset6", [h.make_node("Clip", ["x"], ["y"], name="clip", min=-1.0, max=1.0)],
         [vi("x", [2, 3])], [vi("y", [2, 3])], opset=6)
    save("clip_opset13", [
        h.make_node("Constant", [], ["lo"], name="lo", value=h.make_tensor("lo", TP.FLOAT, [], [-1.0])),
        h.make_node("Clip", ["x", "lo", ""], ["y"], name="clip"),
    ], [vi("x", [2, 3])], [vi("y", [2, 3])], opset=13)

    save("softmax_opset11", [
        h.make_node("Softmax", ["x"], ["y"], name="sm_default"),
        h.make_node("Softmax", ["x"], ["z"], name="sm_last", axis=2),
    ], [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4]), vi("z", [2, 3, 4])], opset=11)
    save("softmax_opset13", [h.make_node("Softmax", ["x"], ["y"], name="sm")],
         [vi("x", [2, 3, 4])], [vi("y", [2, 3, 4])], opset=13)

    # Identity / Dropout chains; the graph output name must survive.
    save("identity_dropout", [
        h.make_node("Identity", ["x"], ["a"], name="id_in"),
        h.make_node("Relu", ["a"], ["b"], name="relu"),
        h.make_node("Constant", [], ["ratio"], name="ratio", value=h.make_tensor("ratio", TP.FLOAT, [], [0.25])),
        h.make_node("Dropout", ["b", "ratio"], ["c"], name="dropout"),
        h.make_node("Identity", ["c"], ["y"], name="id_out"),
    ], [vi("x", [2, 5])], [vi("y", [2, 5])], opset=13)

    # Errors.
    save("unsupported_op", [h.make_node("Relu", ["x"], ["r"], name="relu"), h.make_node("Sin", ["r"], ["y"], name="sin1")],
         [vi("x", [2, 3])], [vi("y", [2, 3])])
    save("maxpool_storage_order", [h.make_node("MaxPool", ["x"], ["y"], name="pool", kernel_shape=[2, 2], storage_order=1)],
         [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 3, 3])], run=False)
    save("maxpool_indices", [h.make_node("MaxPool", ["x"], ["y", "idx"], name="pool", kernel_shape=[2, 2])],
         [vi("x", [1, 1, 4, 4])], [vi("y", [1, 1, 3, 3]), vi("idx", [1, 1, 3, 3], TP.INT64)])
    save("conv3d", [h.make_node("Conv", ["x", "w"], ["y"], name="conv3")],
         [vi("x", [1, 1, 4, 4, 4])], [vi("y", [1, 1, 3, 3, 3])], [init("w", f32(1, 1, 2, 2, 2))])
    save("float64_input", [h.make_node("Relu", ["x"], ["y"], name="relu")],
         [vi("x", [2], TP.DOUBLE)], [vi("y", [2], TP.DOUBLE)], run=False)
    save("dynamic_reshape", [h.make_node("Reshape", ["x", "shape"], ["y"], name="reshape")],
         [vi("x", [2, 3]), vi("shape", [2], TP.INT64)], [vi("y", ["a", "b"])], run=False)

    # A tensor claiming 2^60 elements with 4 bytes of data; external data.
    big = TP(name="big", data_type=TP.FLOAT, dims=[1 << 30, 1 << 30], raw_data=b"\0\0\0\0")
    save("huge_tensor", [h.make_node("Add", ["x", "big"], ["y"], name="add")],
         [vi("x", [1])], [vi("y", [1])], [big], check=False, run=False)
    ext = TP(name="w", data_type=TP.FLOAT, dims=[2], data_location=TP.EXTERNAL)
    ext.external_data.add(key="location", value="weights.bin")
    save("external_data", [h.make_node("Add", ["x", "w"], ["y"], name="add")],
         [vi("x", [2])], [vi("y", [2])], [ext], check=False, run=False)

    with open(os.path.join(OUT, "garbage.onnx"), "wb") as f:
        f.write(bytes([0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x34, 0x9a]) * 8)


if __name__ == "__main__":
    main()
