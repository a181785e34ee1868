import DLRTModel

// Quantized ONNX input (Passes/Int8QDQImport.swift handles these before anything else):
// QuantizeLinear → DequantizeLinear pairs on activations become static int8 ranges, DequantizeLinear
// of constants is folded, QLinearConv / QLinearMatMul are expanded and become QuantizedConv /
// QuantizedMatMul. The entries below make them known to the op table (and `dlrt ops`); a node
// that survives the import pass is refused there with a message naming it.
extension OpTable {
    static let quantizedOps: [OpDef] = [
        OpDef(name: "QuantizeLinear", code: nil, infer: { n, g in
            let type = n.input(2).isEmpty ? EType.uint8 : (g.typeOf(n.input(2)) ?? .uint8)
            return [ValueInfo(type: type, shape: g.shapeOf(n.input(0)))]
        }),
        OpDef(name: "DequantizeLinear", code: nil, infer: { n, g in
            [ValueInfo(type: .float, shape: g.shapeOf(n.input(0)))]
        }),
        OpDef(name: "QLinearConv", code: .quantizedConv, infer: { n, _ in
            throw n.unsupported("QLinearConv is expanded when the model is imported; this one was not")
        }),
        OpDef(name: "QLinearMatMul", code: .quantizedMatMul, infer: { n, _ in
            throw n.unsupported("QLinearMatMul is expanded when the model is imported; this one was not")
        }),
    ]
}
