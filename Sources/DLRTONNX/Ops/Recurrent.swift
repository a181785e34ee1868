import DLRTModel

// LSTM, GRU, RNN, Einsum.
extension OpTable {
    static let recurrentOps: [OpDef] = []
}
