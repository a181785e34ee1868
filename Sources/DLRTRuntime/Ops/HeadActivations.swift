import DLRTKernels
import DLRTModel

// Softplus, HardSigmoid, HardSwish, Selu, Mish, Gelu, Softsign, Floor, Ceil, Round, Sign:
// float32 unary ops on the activation machinery (`ActivationOperator`), one spec each.

enum SoftplusSpec: ActivationSpec {
    static var opCode: OpCode { .softplus }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(SoftplusFunction()) }
}

enum HardSigmoidSpec: ActivationSpec {
    static var opCode: OpCode { .hardSigmoid }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        specializedLoop(HardSigmoidFunction(alpha: try ElemCheck.float(node, "alpha", default: 0.2),
                                            beta: try ElemCheck.float(node, "beta", default: 0.5)))
    }
}

enum HardSwishSpec: ActivationSpec {
    static var opCode: OpCode { .hardSwish }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(HardSwishFunction()) }
}

enum SeluSpec: ActivationSpec {
    static var opCode: OpCode { .selu }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        specializedLoop(SeluFunction(alpha: try ElemCheck.float(node, "alpha", default: 1.673_263_192_176_818_847_656_25),
                                     gamma: try ElemCheck.float(node, "gamma", default: 1.050_701_022_148_132_324_218_75)))
    }
}

enum MishSpec: ActivationSpec {
    static var opCode: OpCode { .mish }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(MishFunction()) }
}

/// `approximate`: "none" (erf form, the default) or "tanh".
enum GeluSpec: ActivationSpec {
    static var opCode: OpCode { .gelu }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        switch node.attributes["approximate"] {
        case nil, .string("none")?: return specializedLoop(GeluErfFunction())
        case .string("tanh")?: return specializedLoop(GeluTanhFunction())
        case let a?: throw OpError(node, "attribute 'approximate' is \(a), expected \"none\" or \"tanh\"", kind: .unsupported)
        }
    }
}

enum SoftsignSpec: ActivationSpec {
    static var opCode: OpCode { .softsign }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(SoftsignFunction()) }
}

enum FloorSpec: ActivationSpec {
    static var opCode: OpCode { .floor }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(FloorFunction()) }
}

enum CeilSpec: ActivationSpec {
    static var opCode: OpCode { .ceil }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(CeilFunction()) }
}

enum RoundSpec: ActivationSpec {
    static var opCode: OpCode { .round }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(RoundFunction()) }
}

enum SignSpec: ActivationSpec {
    static var opCode: OpCode { .sign }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(SignFunction()) }
}
