import DLRTModel
/// LSTM, GRU, RNN (codes 90–99).
let recurrentOperators: [any Operator.Type] = [LSTMOperator.self, GRUOperator.self, RNNOperator.self]
