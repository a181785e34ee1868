@testable import DLRTKernels
import XCTest

/// The int8 recurrence (`RecurrentInt8Weights`): its GEMM (per-row u8 activations × per-row s8
/// weights) against a plain scalar reference, and whole LSTM / GRU / RNN runs against the float32
/// `recurrentReference` (cosine and absolute error: int8 rounding, not bugs).
final class RecurrentInt8Tests: XCTestCase {
    /// Plain reference of `RecurrentInt8Weights.gemm`: quantize each row of a (asymmetric u8 over
    /// [min(0, min), max(0, max)], round half even), integer dot products with the s8 weights,
    /// then acc · a_scale · w_scale + bias.
    func referenceGEMM(m: Int, n: Int, k: Int, a: [Float], wq: [Int8], wScales: [Float], bias: [Float]) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0 ..< m {
            let row = a[(i * k) ..< (i * k + k)]
            let lo = min(0, row.min() ?? 0), hi = max(0, row.max() ?? 0)
            var scale = (hi - lo) / 255
            if !(scale > 0) { scale = 1 }
            let zero = Int32(min(max((-lo / scale).rounded(.toNearestOrEven), 0), 255))
            let q = row.map { Int32(min(max(($0 / scale).rounded(.toNearestOrEven) + Float(zero), 0), 255)) }
            for j in 0 ..< n {
                var acc: Int32 = 0
                for kk in 0 ..< k { acc += (q[kk] - zero) * Int32(wq[j * k + kk]) }
                c[i * n + j] = Float(acc) * scale * wScales[j] + bias[j]
            }
        }
        return c
    }

    /// Odd sizes 1…67 of the GEMM (through an RNN layout: W [n, k] is the GEMM's Bᵀ), outputs NaN-filled.
    func testGEMMAgainstReference() {
        var rng = TestRNG(seed: 77)
        for (m, n, k) in [(1, 1, 1), (3, 5, 7), (1, 67, 67), (67, 33, 1), (5, 64, 31), (17, 65, 13), (2, 32, 64), (9, 1, 67)] {
            let layout = RecurrentWeightLayout(kind: .rnn, input: k, hidden: n, directions: 1, linearBeforeReset: false,
                                               hasBias: false, hasPeepholes: false)
            let w = rng.floats(n * k, -0.5, 0.5), r = rng.floats(n * n, -0.5, 0.5)
            let a = rng.floats(m * k, -3, 2), bias = rng.floats(n)
            let q = w.withUnsafeBufferPointer { wp in r.withUnsafeBufferPointer { rp in
                RecurrentInt8Weights(layout: layout, w: wp.baseAddress!, r: rp.baseAddress!)
            } }
            var wq = [Int8](repeating: 0, count: n * k), scales = [Float](repeating: 0, count: n)
            recurrentQuantizeRows(w, rows: n, cols: k, q: &wq, scales: &scales)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: q.wScales, count: n)), scales)
            let want = referenceGEMM(m: m, n: n, k: k, a: a, wq: wq, wScales: scales, bias: bias)
            var got = [Float](repeating: .nan, count: m * n)
            let buf = UnsafeMutablePointer<Float>.allocate(capacity: m * k + 2 * m + 64)
            defer { buf.deallocate() }
            buf.initialize(repeating: .nan, count: m * k + 2 * m + 64)
            let rows = RecurrentQuantizedRows(buf, q: (m * k + 3) / 4 + 16, scales: m + 16)
            a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in got.withUnsafeMutableBufferPointer { cp in
                // Two row ranges: the split must not change anything.
                let half = m / 2
                for range in [0 ..< half, half ..< m] {
                    q.gemm(m: m, n: n, k: k, a: ap.baseAddress!, packed: UnsafeRawPointer(q.w), scales: q.wScales,
                           bias: bp.baseAddress, c: cp.baseAddress!, ldc: n, rows: rows, rowRange: range)
                }
            } } }
            assertClose(got, want, tol: 1e-5, "int8 GEMM m=\(m) n=\(n) k=\(k)")
        }
    }

    /// Symmetric per-row weight quantization: max |row| ↦ ±127, zero rows scale 1, NaN ↦ 0.
    func testQuantizeRows() {
        let x: [Float] = [0.5, -1, 0.25, 0, 0, 0, .nan, 2, -2]
        var q = [Int8](repeating: 9, count: 9), s = [Float](repeating: 0, count: 3)
        recurrentQuantizeRows(x, rows: 3, cols: 3, q: &q, scales: &s)
        XCTAssertEqual(s, [1 / 127, 1, 2 / 127])
        XCTAssertEqual(q, [64, -127, 32, 0, 0, 0, 0, 127, -127])
    }

    /// Whole runs: int8 fast kernel vs the float32 reference.
    func check(_ cfg: RecurrentConfig, seed: UInt64, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let gw = cfg.gateWidth, dirs = cfg.directions
        let x = rng.floats(cfg.seq * cfg.batch * cfg.input, -2, 2)
        let s = min(0.6, 2 / Float(cfg.input + cfg.hidden).squareRoot())
        let w = rng.floats(dirs * gw * cfg.input, -s, s), r = rng.floats(dirs * gw * cfg.hidden, -s, s)
        let b = rng.floats(dirs * 2 * gw), p = cfg.kind == .lstm ? rng.floats(dirs * 3 * cfg.hidden) : nil
        let stateCount = dirs * cfg.batch * cfg.hidden, yCount = cfg.seq * dirs * cfg.batch * cfg.hidden
        let ih = rng.floats(stateCount), ic = rng.floats(stateCount)
        func run(int8: Bool) -> [Float] {
            var y = [Float](repeating: .nan, count: yCount), yh = [Float](repeating: .nan, count: stateCount)
            var yc = [Float](repeating: .nan, count: stateCount)
            x.withUnsafeBufferPointer { xp in ih.withUnsafeBufferPointer { ihp in ic.withUnsafeBufferPointer { icp in
                y.withUnsafeMutableBufferPointer { yp in yh.withUnsafeMutableBufferPointer { yhp in yc.withUnsafeMutableBufferPointer { ycp in
                    let io = RecurrentIO(x: xp.baseAddress!, initialH: ihp.baseAddress, initialC: icp.baseAddress, y: yp.baseAddress,
                                         yh: yhp.baseAddress, yc: cfg.kind == .lstm ? ycp.baseAddress : nil)
                    guard int8 else {
                        recurrentReference(cfg, RecurrentReferenceWeights(w: w, r: r, b: b, p: p), io)
                        return
                    }
                    w.withUnsafeBufferPointer { wp in r.withUnsafeBufferPointer { rp in b.withUnsafeBufferPointer { bp in withOptional(p) { pp in
                        let weights = RecurrentWeights(kind: cfg.kind, input: cfg.input, hidden: cfg.hidden, directions: dirs,
                                                       linearBeforeReset: cfg.linearBeforeReset, w: wp.baseAddress!,
                                                       r: rp.baseAddress!, b: bp.baseAddress, p: pp)
                        let q = RecurrentInt8Weights(layout: weights.layout, w: wp.baseAddress!, r: rp.baseAddress!)
                        let count = RecurrentWorkspace(cfg).floatCount + RecurrentInt8Workspace(cfg).floatCount
                        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: count + 16)
                        scratch.initialize(repeating: .nan, count: count + 16)
                        recurrentRun(cfg, weights.packed, io, scratch: scratch, int8: q)
                        scratch.deallocate()
                    } } } }
                } } }
            } } }
            return y + yh + (cfg.kind == .lstm ? yc : [])
        }
        let want = run(int8: false), got = run(int8: true)
        XCTAssertFalse(got.contains { $0.isNaN }, "\(cfg): NaN in the int8 output", file: file, line: line)
        var dot = 0.0, na = 0.0, nb = 0.0, worst: Float = 0
        for (g, v) in zip(got, want) {
            dot += Double(g) * Double(v); na += Double(g) * Double(g); nb += Double(v) * Double(v)
            worst = max(worst, abs(g - v))
        }
        let cosine = dot / max((na * nb).squareRoot(), 1e-30)
        XCTAssertGreaterThanOrEqual(cosine, 0.999, "\(cfg): cosine", file: file, line: line)
        XCTAssertLessThan(worst, 0.1, "\(cfg): max abs error", file: file, line: line)
    }

    func testSweep() {
        var rng = TestRNG(seed: 5)
        let sizes = [1, 3, 8, 17, 33, 67]
        for k in 0 ..< 36 {
            let kind: RecurrentCellKind = [.lstm, .gru, .rnn][k % 3]
            let cfg = RecurrentConfig(kind: kind, seq: rng.int(1 ... 9), batch: rng.int(1 ... 5), input: sizes[rng.int(0 ... 5)],
                                      hidden: sizes[rng.int(0 ... 5)], directions: rng.int(1 ... 2), reverse: k % 5 == 1,
                                      batchFirst: k % 4 == 3, linearBeforeReset: k % 2 == 0)
            check(cfg, seed: UInt64(k))
        }
    }
}
