import CDLRTSupport
import DLRTKernels
import DLRTModel

/// DynamicQuantizeMatMul (100) / QuantizedMatMul (102): Y = act(A · B + bias) with B a constant
/// int8 [K, N] (symmetric, per tensor or per column) and A [..., K]:
/// - dynamic: A float32, quantized to u8 per run — per row (`per_row` = 1, the default) or per
///   tensor — from its own range;
/// - static: A float32 quantized with `x_scale` / `x_zero_point`, or A already uint8 with those
///   parameters; Y float32, or uint8 with `y_scale` / `y_zero_point`.
/// Integer products, int32 accumulation, float epilogue (docs/QUANTIZATION.md).
final class QuantizedMatMulOperator<Mode: QuantizedActivationMode>: Operator {
    static var opCode: OpCode { Mode.isStatic ? .quantizedMatMul : .dynamicQuantizeMatMul }

    let node: Node
    let activation: DenseActivation
    let perRow: Bool
    let quantization: StaticQuantization?
    let k: Int, n: Int
    let weights: QPackedWeights

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        activation = try DenseActivation(node: node)
        perRow = Mode.isStatic ? false : try a.flag("per_row", default: true)
        quantization = Mode.isStatic ? try StaticQuantization(node: node) : nil
        let w = try Int8Weight(node: node, graph: graph, input: 1, name: "B", channelAxis: 1, ranks: 2 ... 2)
        k = w.shape[0]; n = w.shape[1]
        let values = w.values, (k, n) = (k, n)
        weights = QPackedWeights(k: k, n: n, groups: 1, scales: w.scales) { _, dst in
            cdlrt_qgemm_pack(Int32(k), Int32(n), values, n, 1, dst)
        }
    }

    /// (rows M, A's dtype, output type) for these inputs.
    func layout(_ inputs: [PlanInput]) throws -> (m: Int, input: DType, out: TensorType) {
        let at = DenseAttributes(node)
        let outDType = try quantizedIO(node, inputs.first?.type, name: "A", isStatic: Mode.isStatic, output: quantization?.y)
        let a = inputs[0].type?.shape ?? []
        guard let last = a.last else { throw at.error("A is a scalar, expected rank ≥ 1", kind: .shape) }
        guard last == k else {
            throw at.error("A \(describe(a)) and B [\(k), \(n)]: inner dimensions \(last) and \(k) differ", kind: .shape)
        }
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw at.error("bias is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape == [n] else { throw at.error("bias has shape \(describe(b.shape)), expected [\(n)]", kind: .shape) }
        }
        let out = Array(a.dropLast()) + [n]
        guard let m = checkedElementCount(Array(a.dropLast())), let outCount = checkedElementCount(out),
              let inCount = checkedElementCount(a) else {
            throw at.error("output \(describe(out)) is too large", kind: .shape)
        }
        try checkInt32Sizes(node, [m, inCount, outCount], "A \(describe(a))")
        return (m, inputs[0].type?.dtype ?? .float32, TensorType(outDType, out))
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [try layout(inputs).out]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let l = try layout(inputs)
        return QuantizedMatMulKernel(m: l.m, k: k, n: n, weights: weights, activation: activation, perRow: perRow,
                                     quantization: quantization, inputIsU8: l.input == .uint8,
                                     hasBias: inputs.count > 2 && inputs[2].type != nil)
    }
}

final class QuantizedMatMulKernel: Kernel {
    let m: Int, k: Int, n: Int
    let weights: QPackedWeights
    let activation: DenseActivation
    let perRow: Bool
    /// nil: dynamic.
    let quantization: StaticQuantization?
    let inputIsU8: Bool
    let hasBias: Bool
    let serial: Bool

    init(m: Int, k: Int, n: Int, weights: QPackedWeights, activation: DenseActivation, perRow: Bool,
         quantization: StaticQuantization?, inputIsU8: Bool, hasBias: Bool) {
        self.m = m; self.k = k; self.n = n
        self.weights = weights
        self.activation = activation
        self.perRow = perRow
        self.quantization = quantization
        self.inputIsU8 = inputIsU8
        self.hasBias = hasBias
        serial = m * n * k < 1 << 16
    }

    /// Scratch: 64 bytes of static parameters, row scales (m floats), row zero points (m int32),
    /// then the u8 rows (m × k) unless A is already u8.
    var scratchByteCount: Int { 64 + 8 * m + (inputIsU8 ? 0 : m * k) }

    func run(_ io: KernelIO) {
        guard m > 0, n > 0, let scratch = io.scratch else { return }
        let scales = (scratch + 64).assumingMemoryBound(to: Float.self)
        let zeros = (scratch + 64 + 4 * m).assumingMemoryBound(to: Int32.self)
        let rows = (scratch + 64 + 8 * m).assumingMemoryBound(to: UInt8.self)
        var e = qepilogue(activation)
        let a: UnsafePointer<UInt8>
        if let q = quantization {
            let p = writeParams(scratch, q.x)
            e.a_zero = p.zero; e.a_scale = p.scale
            if inputIsU8 {
                a = io.input(0, as: UInt8.self)
            } else {
                cdlrt_quantize_u8(io.input(0, as: Float.self), m * k, q.x.scale, q.x.zero, rows)
                a = UnsafePointer(rows)
            }
        } else {
            cdlrt_quantize_dynamic(io.input(0, as: Float.self), Int32(m), Int32(k), k, perRow ? 1 : 0, rows, k, scales, zeros)
            e.a_zero = UnsafePointer(zeros); e.a_zero_stride = perRow ? 1 : 0
            e.a_scale = UnsafePointer(scales); e.a_scale_stride = perRow ? 1 : 0
            a = UnsafePointer(rows)
        }
        e.b_scale = UnsafePointer(weights.scales); e.b_scale_stride = 1
        e.bias = hasBias ? io.input(2, as: Float.self) : nil
        if let y = quantization?.y {
            e.y_u8 = io.output(0, as: UInt8.self)
            e.y_scale = y.scale; e.y_zero = y.zero
        } else {
            e.y_f32 = io.output(0, as: Float.self)
        }
        e.y_row_stride = n; e.y_col_stride = 1
        QGemmTask(m: m, n: n, k: k, a: a, lda: k, packed: weights.group(0), e: e).dispatch(denseParallel(io, serial: serial))
    }
}
