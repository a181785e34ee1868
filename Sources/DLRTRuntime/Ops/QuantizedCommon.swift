import CDLRTSupport
import DLRTKernels
import DLRTModel

/// The int8 GEMM path chosen once for this process (AVX-512 VNNI → AVX-VNNI → AVX2 → portable).
let qgemmISA: Int32 = cdlrt_qgemm_best_isa()

/// A constant int8 weight tensor, validated: symmetric (zero points 0), scales finite and > 0,
/// per tensor or per channel along `channelAxis`. `scales` has one entry per channel either way.
struct Int8Weight {
    let shape: [Int]
    let values: UnsafePointer<Int8>
    let scales: [Float]

    init(node: Node, graph: Graph, input: Int, name: String, channelAxis: Int, ranks: ClosedRange<Int>) throws {
        let a = DenseAttributes(node)
        guard let w = a.constantInput(input, graph: graph) else {
            throw a.error("\(name) (input \(input)) is not a constant; int8 weights must be constants", kind: .unsupported)
        }
        guard w.dtype == .int8 else { throw a.error("\(name) is \(w.dtype), expected int8", kind: .unsupported) }
        guard ranks.contains(w.shape.count) else {
            throw a.error("\(name) has shape \(describe(w.shape)), expected rank \(ranks.lowerBound)…\(ranks.upperBound)")
        }
        guard let count = checkedElementCount(w.shape), count <= w.data.byteCount, count < Int(Int32.max) else {
            throw a.error("\(name) \(describe(w.shape)) needs more bytes than its \(w.data.byteCount)")
        }
        guard let q = graph.tensors[Int(node.inputs[input])].quantization else {
            throw a.error("\(name) is int8 without quantization parameters")
        }
        let channels = w.shape[channelAxis]
        if let axis = q.axis {
            guard axis == channelAxis, q.scales.count == channels else {
                throw a.error("\(name) \(describe(w.shape)) is quantized along axis \(axis) with \(q.scales.count) scales; expected per tensor or axis \(channelAxis) with \(channels)",
                              kind: .unsupported)
            }
        } else {
            guard q.scales.count == 1 else { throw a.error("\(name): per-tensor quantization with \(q.scales.count) scales") }
        }
        guard q.zeroPoints.allSatisfy({ $0 == 0 }) else {
            throw a.error("\(name) has non-zero zero points; int8 weights must be symmetric", kind: .unsupported)
        }
        guard q.scales.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw a.error("\(name) has a scale that is not finite and > 0")
        }
        guard let base = w.data.bytes.baseAddress else { throw a.error("\(name) has no data") }
        shape = w.shape
        values = base.assumingMemoryBound(to: Int8.self)
        scales = q.axis == nil ? [Float](repeating: q.scales[0], count: channels) : q.scales
    }
}

/// Weights packed for `cdlrt_qgemm` (one packed matrix per group) with their per-column scales.
/// Immutable after init; shared by every context.
final class QPackedWeights: @unchecked Sendable {
    let k: Int, n: Int, groups: Int
    let groupBytes: Int
    let packed: UnsafeMutableRawPointer
    /// groups × n scales.
    let scales: UnsafeMutablePointer<Float>

    /// Group g's B[kk, j] = w[(g · n + j) · colStride … ] — see `pack` callers for the strides.
    init(k: Int, n: Int, groups: Int, scales s: [Float], pack: (Int, UnsafeMutableRawPointer) -> Void) {
        self.k = k; self.n = n; self.groups = groups
        groupBytes = (cdlrt_qgemm_packed_size(Int32(k), Int32(n)) + 63) / 64 * 64
        packed = UnsafeMutableRawPointer.allocate(byteCount: max(64, groupBytes * groups), alignment: 64)
        scales = UnsafeMutablePointer<Float>.allocate(capacity: max(1, s.count))
        scales.initialize(from: s, count: s.count)
        for g in 0 ..< groups { pack(g, packed + g * groupBytes) }
    }

    deinit {
        packed.deallocate()
        scales.deallocate()
    }

    func group(_ g: Int) -> UnsafeRawPointer { UnsafeRawPointer(packed + g * groupBytes) }
}

/// Reads the fused activation into the C epilogue.
func qepilogue(_ act: DenseActivation) -> cdlrt_qepilogue {
    var e = cdlrt_qepilogue()
    e.activation = Int32(act.kind.rawValue)
    e.act_alpha = act.alpha
    e.act_min = act.min
    e.act_max = act.max
    e.y_scale = 1
    return e
}

/// Runs `cdlrt_qgemm` over rows × panels, split over the workers by row tiles (or by column
/// panels when there are few rows).
struct QGemmTask: ParallelTask {
    var m: Int, n: Int, k: Int
    var a: UnsafePointer<UInt8>, lda: Int
    var packed: UnsafeRawPointer
    var e: cdlrt_qepilogue
    static let rowTile = 8

    var byRows: Bool { m >= 4 * Self.rowTile }
    var units: Int { byRows ? (m + Self.rowTile - 1) / Self.rowTile : (n + Int(CDLRT_QGEMM_NR) - 1) / Int(CDLRT_QGEMM_NR) }

    func run(_ range: Range<Int>) {
        var e = e
        if byRows {
            cdlrt_qgemm(qgemmISA, Int32(range.lowerBound * Self.rowTile), Int32(min(m, range.upperBound * Self.rowTile)),
                        0, Int32.max, Int32(n), Int32(k), a, lda, packed, &e)
        } else {
            cdlrt_qgemm(qgemmISA, 0, Int32(m), Int32(range.lowerBound), Int32(range.upperBound), Int32(n), Int32(k),
                        a, lda, packed, &e)
        }
    }

