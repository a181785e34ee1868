import DLRTKernels
import DLRTModel

/// One arithmetic op: its code and its row loops per element type.
protocol BinarySpec {
    static var opCode: OpCode { get }
    /// The loops for `dtype`, nil when the op does not support it. Implement in each concrete
    /// type (calling `arithmeticKernels` with a concrete operation) so the loops are specialised.
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels?
}

/// The row loops of `op` for float32, int32 and int64.
@inline(__always)
func arithmeticKernels<Op: BinaryOperation>(_ op: Op.Type, _ dtype: DType) -> BinaryRowKernels? {
    switch dtype {
    case .float32: return BinaryRowKernels(op, Float.self)
    case .int32: return BinaryRowKernels(op, Int32.self)
    case .int64: return BinaryRowKernels(op, Int64.self)
    default: return nil
    }
}

enum AddSpec: BinarySpec {
    static var opCode: OpCode { .add }
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels? { arithmeticKernels(AddOperation.self, dtype) }
}

enum SubSpec: BinarySpec {
    static var opCode: OpCode { .sub }
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels? { arithmeticKernels(SubOperation.self, dtype) }
}

enum MulSpec: BinarySpec {
    static var opCode: OpCode { .mul }
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels? { arithmeticKernels(MulOperation.self, dtype) }
}

enum DivSpec: BinarySpec {
    static var opCode: OpCode { .div }
    static func rowKernels(_ dtype: DType) -> BinaryRowKernels? { arithmeticKernels(DivOperation.self, dtype) }
}

/// Add, Sub, Mul, Div with numpy broadcasting on float32, int32, int64.
final class BinaryOperator<Spec: BinarySpec>: Operator {
    static var opCode: OpCode { Spec.opCode }

    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
    }

    func plan(_ inputs: [PlanInput]) throws -> (BroadcastPlan, BinaryRowKernels) {
        let a = try ElemCheck.input(node, inputs, 0), b = try ElemCheck.input(node, inputs, 1)
        guard a.dtype == b.dtype else {
            throw OpError(node, "inputs have different types: A is \(a), B is \(b)", kind: .shape)
        }
        guard let kernels = Spec.rowKernels(a.dtype) else {
            // The types this op has loops for (Pow used to list int32/int64 here while refusing them).
            let names = [DType.float32, .int32, .int64].filter { Spec.rowKernels($0) != nil }.map(\.description)
            let list = names.count > 1 ? names.dropLast().joined(separator: ", ") + " or " + names[names.count - 1] : names.joined()
            throw OpError(node, "input type \(a.dtype) is not supported, expected \(list)", kind: .unsupported)
        }
        guard let plan = BroadcastPlan(a.shape, b.shape) else {
            throw OpError(node, "cannot broadcast A \(describe(a.shape)) with B \(describe(b.shape))", kind: .shape)
        }
        return (plan, kernels)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (plan, _) = try plan(inputs)
        return [TensorType(try ElemCheck.input(node, inputs, 0).dtype, plan.outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (plan, kernels) = try plan(inputs)
        return BinaryKernel(plan: plan, kernels: kernels)
    }
}

final class BinaryKernel: Kernel {
    let plan: BroadcastPlan
    let kernels: BinaryRowKernels
    let flat: Bool

    init(plan: BroadcastPlan, kernels: BinaryRowKernels) {
        self.plan = plan
        self.kernels = kernels
        flat = plan.dims.count == 1
    }

    func run(_ io: KernelIO) {
        let a = io.rawInput(0), b = io.rawInput(1), c = io.rawOutput(0)
        let task = BinaryTask(plan: plan, kernels: kernels, flat: flat, a: a, b: b, c: c)
        if flat {
            io.workers.parallelFor(plan.elementCount, grain: 1 << 14, task)
        } else {
            io.workers.parallelFor(plan.rowCount, grain: Swift.max(1, (1 << 14) / Swift.max(1, plan.rowLength)), task)
        }
    }
}

/// A broadcast binary op over a range of elements (`flat`) or of output rows.
private struct BinaryTask: ParallelTask {
    let plan: BroadcastPlan
    let kernels: BinaryRowKernels
    let flat: Bool
    let a: UnsafeRawPointer, b: UnsafeRawPointer, c: UnsafeMutableRawPointer

    func run(_ r: Range<Int>) {
        if flat {
            plan.runFlat(kernels, a, b, c, elements: r)
        } else {
            plan.run(kernels, a, b, c, rows: r)
        }
    }
}
