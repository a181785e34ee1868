import DLRTKernels
import DLRTModel

/// Shape rule of the global pools: X [N, C, d…] → [N, C, 1…].
private func globalPoolShape(_ node: Node, _ inputs: [PlanInput]) throws -> [Int] {
    let a = DenseAttributes(node)
    let x = try denseFloatInput(inputs, 0, "X", a)
    guard x.count >= 3 else { throw a.error("X has shape \(describe(x)), expected [N, C, d1, …] (rank ≥ 3)", kind: .shape) }
    return x
}

final class GlobalPoolKernel: Kernel {
    let planes: Int, size: Int, isMax: Bool

    init(_ x: [Int], isMax: Bool) {
        planes = x[0] * x[1]
        size = x[2...].reduce(1, *)
        self.isMax = isMax
    }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.output(0, as: Float.self)
        io.workers.parallelFor(planes, grain: max(1, 8192 / max(1, size)),
                               GlobalPoolTask(isMax: isMax, size: size, x: x, y: y))
    }
}

/// Which reduction a global pool applies.
protocol GlobalPoolKind { static var opCode: OpCode { get }; static var isMax: Bool { get } }
enum GlobalAverage: GlobalPoolKind { static let opCode = OpCode.globalAveragePool; static let isMax = false }
enum GlobalMax: GlobalPoolKind { static let opCode = OpCode.globalMaxPool; static let isMax = true }

/// GlobalAveragePool / GlobalMaxPool: mean or max over all spatial dims, kept as size 1.
final class GlobalPoolOperator<Kind: GlobalPoolKind>: Operator {
    static var opCode: OpCode { Kind.opCode }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try DenseAttributes(node).checkArity(inputs: 1)
        self.node = node
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try globalPoolShape(node, inputs)
        return [TensorType(.float32, [x[0], x[1]] + [Int](repeating: 1, count: x.count - 2))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        GlobalPoolKernel(try globalPoolShape(node, inputs), isMax: Kind.isMax)
    }
}

typealias GlobalAveragePoolOperator = GlobalPoolOperator<GlobalAverage>
typealias GlobalMaxPoolOperator = GlobalPoolOperator<GlobalMax>

/// `globalPool` over a range of (batch, channel) planes.
private struct GlobalPoolTask: ParallelTask {
    let isMax: Bool, size: Int
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ planes: Range<Int>) { globalPool(isMax: isMax, size: size, x: x, y: y, planes: planes) }
}
