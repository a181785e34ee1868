import DLRTKernels
import DLRTModel

/// LSTM (ONNX semantics; see RecurrentOperator and docs/OPS.md).
enum LSTMSpec: RecurrentSpec {
    static var opCode: OpCode { .lstm }
    static var kind: RecurrentCellKind { .lstm }
}

typealias LSTMOperator = RecurrentOperator<LSTMSpec>