    func dispatch(_ parallel: any ParallelLoop) {
        parallel.parallelFor(units, grain: 1, self)
    }
}

/// Fails unless every value fits the C kernels' 32-bit sizes.
func checkInt32Sizes(_ node: Node, _ values: [Int], _ what: String) throws {
    for v in values where v >= Int(Int32.max) {
        throw OpError(node, "\(what) is too large for the int8 kernels (\(v) ≥ 2^31)", kind: .shape)
    }
}

/// How an int8 op quantizes its activations: per run from their own range (dynamic) or with
/// calibrated parameters stored on the node (static; the input may then already be u8 and the
/// output may be u8).
protocol QuantizedActivationMode {
    static var isStatic: Bool { get }
}

enum DynamicActivations: QuantizedActivationMode { static var isStatic: Bool { false } }
enum StaticActivations: QuantizedActivationMode { static var isStatic: Bool { true } }

/// One u8 tensor's parameters: real = scale · (q − zero).
struct U8Params: Equatable {
    var scale: Float
    var zero: Int32
}

/// The static attributes: `x_scale`, `x_zero_point` (required) and `y_scale`, `y_zero_point`
/// (both or neither: present, the output is u8 with them; absent, float32).
struct StaticQuantization {
    var x: U8Params
    var y: U8Params?

    init(node: Node) throws {
        let a = DenseAttributes(node)
        func params(_ prefix: String, required: Bool) throws -> U8Params? {
            let hasScale = node.attributes["\(prefix)_scale"] != nil, hasZero = node.attributes["\(prefix)_zero_point"] != nil
            guard hasScale || hasZero || required else { return nil }
            guard hasScale && hasZero else {
                throw a.error("attributes '\(prefix)_scale' and '\(prefix)_zero_point' must be given together\(required ? " (required)" : "")")
            }
            let s = try a.float("\(prefix)_scale", default: 1), z = try a.int("\(prefix)_zero_point", default: 0)
            guard s.isFinite && s > 0 else { throw a.error("attribute '\(prefix)_scale' is \(s), expected a finite value > 0") }
            guard (0 ... 255).contains(z) else { throw a.error("attribute '\(prefix)_zero_point' is \(z), expected 0…255") }
            return U8Params(scale: s, zero: Int32(z))
        }
        guard let x = try params("x", required: true) else { throw a.error("attribute 'x_scale' is required") }
        self.x = x
        y = try params("y", required: false)
    }
}

/// The activation input's dtype and the output dtype of an int8 op in `mode`.
func quantizedIO(_ node: Node, _ input: TensorType?, name: String, isStatic: Bool, output: U8Params?) throws -> DType {
    let a = DenseAttributes(node)
    guard let t = input else { throw a.error("input \(name) is absent") }
    let ok = t.dtype == .float32 || (isStatic && t.dtype == .uint8)
    guard ok else {
        throw a.error("input \(name) is \(t.dtype), expected float32\(isStatic ? " or uint8" : "")", kind: .unsupported)
    }
    return output == nil ? .float32 : .uint8
}

/// Per-run activation parameters written at the start of scratch (64 bytes), so the C epilogue
/// reads them through pointers.
@inline(__always)
func writeParams(_ scratch: UnsafeMutableRawPointer, _ p: U8Params) -> (scale: UnsafePointer<Float>, zero: UnsafePointer<Int32>) {
    let s = scratch.assumingMemoryBound(to: Float.self), z = (scratch + 4).assumingMemoryBound(to: Int32.self)
    s.pointee = p.scale
    z.pointee = p.zero
    return (UnsafePointer(s), UnsafePointer(z))
}

/// QuantizeLinear / DequantizeLinear parameters: `scales`, `zero_points` (one value, or one per
/// index of `axis`), validated for the quantized type.
struct LinearQuantization {
    let scales: [Float]
    let zeros: [Int32]
    let axis: Int?

    init(node: Node, quantized: DType) throws {
        let a = DenseAttributes(node)
        guard case .floats(let s)? = node.attributes["scales"], case .ints(let z)? = node.attributes["zero_points"] else {
            throw a.error("attributes 'scales' (floats) and 'zero_points' (ints) are required")
        }
        guard !s.isEmpty, z.count == s.count else { throw a.error("\(s.count) scales but \(z.count) zero points") }
        guard s.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw a.error("scales must be finite and > 0") }
        let range: ClosedRange<Int64> = quantized == .uint8 ? 0 ... 255 : quantized == .int8 ? -128 ... 127 : Int64(Int32.min) ... Int64(Int32.max)
        guard z.allSatisfy({ range.contains($0) }) else { throw a.error("zero points must be in \(range) for \(quantized)") }
        scales = s
        zeros = z.map { Int32($0) }
        axis = s.count > 1 ? try a.int("axis", default: -1) : nil
        if let axis, axis < 0 { throw a.error("per-axis parameters need attribute 'axis' ≥ 0") }
    }

    /// (outer, channels, inner) blocks of a tensor of `shape`; throws unless the axis fits.
    func blocks(_ shape: [Int], _ node: Node) throws -> (outer: Int, channels: Int, inner: Int) {
        guard let axis else { return (1, 1, shape.reduce(1, *)) }
        guard axis < shape.count, shape[axis] == scales.count else {
            throw OpError(node, "\(scales.count) scales along axis \(axis) of \(describe(shape))", kind: .shape)
        }
        return (shape[..<axis].reduce(1, *), scales.count, shape[(axis + 1)...].reduce(1, *))
    }
}
