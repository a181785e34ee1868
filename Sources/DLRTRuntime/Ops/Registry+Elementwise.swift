import DLRTModel
/// Activations, binary arithmetic, BatchNormalization, Softmax.
let elementwiseOperators: [any Operator.Type] = [
    ActivationOperator<ReluSpec>.self,
    ActivationOperator<LeakyReluSpec>.self,
    ActivationOperator<EluSpec>.self,
    ActivationOperator<SigmoidSpec>.self,
    ActivationOperator<TanhSpec>.self,
    ClipOperator.self,
    SoftmaxOperator.self,
    BinaryOperator<AddSpec>.self,
    BinaryOperator<SubSpec>.self,
    BinaryOperator<MulSpec>.self,
    BinaryOperator<DivSpec>.self,
    BatchNormalizationOperator.self,
]
