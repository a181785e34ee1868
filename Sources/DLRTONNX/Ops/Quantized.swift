import DLRTModel

// Quantized ONNX input (Passes/Int8QDQImport.swift handles these before anything else):
// QuantizeLinear → DequantizeLinear pairs on activations become static int8 ranges, DequantizeLinear
// of constants is folded, QLinearConv / QLinearMatMul are expanded and become QuantizedConv /
// QuantizedMatMul. The entries below make them known to the op table (and `dlrt ops`); a node
// that survives the import pass is refused there with a message naming it.
extension OpTable {
    static let quantizedOps: [OpDef] = [
        OpDef(name: "QuantizeLinear", code: .quantizeLinear, infer: { n, g in
            var type = EType.uint8
            if case .int(let to)? = n.attrs["to"], to == Int64(DType.int8.rawValue) { type = .int8 }
            return [ValueInfo(type: type, shape: g.shapeOf(n.input(0)))]
        }, lower: { n, g in try lowerLinear(n, g) }),
        OpDef(name: "DequantizeLinear", code: .dequantizeLinear, infer: { n, g in
            [ValueInfo(type: .float, shape: g.shapeOf(n.input(0)))]
        }, lower: { n, g in try lowerLinear(n, g) }),
        OpDef(name: "QLinearConv", code: .quantizedConv, infer: { n, _ in
            throw n.unsupported("QLinearConv is expanded when the model is imported; this one was not")
        }),
        OpDef(name: "QLinearMatMul", code: .quantizedMatMul, infer: { n, _ in
            throw n.unsupported("QLinearMatMul is expanded when the model is imported; this one was not")
        }),
    ]
}

/// QuantizeLinear / DequantizeLinear after the import pass: `scales`, `zero_points` (one value, or
/// one per index of `axis`), `axis` normalized, `to` (QuantizeLinear).
func lowerLinear(_ n: WNode, _ g: WGraph) throws -> [String: AttributeValue] {
    guard case .floats(let scales)? = n.attrs["scales"], case .ints(let zeros)? = n.attrs["zero_points"] else {
        throw n.unsupported("scale and zero point must be constants")
    }
    try checkKnownAttrs(n, ["scales", "zero_points", "axis", "to"])
    var attrs: [String: AttributeValue] = ["scales": .floats(scales), "zero_points": .ints(zeros)]
    if n.op == "QuantizeLinear" { attrs["to"] = .int(n.int("to") ?? Int64(DType.uint8.rawValue)) }
    if scales.count > 1 {
        guard let shape = g.shapeOf(n.input(0)) else { throw n.unsupported("per-axis parameters need the input's rank") }
        let axis = try normalizeAxis(n.int("axis") ?? 1, rank: shape.count, n)
        if let d = shape[axis].fixedValue, d != scales.count {
            throw n.invalid("\(scales.count) scales for axis \(axis) of size \(d)")
        }
        attrs["axis"] = .int(Int64(axis))
    }
    return attrs
}
