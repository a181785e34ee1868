import DLRTKernels
import DLRTModel

// Neg, Abs, Exp, Log, Reciprocal, Sqrt, Erf: float32 unary ops on the activation machinery
// (`ActivationOperator`), and Pow on the binary one (`BinaryOperator`).

enum NegSpec: ActivationSpec {
    static var opCode: OpCode { .neg }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(NegFunction()) }
}

enum AbsSpec: ActivationSpec {
    static var opCode: OpCode { .abs }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(AbsFunction()) }
}

enum ExpSpec: ActivationSpec {
    static var opCode: OpCode { .exp }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(ExpFunction()) }
}

enum LogSpec: ActivationSpec {
    static var opCode: OpCode { .log }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(LogFunction()) }
}

enum ReciprocalSpec: ActivationSpec {
    static var opCode: OpCode { .reciprocal }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(ReciprocalFunction()) }
}

enum SqrtSpec: ActivationSpec {
    static var opCode: OpCode { .sqrt }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(SqrtFunction()) }
}

enum ErfSpec: ActivationSpec {
    static var opCode: OpCode { .erf }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(ErfFunction()) }
}

/// Pow: float32 base and exponent (the converter casts a constant exponent of another type).
enum PowSpec: BinarySpec {
    static var opCode: OpCode { .pow }
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels? {
        dtype == .float32 ? BinaryRowKernels(PowOperation.self, Float.self) : nil
    }
}
