import DLRTModel
/// Gemm, MatMul, Conv, pooling (owned by Ops/Registry+Dense.swift).
let denseOperators: [any Operator.Type] = [
    GemmOperator.self, MatMulOperator.self, ConvOperator.self, MaxPoolOperator.self, AveragePoolOperator.self,
    GlobalAveragePoolOperator.self, GlobalMaxPoolOperator.self,
]
