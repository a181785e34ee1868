import DLRTKernels
import DLRTModel

/// LogSoftmax along `axis` (default -1); `coerce_2d` = 1 takes it over all dims from `axis` on
/// (opset < 13), like Softmax.
final class LogSoftmaxOperator: Operator {
    static var opCode: OpCode { .logSoftmax }

    let node: Node
    let axis: Int64
    let coerce2D: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: -1) ?? -1
        coerce2D = try ElemCheck.flag(node, "coerce_2d")
    }

    /// outer, n, inner of the [outer, n, inner] view.
    func split(_ shape: [Int]) throws -> (outer: Int, n: Int, inner: Int) {
        let a = try ElemCheck.axis(node, "axis", axis, rank: shape.count, shape: shape)
        let outer = shape[..<a].reduce(1, *)
        if coerce2D { return (outer, shape[a...].reduce(1, *), 1) }
        return (outer, shape[a], shape[(a + 1)...].reduce(1, *))
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let t = try ElemCheck.floatInput(node, inputs, 0, "X")
        _ = try split(t.shape)
        return [t]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let s = try split(outputs[0].shape)
        return LogSoftmaxKernel(outer: s.outer, n: s.n, inner: s.inner)
    }
}

final class LogSoftmaxKernel: Kernel {
    let outer: Int, n: Int, inner: Int

    init(outer: Int, n: Int, inner: Int) {
        self.outer = outer; self.n = n; self.inner = inner
    }

    func run(_ io: KernelIO) {
        let task = LogSoftmaxTask(x: io.input(0, as: Float.self), y: io.output(0, as: Float.self), n: n, inner: inner)
        io.workers.parallelFor(outer, grain: Swift.max(1, 8192 / Swift.max(1, n * inner)), task)
    }
}

private struct LogSoftmaxTask: ParallelTask {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let n: Int, inner: Int

    func run(_ groups: Range<Int>) { logSoftmax(x, y, n: n, inner: inner, groups: groups) }
}
