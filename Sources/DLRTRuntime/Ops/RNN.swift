import DLRTKernels
import DLRTModel

/// RNN (ONNX semantics; see RecurrentOperator and docs/OPS.md).
enum RNNSpec: RecurrentSpec {
    static var opCode: OpCode { .rnn }
    static var kind: RecurrentCellKind { .rnn }
}

typealias RNNOperator = RecurrentOperator<RNNSpec>
