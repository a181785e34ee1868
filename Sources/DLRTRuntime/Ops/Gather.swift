import DLRTKernels
import DLRTModel

/// Gather(data, indices) along `axis` (0): data any dtype, indices int32 or int64 of any shape;
/// output data.shape[..<axis] + indices.shape + data.shape[(axis+1)...]. Negative indices count
/// from the end; an out-of-range index yields zeros for its block (see docs/OPS.md).
final class GatherOperator: Operator {
    static var opCode: OpCode { .gather }
    let node: Node
    let axis: Int64

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: 0) ?? 0
    }

    func geometry(_ inputs: [PlanInput]) throws -> (data: TensorType, idx: TensorType, axis: Int) {
        let d = try ElemCheck.input(node, inputs, 0), i = try ElemCheck.input(node, inputs, 1)
        guard i.dtype == .int64 || i.dtype == .int32 else {
            throw OpError(node, "input 1 (indices) is \(i), expected int64 or int32", kind: .unsupported)
        }
        guard !d.shape.isEmpty else { throw OpError(node, "input 0 (data) is a scalar, expected rank ≥ 1", kind: .shape) }
        return (d, i, try ElemCheck.axis(node, "axis", axis, rank: d.shape.count, shape: d.shape))
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (d, i, a) = try geometry(inputs)
        return [TensorType(d.dtype, Array(d.shape[..<a]) + i.shape + Array(d.shape[(a + 1)...]))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (d, i, a) = try geometry(inputs)
        let g = GatherGeometry(outer: d.shape[..<a].reduce(1, *), axisSize: d.shape[a], indexCount: i.elementCount,
                               blockBytes: d.shape[(a + 1)...].reduce(1, *) * d.dtype.byteSize)
        return i.dtype == .int64 ? GatherKernel<Int64>(g) : GatherKernel<Int32>(g)
    }
}

struct GatherGeometry {
    let outer: Int, axisSize: Int, indexCount: Int, blockBytes: Int
}

final class GatherKernel<I: BinaryInteger>: Kernel {
    let g: GatherGeometry
    init(_ g: GatherGeometry) { self.g = g }

    func run(_ io: KernelIO) {
        let rows = g.outer * g.indexCount
        if rows == 0 || g.blockBytes == 0 { return }
        io.workers.parallelFor(rows, grain: Swift.max(1, (1 << 16) / g.blockBytes),
                               GatherTask<I>(g: g, data: io.rawInput(0), idx: io.input(1), out: io.rawOutput(0)))
    }
}

private struct GatherTask<I: BinaryInteger>: ParallelTask {
    let g: GatherGeometry
    let data: UnsafeRawPointer, idx: UnsafePointer<I>, out: UnsafeMutableRawPointer
    func run(_ r: Range<Int>) {
        gatherRows(data, idx, out, axisSize: g.axisSize, indexCount: g.indexCount, blockBytes: g.blockBytes, rows: r)
    }
}
