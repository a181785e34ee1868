import DLRTModel
/// int8 ops (codes 100–119; docs/QUANTIZATION.md).
let quantizedOperators: [any Operator.Type] = [
    DynamicQuantizeMatMulOperator.self, DynamicQuantizeConvOperator.self,
]
