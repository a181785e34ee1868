import DLRTKernels
import DLRTModel

/// Concat along `axis` (required; negative counts from the end); any dtype.
final class ConcatOperator: Operator {
    static var opCode: OpCode { .concat }

    let node: Node
    let axis: Int64

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... Int(Int32.max))
        self.node = node
        guard let a = try ElemCheck.int(node, "axis", default: nil) else {
            throw OpError(node, "attribute 'axis' is missing, expected an int")
        }
        axis = a
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let first = try ElemCheck.input(node, inputs, 0)
        let r = first.shape.count
        let a = try ElemCheck.axis(node, "axis", axis, rank: r, shape: first.shape)
        var out = first.shape
        for k in 1 ..< node.inputs.count {
            let t = try ElemCheck.input(node, inputs, k)
            guard t.dtype == first.dtype else {
                throw OpError(node, "input \(k) is \(t), expected \(first.dtype) like input 0 \(first)", kind: .shape)
            }
            guard t.shape.count == r else {
                throw OpError(node, "input \(k) has shape \(describe(t.shape)) (rank \(t.shape.count)), expected rank \(r) like input 0 \(describe(first.shape))",
                              kind: .shape)
            }
            for d in 0 ..< r where d != a && t.shape[d] != first.shape[d] {
                throw OpError(node, "input \(k) has shape \(describe(t.shape)), dim \(d) is \(t.shape[d]), expected \(first.shape[d]) like input 0 \(describe(first.shape)) (concat axis \(a))",
                              kind: .shape)
            }
            out[a] += t.shape[a]
        }
        return [TensorType(first.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let out = outputs[0]
        let a = try ElemCheck.axis(node, "axis", axis, rank: out.shape.count, shape: out.shape)
        let es = out.dtype.byteSize
        var chunks: [Int] = []
        for k in 0 ..< node.inputs.count {
            chunks.append(try ElemCheck.input(node, inputs, k).shape[a...].reduce(1, *) * es)
        }
        return RowChunkKernel(.gather, outer: out.shape[..<a].reduce(1, *), chunkBytes: chunks)
    }
}

/// Moves byte chunks between one tensor viewed as [outer, Σ chunkBytes] rows and several tensors
/// viewed as [outer, chunkBytes[k]]: Concat gathers the inputs into the output's rows, Split
/// scatters the input's rows into the outputs.
final class RowChunkKernel: Kernel {
    enum Direction { case gather, scatter }
    let direction: Direction
    let outer: Int
    /// Bytes each of the several tensors holds per outer index.
    let chunkBytes: [Int]
    let rowBytes: Int

    init(_ direction: Direction, outer: Int, chunkBytes: [Int]) {
        self.direction = direction
        self.outer = outer
        self.chunkBytes = chunkBytes
        rowBytes = chunkBytes.reduce(0, +)
    }

    func run(_ io: KernelIO) {
        if rowBytes == 0 { return }
        io.workers.parallelFor(outer, grain: Swift.max(1, (1 << 16) / rowBytes), RowChunkTask(kernel: self, io: io))
    }
}

/// Copies the chunks of a range of outer indices.
private struct RowChunkTask: ParallelTask {
    let kernel: RowChunkKernel
    let io: KernelIO

    func run(_ r: Range<Int>) {
        let rowBytes = kernel.rowBytes, gather = kernel.direction == .gather
        kernel.chunkBytes.withUnsafeBufferPointer { chunks in
            var offset = 0
            for k in 0 ..< chunks.count {
                let n = chunks[k]
                if n > 0 {
                    if gather {
                        let src = io.rawInput(k), dst = io.rawOutput(0)
                        for o in r { (dst + o * rowBytes + offset).copyMemory(from: src + o * n, byteCount: n) }
                    } else {
                        let src = io.rawInput(0), dst = io.rawOutput(k)
                        for o in r { (dst + o * n).copyMemory(from: src + o * rowBytes + offset, byteCount: n) }
                    }
                }
                offset += n
            }
        }
    }
}
