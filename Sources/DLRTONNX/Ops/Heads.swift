import DLRTModel

// Softplus, HardSigmoid, HardSwish, PRelu, Selu, Mish, Gelu, Softsign, Floor, Ceil, Round, Sign, LogSoftmax, Min, Max, Mean, Sum, ArgMax, ArgMin, TopK.
extension OpTable {
    static let headOps: [OpDef] = []
}
