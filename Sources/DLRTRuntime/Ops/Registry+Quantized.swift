import DLRTModel
/// int8 ops (codes 100–119; docs/QUANTIZATION.md): the same two operators with activations
/// quantized per run (dynamic) or with calibrated parameters (static, u8 in and out).
let quantizedOperators: [any Operator.Type] = [
    QuantizedMatMulOperator<DynamicActivations>.self, QuantizedConvOperator<DynamicActivations>.self,
    QuantizedMatMulOperator<StaticActivations>.self, QuantizedConvOperator<StaticActivations>.self,
    QuantizeLinearOperator.self, DequantizeLinearOperator.self, QuantizedMaxPoolOperator.self,
    QuantizedDepthwiseConvOperator.self,  // mbv2
]
