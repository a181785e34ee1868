import DLRTModel
/// Ops transformer graphs need: gathers, casts, masks, math, normalization, reductions, slicing.
let transformerOperators: [any Operator.Type] = [
    GatherOperator.self, CastOperator.self, WhereOperator.self, ExpandOperator.self,
    PredicateOperator<EqualSpec>.self, PredicateOperator<LessSpec>.self, PredicateOperator<GreaterSpec>.self,
    PredicateOperator<LessOrEqualSpec>.self, PredicateOperator<GreaterOrEqualSpec>.self,
    BoolUnaryOperator<NotSpec>.self, PredicateOperator<AndSpec>.self, PredicateOperator<OrSpec>.self,
    PredicateOperator<XorSpec>.self,
    PowOperator.self,
    ActivationOperator<SqrtSpec>.self, ActivationOperator<ErfSpec>.self, ActivationOperator<NegSpec>.self,
    ActivationOperator<AbsSpec>.self, ActivationOperator<ExpSpec>.self, ActivationOperator<LogSpec>.self,
    ActivationOperator<ReciprocalSpec>.self, BoolUnaryOperator<IsNaNSpec>.self,
    LayerNormalizationOperator.self,
    ReduceOperator<ReduceSumSpec>.self, ReduceOperator<ReduceMeanSpec>.self, ReduceOperator<ReduceMaxSpec>.self,
    ReduceOperator<ReduceMinSpec>.self, ReduceOperator<ReduceL2Spec>.self, ReduceOperator<ReduceProdSpec>.self,
    SliceOperator.self, SplitOperator.self, SqueezeOperator.self, UnsqueezeOperator.self, TriluOperator.self,
    RangeOperator.self,
    // tfm
    QuantizedGatherOperator.self, MatMulPackedBOperator.self,
]
