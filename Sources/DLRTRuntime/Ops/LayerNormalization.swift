import DLRTKernels
import DLRTModel

/// LayerNormalization(X, Scale, B?) over the dims from `axis` (-1) on, `epsilon` (1e-5);
/// float32. Scale and B hold one element or as many as the normalized dims (any shape that
/// broadcasts to them without repeating along a dim). One output (Y).
final class LayerNormalizationOperator: Operator {
    static var opCode: OpCode { .layerNormalization }
    let node: Node
    let axis: Int64
    let epsilon: Float

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 3)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: -1) ?? -1
        epsilon = try ElemCheck.float(node, "epsilon", default: 1e-5)
        guard epsilon >= 0, epsilon.isFinite else { throw OpError(node, "attribute 'epsilon' is \(epsilon), expected a finite value ≥ 0") }
    }

    /// rows, n and the element strides of scale and bias.
    func geometry(_ inputs: [PlanInput]) throws -> (rows: Int, n: Int, scaleStride: Int, biasStride: Int) {
        let x = try ElemCheck.floatInput(node, inputs, 0, "X")
        let a = try ElemCheck.axis(node, "axis", axis, rank: x.shape.count, shape: x.shape)
        let normalized = Array(x.shape[a...])
        let n = normalized.reduce(1, *)
        func stride(_ k: Int, _ role: String) throws -> Int {
            let t = try ElemCheck.floatInput(node, inputs, k, role)
            if t.elementCount == 1 { return 0 }
            let trimmed = Array(t.shape.drop { $0 == 1 })
            guard t.elementCount == n, t.shape.count <= normalized.count,
                  Array(normalized.suffix(trimmed.count)) == trimmed else {
                throw OpError(node, "input \(k) (\(role)) has shape \(describe(t.shape)), expected one element or the normalized shape \(describe(normalized))",
                              kind: .shape)
            }
            return 1
        }
        let ss = try stride(1, "Scale")
        let bs = node.inputs.count > 2 ? try stride(2, "B") : 0
        return (x.shape[..<a].reduce(1, *), n, ss, bs)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        _ = try geometry(inputs)
        return [try ElemCheck.floatInput(node, inputs, 0, "X")]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let g = try geometry(inputs)
        return LayerNormKernel(rows: g.rows, n: g.n, epsilon: epsilon, scaleStride: g.scaleStride,
                               biasStride: g.biasStride, hasBias: node.inputs.count > 2)
    }
}

final class LayerNormKernel: Kernel {
    let rows: Int, n: Int, epsilon: Float, scaleStride: Int, biasStride: Int, hasBias: Bool

    init(rows: Int, n: Int, epsilon: Float, scaleStride: Int, biasStride: Int, hasBias: Bool) {
        self.rows = rows; self.n = n; self.epsilon = epsilon
        self.scaleStride = scaleStride; self.biasStride = biasStride; self.hasBias = hasBias
    }

    func run(_ io: KernelIO) {
        let task = LayerNormTask(kernel: self, x: io.input(0), y: io.output(0), scale: io.input(1),
                                 bias: hasBias ? io.input(2) : nil)
        io.workers.parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(1, n)), task)
    }
}

private struct LayerNormTask: ParallelTask {
    let kernel: LayerNormKernel
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>, bias: UnsafePointer<Float>?

    func run(_ r: Range<Int>) {
        layerNormRows(x, y, n: kernel.n, epsilon: kernel.epsilon, scale: scale, scaleStride: kernel.scaleStride,
                      bias: bias, biasStride: kernel.biasStride, rows: r)
    }
}
