import CDLRTSupport
import DLRTKernels
import DLRTModel

/// DynamicQuantizeMatMul: Y = act(A · B + bias) where A (float32 [..., K]) is quantized to u8 per
/// run — per row (`per_row` = 1, the default) or per tensor — and B is a constant int8 [K, N]
/// (symmetric, per tensor or per column). Integer products, int32 accumulation, float epilogue.
final class DynamicQuantizeMatMulOperator: Operator {
    static let opCode = OpCode.dynamicQuantizeMatMul

    let node: Node
    let activation: DenseActivation
    let perRow: Bool
    let k: Int, n: Int
    let weights: QPackedWeights

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        activation = try DenseActivation(node: node)
        perRow = try a.flag("per_row", default: true)
        let w = try Int8Weight(node: node, graph: graph, input: 1, name: "B", channelAxis: 1, ranks: 2 ... 2)
        k = w.shape[0]; n = w.shape[1]
        let values = w.values, n = n
        weights = QPackedWeights(k: k, n: n, groups: 1, scales: w.scales) { _, dst in
            cdlrt_qgemm_pack(Int32(w.shape[0]), Int32(n), values, n, 1, dst)
        }
    }

    /// (rows M, output shape) for input A.
    func layout(_ inputs: [PlanInput]) throws -> (m: Int, out: [Int]) {
        let at = DenseAttributes(node)
        let a = try denseFloatInput(inputs, 0, "A", at)
        guard let last = a.last else { throw at.error("A is a scalar, expected rank ≥ 1", kind: .shape) }
        guard last == k else {
            throw at.error("A \(describe(a)) and B [\(k), \(n)]: inner dimensions \(last) and \(k) differ", kind: .shape)
        }
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw at.error("bias is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape == [n] else { throw at.error("bias has shape \(describe(b.shape)), expected [\(n)]", kind: .shape) }
        }
        let m = a.dropLast().reduce(1, *)
        let out = Array(a.dropLast()) + [n]
        guard checkedElementCount(out) != nil else { throw at.error("output \(describe(out)) is too large", kind: .shape) }
        try checkInt32Sizes(node, [m, m * k, m * n], "A \(describe(a))")
        return (m, out)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try layout(inputs).out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let hasBias = inputs.count > 2 && inputs[2].type != nil
        return DynamicQuantizeMatMulKernel(m: try layout(inputs).m, op: self, hasBias: hasBias)
    }
}

final class DynamicQuantizeMatMulKernel: Kernel {
    let m: Int
    let op: DynamicQuantizeMatMulOperator
    let hasBias: Bool
    let serial: Bool

    init(m: Int, op: DynamicQuantizeMatMulOperator, hasBias: Bool) {
        self.m = m
        self.op = op
        self.hasBias = hasBias
        serial = m * op.n * op.k < 1 << 16
    }

    /// Scratch: row scales (m floats), row zero points (m int32), then the u8 rows (m × k).
    var scratchByteCount: Int { 8 * m + m * op.k }

    func run(_ io: KernelIO) {
        guard m > 0, op.n > 0, let scratch = io.scratch else { return }
        let (k, n) = (op.k, op.n)
        let scales = scratch.assumingMemoryBound(to: Float.self)
        let zeros = (scratch + 4 * m).assumingMemoryBound(to: Int32.self)
        let q = (scratch + 8 * m).assumingMemoryBound(to: UInt8.self)
        cdlrt_quantize_dynamic(io.input(0, as: Float.self), Int32(m), Int32(k), k, op.perRow ? 1 : 0, q, k, scales, zeros)
        var e = qepilogue(op.activation)
        e.a_zero = UnsafePointer(zeros); e.a_zero_stride = op.perRow ? 1 : 0
        e.a_scale = UnsafePointer(scales); e.a_scale_stride = op.perRow ? 1 : 0
        e.b_scale = UnsafePointer(op.weights.scales); e.b_scale_stride = 1
        e.bias = hasBias ? io.input(2, as: Float.self) : nil
        e.y_f32 = io.output(0, as: Float.self)
        e.y_row_stride = n; e.y_col_stride = 1
        QGemmTask(m: m, n: n, k: k, a: UnsafePointer(q), lda: k, packed: op.weights.group(0), e: e)
            .dispatch(denseParallel(io, serial: serial))
    }
}
