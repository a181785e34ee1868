import DLRTModel
/// Activations (Softplus … Sign), n-ary Min/Max/Mean/Sum, LogSoftmax, ArgMax/ArgMin, TopK (codes 60–79).
let headOperators: [any Operator.Type] = [
    ActivationOperator<SoftplusSpec>.self, ActivationOperator<HardSigmoidSpec>.self, ActivationOperator<HardSwishSpec>.self,
    PReluOperator.self, ActivationOperator<SeluSpec>.self, ActivationOperator<MishSpec>.self,
    LogSoftmaxOperator.self,
    NaryOperator<MinSpec>.self, NaryOperator<MaxSpec>.self, NaryOperator<MeanSpec>.self, NaryOperator<SumSpec>.self,
    ArgReduceOperator<ArgMaxSpec>.self, ArgReduceOperator<ArgMinSpec>.self,
    TopKOperator.self,
    ActivationOperator<GeluSpec>.self, ActivationOperator<SoftsignSpec>.self, ActivationOperator<FloorSpec>.self,
    ActivationOperator<CeilSpec>.self, ActivationOperator<RoundSpec>.self, ActivationOperator<SignSpec>.self,
]
