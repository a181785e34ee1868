import DLRTKernels
import DLRTModel

/// GRU (ONNX semantics; see RecurrentOperator and docs/OPS.md).
enum GRUSpec: RecurrentSpec {
    static var opCode: OpCode { .gru }
    static var kind: RecurrentCellKind { .gru }
}

typealias GRUOperator = RecurrentOperator<GRUSpec>
