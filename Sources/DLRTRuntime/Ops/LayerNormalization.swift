import DLRTKernels
import DLRTModel

/// LayerNormalization(X, Scale, B?) over the dims from `axis` (-1) on, `epsilon` (1e-5);
/// float32. Scale and B hold one element or as many as the normalized dims (any shape that
/// broadcasts to them without repeating along a dim). Outputs Y and, optionally, Mean and
/// InvStdDev (X's shape with the normalized dims set to 1; float32, ONNX's stash_type 1).
final class LayerNormalizationOperator: Operator {
    static var opCode: OpCode { .layerNormalization }
    let node: Node
    let axis: Int64
    let epsilon: Float

    init(node: Node, graph: Graph) throws {
        guard (1 ... 3).contains(node.outputs.count), node.outputs[0] >= 0 else {
            throw OpError(node, "has \(node.outputs.count) outputs, expected Y and optionally Mean and InvStdDev")
        }
        try ElemCheck.arity(node, inputs: 2 ... 3, outputs: node.outputs.count)
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
        let x = try ElemCheck.floatInput(node, inputs, 0, "X")
        let a = try ElemCheck.axis(node, "axis", axis, rank: x.shape.count, shape: x.shape)
        let stats = TensorType(.float32, x.shape.enumerated().map { $0.offset < a ? $0.element : 1 })
        return [x] + Array(repeating: stats, count: node.outputs.count - 1)
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let g = try geometry(inputs)
        func wanted(_ k: Int) -> Bool { k < node.outputs.count && node.outputs[k] >= 0 }
        return LayerNormKernel(rows: g.rows, n: g.n, epsilon: epsilon, scaleStride: g.scaleStride,
                               biasStride: g.biasStride, hasBias: node.inputs.count > 2,
                               meanOutput: wanted(1), invStdDevOutput: wanted(2))
    }
}

final class LayerNormKernel: Kernel {
    let rows: Int, n: Int, epsilon: Float, scaleStride: Int, biasStride: Int, hasBias: Bool
    /// Whether outputs 1 (Mean) and 2 (InvStdDev) are written (training-graph outputs, rare).
    let meanOutput: Bool, invStdDevOutput: Bool

    init(rows: Int, n: Int, epsilon: Float, scaleStride: Int, biasStride: Int, hasBias: Bool,
         meanOutput: Bool = false, invStdDevOutput: Bool = false) {
        self.rows = rows; self.n = n; self.epsilon = epsilon
        self.scaleStride = scaleStride; self.biasStride = biasStride; self.hasBias = hasBias
        self.meanOutput = meanOutput; self.invStdDevOutput = invStdDevOutput
    }

    func run(_ io: KernelIO) {
        let task = LayerNormTask(kernel: self, x: io.input(0), y: io.output(0), scale: io.input(1),
                                 bias: hasBias ? io.input(2) : nil,
                                 mean: meanOutput ? io.output(1) : nil, invStdDev: invStdDevOutput ? io.output(2) : nil)
        io.workers.parallelFor(rows, grain: Swift.max(1, 8192 / Swift.max(1, n)), task)
    }
}

private struct LayerNormTask: ParallelTask {
    let kernel: LayerNormKernel
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let mean: UnsafeMutablePointer<Float>?, invStdDev: UnsafeMutablePointer<Float>?

    func run(_ r: Range<Int>) {
        layerNormRows(x, y, n: kernel.n, epsilon: kernel.epsilon, scale: scale, scaleStride: kernel.scaleStride,
                      bias: bias, biasStride: kernel.biasStride, rows: r)
        guard mean != nil || invStdDev != nil else { return }
        // The statistics as ONNX defines them (float32): mean, then the mean of squared deviations.
        let n = kernel.n
        for row in r {
            let p = x + row * n
            var sum: Float = 0
            for i in 0 ..< n { sum += p[i] }
            let m = n > 0 ? sum / Float(n) : 0
            var squares: Float = 0
            for i in 0 ..< n { let d = p[i] - m; squares += d * d }
            let variance = n > 0 ? squares / Float(n) : 0
            mean?[row] = m
            invStdDev?[row] = 1 / (variance + kernel.epsilon).squareRoot()
        }
    }
}
