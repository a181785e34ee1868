import CDLRTSupport

/// int8 W and R of one recurrent node for the integer recurrence (`--weights int8`,
/// attribute `int8_weights` = 1; docs/QUANTIZATION.md):
///
/// - input projection: xw [seq·batch, dirs·G·hidden] = dequant(u8(X) · s8(Wᵀ)) + inputBias, ONE
///   int8 GEMM over every time step, X quantized per row (asymmetric u8, per run);
/// - per step: hr [batch, block] = dequant(u8(Ht-1) · s8(Rᵀ block)) + recurrentBias, Ht-1
///   quantized per row;
/// - the gate math stays float32 (`RecurrentCellMath`).
///
/// W and R are quantized symmetric per (direction, gate row): scale = max |row| / 127 (1 for an
/// all-zero row), q = round-half-even(w / scale). W and R arrive here dequantized (the file's
/// int8 weight went through a DequantizeLinear folded at load); for a row whose largest |q| is
/// 127 (every row the converter writes, but for rows of a bidirectional layer sharing a scale)
/// this gives back the file's integers exactly.
public final class RecurrentInt8Weights: @unchecked Sendable {
    public let layout: RecurrentWeightLayout
    /// Wᵀ [input, dirs·G·hidden] packed for `cdlrt_qgemm`.
    let w: UnsafeMutableRawPointer
    /// [dirs·G·hidden] scales of W's rows (= the GEMM's columns).
    let wScales: UnsafeMutablePointer<Float>
    /// Per direction d and block k (`layout.block(k)`), Rᵀ [hidden, block width] packed at
    /// `r + d · rStride + rBlockOffset[k]`.
    let r: UnsafeMutableRawPointer
    let rStride: Int, rBlockOffset: (Int, Int)
    /// [dirs·G·hidden] scales of R's rows.
    let rScales: UnsafeMutablePointer<Float>
    /// The qgemm ISA path (chosen once).
    let isa: Int32

    /// `w` [dirs, G·hidden, input], `r` [dirs, G·hidden, hidden] float32, ONNX layout.
    public init(layout: RecurrentWeightLayout, w wf: UnsafePointer<Float>, r rf: UnsafePointer<Float>) {
        self.layout = layout
        isa = cdlrt_qgemm_best_isa()
        let hidden = layout.hidden, input = layout.input
        let gw = layout.kind.gates * hidden, n = layout.directions * gw
        func bytes(_ k: Int, _ n: Int) -> Int { (cdlrt_qgemm_packed_size(Int32(k), Int32(n)) + 63) / 64 * 64 }

        // W: all directions side by side.
        let wq = UnsafeMutablePointer<Int8>.allocate(capacity: Swift.max(1, n * input))
        defer { wq.deallocate() }
        wScales = .allocate(capacity: Swift.max(1, n))
        recurrentQuantizeRows(wf, rows: n, cols: input, q: wq, scales: wScales)
        w = .allocate(byteCount: Swift.max(64, bytes(input, n)), alignment: 64)
        cdlrt_qgemm_pack(Int32(input), Int32(n), wq, 1, input, w)

        // R: per direction, per column block.
        let rq = UnsafeMutablePointer<Int8>.allocate(capacity: Swift.max(1, n * hidden))
        defer { rq.deallocate() }
        rScales = .allocate(capacity: Swift.max(1, n))
        recurrentQuantizeRows(rf, rows: n, cols: hidden, q: rq, scales: rScales)
        let b0 = layout.block(0), b1 = layout.block(1)
        rBlockOffset = (0, bytes(hidden, b0.width))
        rStride = rBlockOffset.1 + (layout.blockCount > 1 ? bytes(hidden, b1.width) : 0)
        r = .allocate(byteCount: Swift.max(64, rStride * layout.directions), alignment: 64)
        for d in 0 ..< layout.directions {
            for k in 0 ..< layout.blockCount {
                let blk = layout.block(k)
                cdlrt_qgemm_pack(Int32(hidden), Int32(blk.width), rq + (d * gw + blk.col) * hidden, 1, hidden,
                                 r + d * rStride + (k == 0 ? rBlockOffset.0 : rBlockOffset.1))
            }
        }
    }

    deinit {
        w.deallocate()
        wScales.deallocate()
        r.deallocate()
        rScales.deallocate()
    }

    /// Direction d's packed Rᵀ block k.
    @inline(__always)
    func rBlock(_ d: Int, _ k: Int) -> UnsafeRawPointer {
        UnsafeRawPointer(r + d * rStride + (k == 0 ? rBlockOffset.0 : rBlockOffset.1))
    }
}

