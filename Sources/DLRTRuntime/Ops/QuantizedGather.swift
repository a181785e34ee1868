import DLRTKernels
import DLRTModel

/// QuantizedGather (op 118; `--weights int8` embedding tables): Gather along axis 0 of a
/// constant int8 table [rows, …] quantized per row (symmetric, one float scale per row in the
/// tensor's quantization record, axis 0), dequantizing the gathered rows:
/// output float32 indices.shape + table.shape[1...], row = Float(table[k]) · scale[k].
/// indices int32 or int64, any shape; negative indices count from the end; an index outside
/// −rows…rows−1 yields a row of zeros (as Gather).
final class QuantizedGatherOperator: Operator {
    static var opCode: OpCode { .quantizedGather }
    let node: Node
    /// The table's shape (validated by `Int8Weight`) and its per-row scales.
    let tableShape: [Int]
    let scales: [Float]
    /// Floats per gathered row (the product of table.shape[1...]).
    let width: Int

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
        let table = try Int8Weight(node: node, graph: graph, input: 0, name: "table", channelAxis: 0, ranks: 1 ... 8)
        tableShape = table.shape
        scales = table.scales
        width = table.shape.dropFirst().reduce(1, *)
    }

    func geometry(_ inputs: [PlanInput]) throws -> TensorType {
        let i = try ElemCheck.input(node, inputs, 1)
        guard i.dtype == .int64 || i.dtype == .int32 else {
            throw OpError(node, "input 1 (indices) is \(i), expected int64 or int32", kind: .unsupported)
        }
        return i
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let i = try geometry(inputs)
        let shape = i.shape + Array(tableShape.dropFirst())
        guard checkedElementCount(shape) != nil else {
            throw OpError(node, "output \(describe(shape)) is too large", kind: .shape)
        }
        return [TensorType(.float32, shape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let i = try geometry(inputs)
        let g = QuantizedGatherGeometry(rowCount: tableShape[0], width: width, indexCount: i.elementCount)
        return i.dtype == .int64 ? QuantizedGatherKernel<Int64>(g, scales) : QuantizedGatherKernel<Int32>(g, scales)
    }
}

struct QuantizedGatherGeometry {
    let rowCount: Int, width: Int, indexCount: Int
}

final class QuantizedGatherKernel<I: BinaryInteger>: Kernel {
    let g: QuantizedGatherGeometry
    let scales: [Float]

    init(_ g: QuantizedGatherGeometry, _ scales: [Float]) {
        self.g = g
        self.scales = scales
    }

    func run(_ io: KernelIO) {
        if g.indexCount == 0 || g.width == 0 { return }
        scales.withUnsafeBufferPointer { s in
            io.workers.parallelFor(g.indexCount, grain: Swift.max(1, (1 << 14) / g.width),
                                   QuantizedGatherTask<I>(g: g, table: io.input(0), scales: s.baseAddress!,
                                                          idx: io.input(1), out: io.output(0)))
        }
    }
}

private struct QuantizedGatherTask<I: BinaryInteger>: ParallelTask {
    let g: QuantizedGatherGeometry
    let table: UnsafePointer<Int8>, scales: UnsafePointer<Float>, idx: UnsafePointer<I>, out: UnsafeMutablePointer<Float>
    func run(_ r: Range<Int>) {
        quantizedGatherRows(table, scales, idx, out, rowCount: g.rowCount, width: g.width, rows: r)
    }
}
