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

/// Pow(X, Y) with numpy broadcasting: a float32 base X (the result has its type) and a float32,
/// int32 or int64 exponent Y. Integer bases are refused (the converter refuses them first).
final class PowOperator: Operator {
    static var opCode: OpCode { .pow }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
    }

    func types(_ inputs: [PlanInput]) throws -> (base: TensorType, exponent: TensorType) {
        let a = try ElemCheck.input(node, inputs, 0), b = try ElemCheck.input(node, inputs, 1)
        guard a.dtype == .float32 else {
            throw OpError(node, "base (input 0) is \(a), expected float32 (dlrt's Pow computes a float32 base only)", kind: .unsupported)
        }
        guard [.float32, .int32, .int64].contains(b.dtype) else {
            throw OpError(node, "exponent (input 1) is \(b), expected float32, int32 or int64", kind: .unsupported)
        }
        return (a, b)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (a, b) = try types(inputs)
        return [TensorType(.float32, try broadcastPlan(node, [a.shape, b.shape]).outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (a, b) = try types(inputs)
        switch b.dtype {
        case .float32:
            guard let plan = BroadcastPlan(a.shape, b.shape) else {
                throw OpError(node, "cannot broadcast A \(describe(a.shape)) with B \(describe(b.shape))", kind: .shape)
            }
            return BinaryKernel(plan: plan, kernels: BinaryRowKernels(PowOperation.self, Float.self))
        case .int32:
            let p = try broadcastPlan(node, [a.shape, b.shape])
            return BroadcastRowKernel(plan: p) { io in PowIntExponentRow<Int32>(x: io.input(0), e: io.input(1), y: io.output(0)) }
        default:
            let p = try broadcastPlan(node, [a.shape, b.shape])
            return BroadcastRowKernel(plan: p) { io in PowIntExponentRow<Int64>(x: io.input(0), e: io.input(1), y: io.output(0)) }
        }
    }
}