/// Symmetric int8 per row: scale = max |row| / 127 (1 when the row is all zero or not finite),
/// q = clamp(round-half-even(x / scale), −127, 127) (NaN → 0).
public func recurrentQuantizeRows(_ x: UnsafePointer<Float>, rows: Int, cols: Int, q: UnsafeMutablePointer<Int8>,
                                  scales: UnsafeMutablePointer<Float>) {
    for i in 0 ..< rows {
        let row = x + i * cols
        var m: Float = 0
        for j in 0 ..< cols where row[j].isFinite { m = Swift.max(m, abs(row[j])) }
        let s: Float = m > 0 ? m / 127 : 1
        scales[i] = s
        for j in 0 ..< cols {
            let v = (row[j] / s).rounded(.toNearestOrEven)
            q[i * cols + j] = v.isNaN ? 0 : Int8(Swift.min(Swift.max(v, -127), 127))
        }
    }
}

/// Scratch of the int8 path beyond `RecurrentWorkspace` (in floats, each region 16-aligned):
/// X quantized [seq·batch, input] u8 with its per-row scale and zero point; per direction Ht-1
/// quantized [batch, hidden] u8 with its per-row scale and zero point.
public struct RecurrentInt8Workspace: Sendable {
    let xq: Int, xScale: Int, xZero: Int
    let hq: Int, hScale: Int, hZero: Int
    let perDirection: Int
    public let floatCount: Int

    public init(_ cfg: RecurrentConfig) {
        func r16(_ x: Int) -> Int { (x + 15) / 16 * 16 }
        let rows = cfg.seq * cfg.batch
        xq = r16((rows * cfg.input + 3) / 4)
        xScale = r16(rows)
        xZero = xScale
        hq = r16((cfg.batch * cfg.hidden + 3) / 4)
        hScale = r16(cfg.batch)
        hZero = hScale
        perDirection = hq + hScale + hZero
        floatCount = xq + xScale + xZero + cfg.directions * perDirection
    }
}

/// u8 activation buffers of one quantized GEMM operand.
struct RecurrentQuantizedRows {
    let q: UnsafeMutablePointer<UInt8>
    let scale: UnsafeMutablePointer<Float>
    let zero: UnsafeMutablePointer<Int32>

    init(_ base: UnsafeMutablePointer<Float>, q qCount: Int, scales: Int) {
        q = UnsafeMutableRawPointer(base).assumingMemoryBound(to: UInt8.self)
        scale = base + qCount
        zero = UnsafeMutableRawPointer(base + qCount + scales).assumingMemoryBound(to: Int32.self)
    }
}

extension RecurrentInt8Weights {
    /// c[i, j] (row stride ldc) = dequant(quant(a [m, k]) · packed [k, n]) + bias[j], a quantized
    /// per row into `rows`. Exact integer products, so the result does not depend on how the rows
    /// or columns are split.
    @inline(__always)
    func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, packed: UnsafeRawPointer, scales: UnsafePointer<Float>,
              bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, rows: RecurrentQuantizedRows,
              rowRange: Range<Int>? = nil) {
        let range = rowRange ?? 0 ..< m
        guard !range.isEmpty else { return }
        cdlrt_quantize_dynamic(a + range.lowerBound * k, Int32(range.count), Int32(k), k, 1,
                               rows.q + range.lowerBound * k, k, rows.scale + range.lowerBound, rows.zero + range.lowerBound)
        cdlrt_qrec_gemm(isa, Int32(range.lowerBound), Int32(range.upperBound), Int32(n), Int32(k), rows.q, k, packed,
                        rows.zero, rows.scale, scales, bias, c, ldc)
    }
}

/// The input projection of every step with the int8 GEMM, rows split over the workers.
struct RecurrentInt8ProjectionTask: ParallelTask {
    let weights: RecurrentInt8Weights
    let m: Int, n: Int, k: Int
    let x: UnsafePointer<Float>
    let bias: UnsafePointer<Float>
    let xw: UnsafeMutablePointer<Float>
    let rows: RecurrentQuantizedRows
    static let tile = 16

    var units: Int { (m + Self.tile - 1) / Self.tile }

    func run(_ range: Range<Int>) {
        let r = range.lowerBound * Self.tile ..< Swift.min(m, range.upperBound * Self.tile)
        weights.gemm(m: m, n: n, k: k, a: x, packed: UnsafeRawPointer(weights.w), scales: weights.wScales, bias: bias,
                     c: xw, ldc: n, rows: rows, rowRange: r)
    }
}
