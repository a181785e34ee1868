import DLRTKernels
import DLRTModel

// ArgMax, ArgMin: float32, int32 or int64 in, int64 indices out.
// Attributes: `axis` (0), `keepdims` (1), `select_last_index` (0).

protocol ArgReduceSpec {
    associatedtype C: ArgCompare
    static var opCode: OpCode { get }
}
enum ArgMaxSpec: ArgReduceSpec { typealias C = ArgMaxCompare; static var opCode: OpCode { .argMax } }
enum ArgMinSpec: ArgReduceSpec { typealias C = ArgMinCompare; static var opCode: OpCode { .argMin } }

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
        guard [.float32, .int32, .int64].contains(x.dtype) else {
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
        switch x.dtype {
        case .int32: return ArgReduceKernel<Spec.C, Int32>(outer: outer, n: n, inner: inner, selectLast: selectLast)
        case .int64: return ArgReduceKernel<Spec.C, Int64>(outer: outer, n: n, inner: inner, selectLast: selectLast)
        default: return ArgReduceKernel<Spec.C, Float>(outer: outer, n: n, inner: inner, selectLast: selectLast)
        }
    }
}

final class ArgReduceKernel<C: ArgCompare, T: Comparable>: Kernel {
    let outer: Int, n: Int, inner: Int
    let selectLast: Bool

    init(outer: Int, n: Int, inner: Int, selectLast: Bool) {
        self.outer = outer; self.n = n; self.inner = inner; self.selectLast = selectLast
    }

    func run(_ io: KernelIO) {
        let task = ArgReduceTask<C, T>(x: io.input(0), y: io.output(0), n: n, inner: inner, selectLast: selectLast)
        io.workers.parallelFor(outer * inner, grain: Swift.max(1, 8192 / n), task)
    }
}

private struct ArgReduceTask<C: ArgCompare, T: Comparable>: ParallelTask {
    let x: UnsafePointer<T>, y: UnsafeMutablePointer<Int64>
    let n: Int, inner: Int, selectLast: Bool
    func run(_ r: Range<Int>) { argReduce(C.self, x, y, n: n, inner: inner, selectLast: selectLast, outs: r) }
}
