import DLRTKernels
import DLRTModel

/// A float32 loop `dst[i] = f(src[i])` compiled for one concrete activation.
typealias UnaryLoop = @Sendable (UnsafePointer<Float>, UnsafeMutablePointer<Float>, Int) -> Void

/// The specialised loop for `f`. Call it with a concrete function type so the loop is compiled
/// for that type (`mapUnary` is @inlinable).
@inline(__always)
func specializedLoop<F: UnaryFloatFunction>(_ f: F) -> UnaryLoop {
    { src, dst, n in mapUnary(f, src, dst, n) }
}

/// One activation op: its code and how its attributes choose the loop.
protocol ActivationSpec {
    static var opCode: OpCode { get }
    /// Reads and validates the node's attributes; returns the loop for them.
    static func makeLoop(_ node: Node) throws -> UnaryLoop
}

enum ReluSpec: ActivationSpec {
    static var opCode: OpCode { .relu }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(ReluFunction()) }
}

enum LeakyReluSpec: ActivationSpec {
    static var opCode: OpCode { .leakyRelu }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        specializedLoop(LeakyReluFunction(alpha: try ElemCheck.float(node, "alpha", default: 0.01)))
    }
}

enum EluSpec: ActivationSpec {
    static var opCode: OpCode { .elu }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        specializedLoop(EluFunction(alpha: try ElemCheck.float(node, "alpha", default: 1.0)))
    }
}

enum SigmoidSpec: ActivationSpec {
    static var opCode: OpCode { .sigmoid }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(SigmoidFunction()) }
}

enum TanhSpec: ActivationSpec {
    static var opCode: OpCode { .tanh }
    static func makeLoop(_ node: Node) throws -> UnaryLoop { specializedLoop(TanhFunction()) }
}

/// Relu, LeakyRelu, Elu, Sigmoid, Tanh, Clip: float32 in, same shape out.
final class ActivationOperator<Spec: ActivationSpec>: Operator {
    static var opCode: OpCode { Spec.opCode }

    let node: Node
    let loop: UnaryLoop

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        loop = try Spec.makeLoop(node)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [try ElemCheck.floatInput(node, inputs, 0, "X")]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        UnaryKernel(loop: loop, count: outputs[0].elementCount)
    }
}

final class UnaryKernel: Kernel {
    let loop: UnaryLoop
    let count: Int

    init(loop: @escaping UnaryLoop, count: Int) {
        self.loop = loop
        self.count = count
    }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self), y = io.output(0, as: Float.self)
        io.workers.parallelFor(count, grain: 1 << 14, UnaryTask(loop: loop, x: x, y: y))
    }
}

/// A unary loop over a range of elements.
private struct UnaryTask: ParallelTask {
    let loop: UnaryLoop
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ r: Range<Int>) { loop(x + r.lowerBound, y + r.lowerBound, r.count) }
}
