import DLRTKernels
import DLRTModel

// Min, Max, Mean, Sum: 1…N inputs of one type, numpy broadcasting to one output. float32 for
// all four; Min and Max also int8, uint8, int32 and int64. Computed as a chain of two-operand steps into the
// output (y = x0 ∘ x1, y = y ∘ x2, …), Mean dividing by N at the end.

protocol NarySpec {
    associatedtype Op: NaryCombine
    static var opCode: OpCode { get }
    static var types: [DType] { get }
    static var isMean: Bool { get }
}
enum MinSpec: NarySpec {
    typealias Op = NaryMin
    static var opCode: OpCode { .min }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
    static var isMean: Bool { false }
}
enum MaxSpec: NarySpec {
    typealias Op = NaryMax
    static var opCode: OpCode { .max }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
    static var isMean: Bool { false }
}
enum MeanSpec: NarySpec {
    typealias Op = NarySum
    static var opCode: OpCode { .mean }
    static var types: [DType] { [.float32] }
    static var isMean: Bool { true }
}
enum SumSpec: NarySpec {
    typealias Op = NarySum
    static var opCode: OpCode { .sum }
    static var types: [DType] { [.float32] }
    static var isMean: Bool { false }
}

/// The node's inputs are bounded so a hostile file cannot make planning quadratic in memory.
let maxNaryInputs = 1024

final class NaryOperator<Spec: NarySpec>: Operator {
    static var opCode: OpCode { Spec.opCode }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... maxNaryInputs)
        self.node = node
    }

    /// The common input type and the broadcast output shape.
    func check(_ inputs: [PlanInput]) throws -> (DType, [[Int]], [Int]) {
        let types = try node.inputs.indices.map { try ElemCheck.input(node, inputs, $0) }
        let t = types[0].dtype
        if let bad = types.firstIndex(where: { $0.dtype != t }) {
            throw OpError(node, "input \(bad) is \(types[bad]), input 0 is \(types[0]): all inputs must have one type", kind: .shape)
        }
        guard Spec.types.contains(t) else {
            throw OpError(node, "input type \(t) is not supported, expected \(Spec.types.map(\.description).joined(separator: ", "))",
                          kind: .unsupported)
        }
        let shapes = types.map(\.shape)
        return (t, shapes, try broadcastPlan(node, shapes).outputShape)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (t, _, out) = try check(inputs)
        return [TensorType(t, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (t, shapes, out) = try check(inputs)
        switch t {
        case .int32: return try makeSteps(Int32.self, shapes, out)
        case .int64: return try makeSteps(Int64.self, shapes, out)
        case .int8: return try makeSteps(Int8.self, shapes, out)
        case .uint8: return try makeSteps(UInt8.self, shapes, out)
        default: return try makeSteps(Float.self, shapes, out)
        }
    }

    func makeSteps<T: NaryElement>(_: T.Type, _ shapes: [[Int]], _ out: [Int]) throws -> Kernel {
        if shapes.count == 1 {
            let copy = BroadcastRowKernel(plan: try broadcastPlan(node, shapes)) { io in BroadcastCopyRow<T>(x: io.input(0), y: io.output(0)) }
            return NaryKernel<Spec.Op, T>(first: copy, steps: [], divisor: nil)
        }
        let first = try broadcastPlan(node, [shapes[0], shapes[1]], extra: [out])
        let steps = try shapes.indices.dropFirst(2).map { k in (input: k, plan: try broadcastPlan(node, [out, shapes[k]])) }
        let firstKernel = BroadcastRowKernel(plan: first) { io in NaryRow<Spec.Op, T>(a: io.input(0), b: io.input(1), y: io.output(0)) }
        return NaryKernel<Spec.Op, T>(first: firstKernel, steps: steps,
                                      divisor: Spec.isMean ? Float(shapes.count) : nil, count: out.reduce(1, *))
    }
}

/// The first step (a broadcast kernel of inputs 0 and 1, or a copy of input 0), then one
/// accumulate step per further input, then Mean's division.
final class NaryKernel<Op: NaryCombine, T: NaryElement>: Kernel {
    let first: Kernel
    let steps: [(input: Int, plan: NaryBroadcastPlan)]
    let divisor: Float?
    let count: Int

    init(first: Kernel, steps: [(input: Int, plan: NaryBroadcastPlan)], divisor: Float?, count: Int = 0) {
        self.first = first; self.steps = steps; self.divisor = divisor; self.count = count
    }

    func run(_ io: KernelIO) {
        first.run(io)
        let y = io.output(0, as: T.self)
        for s in steps {
            let body = NaryRow<Op, T>(a: UnsafePointer(y), b: io.input(s.input), y: y)
            io.workers.parallelFor(s.plan.rowCount, grain: Swift.max(1, (1 << 14) / Swift.max(1, s.plan.rowLength)),
                                   NaryStepTask(plan: s.plan, body: body))
        }
        if let divisor, T.self == Float.self {
            naryDivide(io.output(0, as: Float.self), divisor, 0 ..< count)
        }
    }
}

private struct NaryStepTask<B: BroadcastRowBody>: ParallelTask {
    let plan: NaryBroadcastPlan
    let body: B
    func run(_ r: Range<Int>) { plan.forEachRow(r, body) }
}
