import DLRTModel
/// Activations (Softplus … Sign), n-ary Min/Max/Mean/Sum, LogSoftmax, ArgMax/ArgMin, TopK (codes 60–79).
let headOperators: [any Operator.Type] = []
