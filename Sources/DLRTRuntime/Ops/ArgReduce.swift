import DLRTKernels
import DLRTModel

// ArgMax, ArgMin: float32, int32 or int64 in, int64 indices out.
// Attributes: `axis` (0), `keepdims` (1), `select_last_index` (0).

protocol ArgReduceSpec {
    static var opCode: OpCode { get }
    /// The loop for float32, int32 or int64 input (nil otherwise). Implement in each concrete
    /// type (calling `argLoops` with a concrete comparison) so the loops are specialised.
    static func loop(_ dtype: DType) -> ArgReduceFunction?
}

@inline(__always)
func argLoops<C: ArgCompare>(_ c: C.Type, _ dtype: DType) -> ArgReduceFunction? {
    switch dtype {
    case .float32: return argReduceFunction(c, Float.self)
    case .int32: return argReduceFunction(c, Int32.self)
    case .int64: return argReduceFunction(c, Int64.self)
    default: return nil
    }
}

enum ArgMaxSpec: ArgReduceSpec {
    static var opCode: OpCode { .argMax }
    static func loop(_ dtype: DType) -> ArgReduceFunction? { argLoops(ArgMaxCompare.self, dtype) }
}
enum ArgMinSpec: ArgReduceSpec {
    static var opCode: OpCode { .argMin }
    static func loop(_ dtype: DType) -> ArgReduceFunction? { argLoops(ArgMinCompare.self, dtype) }
}

final class ArgReduceOperator<Spec: ArgReduceSpec>: Operator {
    static var opCode: OpCode { Spec.opCode }
    let node: Node
    let axis: Int64
    let keepDims: Bool
    let selectLast: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: 0) ?? 0
        let keep = try ElemCheck.int(node, "keepdims", default: 1) ?? 1
        guard keep == 0 || keep == 1 else { throw OpError(node, "attribute 'keepdims' is \(keep), expected 0 or 1") }
        keepDims = keep == 1
        selectLast = try ElemCheck.flag(node, "select_last_index")
    }

    /// The input type, the normalised axis and the [outer, n, inner] view.
    func view(_ inputs: [PlanInput]) throws -> (TensorType, Int, outer: Int, n: Int, inner: Int) {
        let x = try ElemCheck.input(node, inputs, 0)
        guard Spec.loop(x.dtype) != nil else {
            throw OpError(node, "input 0 (data) is \(x), expected float32, int32 or int64", kind: .unsupported)
        }
        let a = try ElemCheck.axis(node, "axis", axis, rank: x.shape.count, shape: x.shape)
        guard x.shape[a] > 0 else {
            throw OpError(node, "axis \(a) of input \(describe(x.shape)) is empty: no index to return", kind: .shape)
        }
        return (x, a, x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *))
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (x, a, _, _, _) = try view(inputs)
        var s = x.shape
        if keepDims { s[a] = 1 } else { s.remove(at: a) }
        return [TensorType(.int64, s)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (x, _, outer, n, inner) = try view(inputs)
        guard let loop = Spec.loop(x.dtype) else { throw OpError(node, "input type \(x.dtype) is not supported", kind: .unsupported) }
        return ArgReduceKernel(loop: loop, outer: outer, n: n, inner: inner, selectLast: selectLast)
    }
}

final class ArgReduceKernel: Kernel {
    let loop: ArgReduceFunction
    let outer: Int, n: Int, inner: Int
    let selectLast: Bool

    init(loop: @escaping ArgReduceFunction, outer: Int, n: Int, inner: Int, selectLast: Bool) {
        self.loop = loop; self.outer = outer; self.n = n; self.inner = inner; self.selectLast = selectLast
    }

    func run(_ io: KernelIO) {
        let task = ArgReduceTask(loop: loop, x: io.rawInput(0), y: io.output(0), n: n, inner: inner, selectLast: selectLast)
        io.workers.parallelFor(outer * inner, grain: Swift.max(1, 8192 / n), task)
    }
}

private struct ArgReduceTask: ParallelTask {
    let loop: ArgReduceFunction
    let x: UnsafeRawPointer, y: UnsafeMutablePointer<Int64>
    let n: Int, inner: Int, selectLast: Bool
    func run(_ r: Range<Int>) { loop(x, y, n, inner, selectLast, r) }
}
