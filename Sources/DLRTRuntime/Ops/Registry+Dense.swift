import DLRTModel
/// Gemm, MatMul, Conv, pooling (owned by Ops/Registry+Dense.swift).
let denseOperators: [any Operator.Type] = []
