import DLRTModel

extension Int8Weights {
    /// Static mode (`--calibration`): a depthwise Conv (group = C = M, W [C, 1, k…]) becomes a
    /// QuantizedDepthwiseConv (110) with per-channel symmetric int8 W and its input's calibrated
    /// u8 parameters (`x_scale`, `x_zero_point`); `makeStatic` then gives it `y_scale` /
    /// `y_zero_point` when its output feeds only int8 nodes, so a MobileNet block stays u8 from the
    /// expanding 1×1 conv through the depthwise conv to the projecting one.
    static func depthwise(_ g: inout Graph, _ n: Int, _ w: [Float], _ ws: [Int], _ range: ClosedRange<Float>,
                          memo: inout [Int32: Int32], _ r: inout Report) {
        let node = g.nodes[n]
        let (q, scales, err) = quantize(w, channels: ws[0], channelsFirst: true)
        let shared = memo[node.inputs[1]] != nil
        let id = memo[node.inputs[1]] ?? store(&g, name: g.tensors[Int(node.inputs[1])].name, q: q, shape: ws, scales: scales, axis: 0)
        memo[node.inputs[1]] = id
        var inputs = node.inputs
        inputs[1] = id
        let p = u8Params(range)
        var attrs = node.attributes
        attrs["x_scale"] = .float(p.scale)
        attrs["x_zero_point"] = .int(p.zero)
        g.nodes[n] = Node(name: node.name, op: .quantizedDepthwiseConv, inputs: inputs, outputs: node.outputs, attributes: attrs)
        record(&r, node, "DepthwiseConv", ws, scales, err, shared: shared)
    }
}
