import DLRTModel
/// Activations, binary arithmetic, BatchNormalization, Softmax.
let elementwiseOperators: [any Operator.Type] = []
