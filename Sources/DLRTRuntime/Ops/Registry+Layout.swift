import DLRTModel
/// Reshape, Flatten, Concat, Transpose, Identity.
let layoutOperators: [any Operator.Type] = []
