import DLRTKernels
import DLRTModel

// Min, Max, Mean, Sum: 1…N inputs of one type, numpy broadcasting to one output. float32 for
// all four; Min and Max also int8, uint8, int32 and int64. Computed as a chain of two-operand steps into the
// output (y = x0 ∘ x1, y = y ∘ x2, …), Mean dividing by N at the end.

protocol NarySpec {
    static var opCode: OpCode { get }
    static var isMean: Bool { get }
    /// The row function for `dtype`, nil when the op does not support it. Implement in each
    /// concrete type (calling `naryRows` with a concrete operation) so the loops are specialised.
    static func rows(_ dtype: DType) -> NaryRowFunction?
}

/// Min / Max rows: float32, int8, uint8, int32, int64; Sum / Mean (`floatOnly`): float32.
@inline(__always)
func naryRows<Op: NaryCombine>(_ op: Op.Type, _ dtype: DType, floatOnly: Bool) -> NaryRowFunction? {
    switch dtype {
    case .float32: return naryRowFunction(op, Float.self)
    case .int32 where !floatOnly: return naryRowFunction(op, Int32.self)
    case .int64 where !floatOnly: return naryRowFunction(op, Int64.self)
    case .int8 where !floatOnly: return naryRowFunction(op, Int8.self)
    case .uint8 where !floatOnly: return naryRowFunction(op, UInt8.self)
    default: return nil
    }
}

enum MinSpec: NarySpec {
    static var opCode: OpCode { .min }
    static var isMean: Bool { false }
    static func rows(_ dtype: DType) -> NaryRowFunction? { naryRows(NaryMin.self, dtype, floatOnly: false) }
}
enum MaxSpec: NarySpec {
    static var opCode: OpCode { .max }
    static var isMean: Bool { false }
    static func rows(_ dtype: DType) -> NaryRowFunction? { naryRows(NaryMax.self, dtype, floatOnly: false) }
}
enum MeanSpec: NarySpec {
    static var opCode: OpCode { .mean }
    static var isMean: Bool { true }
    static func rows(_ dtype: DType) -> NaryRowFunction? { naryRows(NarySum.self, dtype, floatOnly: true) }
}
enum SumSpec: NarySpec {
    static var opCode: OpCode { .sum }
    static var isMean: Bool { false }
    static func rows(_ dtype: DType) -> NaryRowFunction? { naryRows(NarySum.self, dtype, floatOnly: true) }
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

    /// The input shapes, the broadcast output shape and the row function.
    func check(_ inputs: [PlanInput]) throws -> (DType, [[Int]], [Int], NaryRowFunction) {
        let types = try node.inputs.indices.map { try ElemCheck.input(node, inputs, $0) }
        let t = types[0].dtype
        if let bad = types.firstIndex(where: { $0.dtype != t }) {
            throw OpError(node, "input \(bad) is \(types[bad]), input 0 is \(types[0]): all inputs must have one type", kind: .shape)
        }
        guard let rows = Spec.rows(t) else {
            let names = [DType.float32, .int8, .uint8, .int32, .int64].filter { Spec.rows($0) != nil }.map(\.description)
            throw OpError(node, "input type \(t) is not supported, expected \(names.joined(separator: ", "))", kind: .unsupported)
        }
        let shapes = types.map(\.shape)
        return (t, shapes, try broadcastPlan(node, shapes).outputShape, rows)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (t, _, out, _) = try check(inputs)
        return [TensorType(t, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (_, shapes, out, rows) = try check(inputs)
        // One input: the output is that input (same shape, nothing to broadcast).
        if shapes.count == 1 { return ByteCopyKernel(byteCount: outputs[0].byteCount) }
        var steps = [(a: 0, b: 1, plan: try broadcastPlan(node, [shapes[0], shapes[1]], extra: [out]))]
        for k in shapes.indices.dropFirst(2) { steps.append((a: -1, b: k, plan: try broadcastPlan(node, [out, shapes[k]]))) }
        return NaryKernel(rows: rows, steps: steps, divisor: Spec.isMean ? Float(shapes.count) : nil, count: outputs[0].elementCount)
    }
}

/// Two-operand steps into the output: step 0 reads inputs 0 and 1, step k reads the output
/// (`a` = -1) and input k+1; then Mean's division.
final class NaryKernel: Kernel {
    let rows: NaryRowFunction
    let steps: [(a: Int, b: Int, plan: NaryBroadcastPlan)]
    let divisor: Float?
    let count: Int

    init(rows: @escaping NaryRowFunction, steps: [(a: Int, b: Int, plan: NaryBroadcastPlan)], divisor: Float?, count: Int) {
        self.rows = rows; self.steps = steps; self.divisor = divisor; self.count = count
    }

    func run(_ io: KernelIO) {
        let y = io.rawOutput(0)
        for s in steps {
            let body = NaryRow(rows, a: s.a < 0 ? UnsafeRawPointer(y) : io.rawInput(s.a), b: io.rawInput(s.b), y: y)
            io.workers.parallelFor(s.plan.rowCount, grain: Swift.max(1, (1 << 14) / Swift.max(1, s.plan.rowLength)),
                                   NaryStepTask(plan: s.plan, body: body))
        }
        if let divisor { naryDivide(y.assumingMemoryBound(to: Float.self), divisor, 0 ..< count) }
    }
}

private struct NaryStepTask: ParallelTask {
    let plan: NaryBroadcastPlan
    let body: NaryRow
    func run(_ r: Range<Int>) { plan.forEachRow(r, body) }
}
