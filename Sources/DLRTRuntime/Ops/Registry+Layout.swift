import DLRTModel
/// Reshape, Flatten, Concat, Transpose, Identity.
let layoutOperators: [any Operator.Type] = [
    ReshapeOperator.self,
    FlattenOperator.self,
    ConcatOperator.self,
    TransposeOperator.self,
    IdentityOperator.self,
]
