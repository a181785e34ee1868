import CDLRTSupport
import DLRTKernels
import Glibc
import XCTest

/// The C int8 kernels (Sources/CDLRTSupport/qgemm*.c) against `QuantReference`, on every ISA
/// path this CPU supports: bit-identical results required.
final class QGemmTests: XCTestCase {
    static let odd = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 67]

    var isas: [Int32] { (0 ..< Int32(CDLRT_QISA_COUNT)).filter { cdlrt_qgemm_isa_supported($0) != 0 } }

    /// Packs b (k × n, row-major) and returns the 64-byte aligned buffer.
    func pack(_ b: [Int8], k: Int, n: Int) -> UnsafeMutableRawPointer {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(64, cdlrt_qgemm_packed_size(Int32(k), Int32(n))), alignment: 64)
        b.withUnsafeBufferPointer { cdlrt_qgemm_pack(Int32(k), Int32(n), $0.baseAddress, n, 1, p) }
        return p
    }

    enum Fill { case random, extreme, zero }

    func operands(m: Int, n: Int, k: Int, _ fill: Fill, _ rng: inout TestRNG) -> ([UInt8], [Int8]) {
        switch fill {
        case .random:
            return ((0 ..< m * k).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                    (0 ..< k * n).map { _ in Int8(truncatingIfNeeded: rng.next()) })
        case .extreme:  // 0 / 255 against −128 / 127: the largest products of either sign
            return ((0 ..< m * k).map { _ in rng.next() % 2 == 0 ? 255 : 0 },
                    (0 ..< k * n).map { _ in rng.next() % 2 == 0 ? -128 : 127 })
        case .zero:
            return ([UInt8](repeating: 255, count: m * k), [Int8](repeating: -128, count: k * n))
        }
    }

    func testRawAccumulatorsEveryISA() {
        var rng = TestRNG(seed: 11)
        var shapes: [(Int, Int, Int)] = []
        for (x, m) in Self.odd.enumerated() {
            for (y, n) in Self.odd.enumerated() where (x + y) % 3 == 0 {
                shapes.append((m, n, Self.odd[(x * 7 + y * 3) % Self.odd.count]))
            }
        }
        shapes += [(256, 256, 256), (1, 67, 256), (67, 1, 67), (9, 33, 0), (3, 5, 1)]
        for isa in isas {
            for (m, n, k) in shapes {
                for fill in [Fill.random, .extreme, .zero] {
                    let (a, b) = operands(m: m, n: n, k: k, fill, &rng)
                    let want = QuantReference.qgemm(m: m, n: n, k: k, a: a, lda: k, aZero: [Int32](repeating: 0, count: m), b: b)
                    let packed = pack(b, k: k, n: n)
                    defer { packed.deallocate() }
                    var c = [Int32](repeating: Int32.min, count: m * n)
                    a.withUnsafeBufferPointer { pa in
                        c.withUnsafeMutableBufferPointer { cdlrt_qgemm_raw(isa, Int32(m), Int32(n), Int32(k), pa.baseAddress, k, packed, $0.baseAddress, n) }
                    }
                    if c != want {
                        let i = (0 ..< c.count).first { c[$0] != want[$0] } ?? 0
                        XCTFail("\(String(cString: cdlrt_qgemm_isa_name(isa))) m\(m) n\(n) k\(k) \(fill): element \(i) got \(c[i]) want \(want[i])")
                        return
                    }
                }
            }
        }
    }

    /// Full GEMM + epilogue: per-row zero points and scales, per-column weight scales, bias, each
    /// activation; float output (row-major and transposed, NaN-filled first) and u8 output.
    func testEpilogueEveryISA() {
        var rng = TestRNG(seed: 12)
        let acts: [DenseActivation] = [.none, DenseActivation(.relu), DenseActivation(.leakyRelu, alpha: 0.1),
                                       DenseActivation(.clip, min: -0.5, max: 0.75), DenseActivation(.sigmoid),
                                       DenseActivation(.tanh)]
        for isa in isas {
            for (m, n, k) in [(1, 1, 1), (7, 33, 17), (17, 65, 67), (64, 31, 5), (9, 67, 256), (24, 40, 19)] {
                for act in acts {
                    for transposed in [false, true] {
                        for u8 in [false, true] {
                          for perTensorA in [false, true] {  // Conv: one zero point / scale for all rows
                            let (a, b) = operands(m: m, n: n, k: k, .random, &rng)
                            var za = (0 ..< m).map { _ in Int32(rng.int(0 ... 255)) }
                            var sa = (0 ..< m).map { _ in rng.float(0.001, 0.02) }
                            if perTensorA { za = [Int32](repeating: za[0], count: m); sa = [Float](repeating: sa[0], count: m) }
                            let sb = (0 ..< n).map { _ in rng.float(0.001, 0.02) }
                            let bias = rng.next() % 2 == 0 ? rng.floats(n, -2, 2) : nil
                            let (ys, yz): (Float, Int32) = (0.05, 100)
                            let acc = QuantReference.qgemm(m: m, n: n, k: k, a: a, lda: k, aZero: za, b: b)
                            let (rs, cs) = transposed ? (1, m) : (n, 1)
                            var want = [Float](repeating: 0, count: m * n)
                            for i in 0 ..< m {
                                for j in 0 ..< n {
                                    want[i * rs + j * cs] = QuantReference.epilogue(acc[i * n + j], aScale: sa[i], bScale: sb[j],
                                                                                    bias: bias?[j], act)
                                }
                            }
                            let packed = pack(b, k: k, n: n)
                            defer { packed.deallocate() }
                            var yf = [Float](repeating: .nan, count: m * n)
                            var yq = [UInt8](repeating: 7, count: m * n)
                            za.withUnsafeBufferPointer { pz in sa.withUnsafeBufferPointer { psa in sb.withUnsafeBufferPointer { psb in
                                (bias ?? []).withUnsafeBufferPointer { pbias in
                                    yf.withUnsafeMutableBufferPointer { pyf in yq.withUnsafeMutableBufferPointer { pyq in
                                        var e = cdlrt_qepilogue()
                                        e.a_zero = pz.baseAddress; e.a_zero_stride = perTensorA ? 0 : 1
                                        e.a_scale = psa.baseAddress; e.a_scale_stride = perTensorA ? 0 : 1
                                        e.b_scale = psb.baseAddress; e.b_scale_stride = 1
                                        e.bias = bias == nil ? nil : pbias.baseAddress
                                        e.activation = Int32(act.kind.rawValue)
                                        e.act_alpha = act.alpha; e.act_min = act.min; e.act_max = act.max
                                        e.y_f32 = pyf.baseAddress
                                        e.y_u8 = u8 ? pyq.baseAddress : nil
                                        e.y_row_stride = rs; e.y_col_stride = cs
                                        e.y_scale = ys; e.y_zero = yz
                                        a.withUnsafeBufferPointer { pa in
                                            // two calls over split row / panel ranges cover the matrix
                                            let half = Int32(m / 2)
                                            cdlrt_qgemm(isa, 0, half, 0, 1 << 20, Int32(n), Int32(k), pa.baseAddress, k, packed, &e)
                                            cdlrt_qgemm(isa, half, Int32(m), 0, 1, Int32(n), Int32(k), pa.baseAddress, k, packed, &e)
                                            cdlrt_qgemm(isa, half, Int32(m), 1, 1 << 20, Int32(n), Int32(k), pa.baseAddress, k, packed, &e)
                                        }
                                    } }
                                }
                            } } }
                            let what = "\(String(cString: cdlrt_qgemm_isa_name(isa))) m\(m) n\(n) k\(k) \(act.kind) transposed=\(transposed) u8=\(u8)"
                            if u8 {
                                XCTAssertEqual(yq, want.map { QuantReference.quantize($0, scale: ys, zero: yz) }, what)
                            } else if yf != want {
                                let i = (0 ..< yf.count).first { yf[$0] != want[$0] } ?? 0
                                XCTFail("\(what): element \(i) got \(yf[i]) want \(want[i])")
                            }
                          }
                        }
                    }
                }
            }
        }
    }

    func testDynamicQuantization() {
        var rng = TestRNG(seed: 13)
        var shapes = [(1, 1), (3, 67), (17, 5), (2, 256)]
        shapes += Self.odd.map { (2, $0) }  // every 16-lane tail of the AVX-512 path
        for (rows, cols) in shapes {
            for perRow in [false, true] {
                var x = rng.floats(rows * cols, -3, 5)
                if rows * cols > 4 { x[1] = .nan; x[2] = .infinity; x[3] = -.infinity }
                if cols > 20 { x[cols - 1] = .nan; x[cols - 2] = -.infinity; x[cols - 3] = -7 }  // in the tail
                if rows > 2 { for c in 0 ..< cols { x[2 * cols + c] = 0 } }  // an all-zero row
                var q = [UInt8](repeating: 0, count: rows * cols)
                var s = [Float](repeating: 0, count: rows), z = [Int32](repeating: -1, count: rows)
                cdlrt_quantize_dynamic(x, Int32(rows), Int32(cols), cols, perRow ? 1 : 0, &q, cols, &s, &z)
                for r in 0 ..< rows {
                    let row = Array(x[r * cols ..< (r + 1) * cols])
                    let (ws, wz) = QuantReference.dynamicParams(perRow ? row : x)
                    let (gs, gz) = perRow ? (s[r], z[r]) : (s[0], z[0])
                    XCTAssertEqual(gs, ws, "rows \(rows) cols \(cols) perRow \(perRow) row \(r) scale")
                    XCTAssertEqual(gz, wz, "zero point")
                    XCTAssertEqual(Array(q[r * cols ..< (r + 1) * cols]), row.map { QuantReference.quantize($0, scale: ws, zero: wz) })
                }
            }
        }
        // The quantized range covers [min, max] and 0 maps exactly to the zero point.
        let (s, z) = QuantReference.dynamicParams([-1, 0.5, 3] as [Float])
        XCTAssertEqual(QuantReference.quantize(0, scale: s, zero: z), UInt8(z))
        XCTAssertEqual(QuantReference.quantize(3, scale: s, zero: z), 255)
        XCTAssertEqual(QuantReference.quantize(-1, scale: s, zero: z), 0)
    }

    func testIm2col() {
        var rng = TestRNG(seed: 14)
        for (c, h, w, kh, kw, stride, pad, dil) in [(3, 7, 5, 3, 3, 1, 1, 1), (2, 9, 9, 3, 2, 2, 0, 1), (4, 6, 7, 1, 1, 1, 0, 1),
                                                    (1, 8, 8, 3, 3, 1, 2, 2), (5, 4, 4, 1, 1, 2, 0, 1),
                                                    (3, 12, 12, 7, 7, 2, 3, 1)] {
            var g = cdlrt_conv_geometry()
            g.h = Int32(h); g.w = Int32(w); g.kh = Int32(kh); g.kw = Int32(kw)
            g.stride_h = Int32(stride); g.stride_w = Int32(stride); g.pad_top = Int32(pad); g.pad_left = Int32(pad)
            g.dil_h = Int32(dil); g.dil_w = Int32(dil)
            g.out_h = Int32((h + 2 * pad - (kh - 1) * dil - 1) / stride + 1)
            g.out_w = Int32((w + 2 * pad - (kw - 1) * dil - 1) / stride + 1)
            let x = (0 ..< c * h * w).map { _ in UInt8(truncatingIfNeeded: rng.next()) }  // HWC
            for c0 in [0, 1] {  // all channels (whole kernel rows copied at once) or a group's subset
            let rows = Int(g.out_h * g.out_w), k = (c - c0) * kh * kw
            var cols = [UInt8](repeating: 0, count: rows * k)
            cdlrt_im2col_u8(&g, x, Int32(c), Int32(c0), Int32(c - c0), 42, 0, Int32(rows), &cols, k)
            for p in 0 ..< rows {
                let oh = p / Int(g.out_w), ow = p % Int(g.out_w)
                var t = 0
                for ky in 0 ..< kh {
                    for kx in 0 ..< kw {
                        for ch in c0 ..< c {
                            let ih = oh * stride - pad + ky * dil, iw = ow * stride - pad + kx * dil
                            let v: UInt8 = (ih >= 0 && ih < h && iw >= 0 && iw < w) ? x[(ih * w + iw) * c + ch] : 42
                            XCTAssertEqual(cols[p * k + t], v, "c\(c) h\(h) w\(w) k\(kh)x\(kw) s\(stride) p\(pad) d\(dil) row \(p) tap \(t)")
                            t += 1
                        }
                    }
                }
            }
            }
        }
    }

    /// The implicit-GEMM conv against im2col + cdlrt_qgemm (itself tested against the reference):
    /// the same bytes, float (NaN-filled first, both layouts) and u8 outputs, odd sizes, padding,
    /// strides, dilations, split row ranges.
    func testIndirectConvMatchesIm2col() {
        let isa = cdlrt_qgemm_best_isa()
        var rng = TestRNG(seed: 17)
        var checked = 0
        for trial in 0 ..< 300 {
            let c = 4 * rng.int(1 ... 17), h = rng.int(1 ... 13), w = rng.int(1 ... 13), n = Self.odd[trial % Self.odd.count]
            let kh = rng.int(1 ... 4), kw = rng.int(1 ... 4), sh = rng.int(1 ... 3), sw = rng.int(1 ... 3)
            let pt = rng.int(0 ... kh), pl = rng.int(0 ... kw), dh = rng.int(1 ... 2), dw = rng.int(1 ... 2)
            let oh = (h + 2 * pt - (kh - 1) * dh - 1), ow = (w + 2 * pl - (kw - 1) * dw - 1)
            guard oh >= 0, ow >= 0 else { continue }
            var g = cdlrt_conv_geometry(h: Int32(h), w: Int32(w), kh: Int32(kh), kw: Int32(kw), stride_h: Int32(sh), stride_w: Int32(sw),
                                        pad_top: Int32(pt), pad_left: Int32(pl), dil_h: Int32(dh), dil_w: Int32(dw),
                                        out_h: Int32(oh / sh + 1), out_w: Int32(ow / sw + 1))
            let taps = kh * kw, k = taps * c, m = Int(g.out_h * g.out_w)
            guard cdlrt_qconv_indirect_supported(isa, Int32(c), Int32(taps)) != 0 else { return }  // not this CPU's path
            let x = (0 ..< h * w * c).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let b = (0 ..< k * n).map { _ in Int8(rng.int(-127 ... 127)) }
            var zero = Int32(rng.int(0 ... 255)), scale: Float = 0.01
            let pad = [UInt8](repeating: UInt8(zero), count: c)
            let bs = (0 ..< n).map { _ in rng.float(0.001, 0.01) }, bias = (0 ..< n).map { _ in rng.float(-2, 2) }
            let packed = pack(b, k: k, n: n)
            defer { packed.deallocate() }
            var cols = [UInt8](repeating: 0, count: m * k)
            cdlrt_im2col_u8(&g, x, Int32(c), 0, Int32(c), UInt8(zero), 0, Int32(m), &cols, k)
            let u8 = trial % 2 == 0, rowMajor = trial % 3 == 0
            var want = [Float](repeating: .nan, count: m * n), got = want
            var wantQ = [UInt8](repeating: 0xAB, count: m * n), gotQ = wantQ
            bs.withUnsafeBufferPointer { pbs in
                bias.withUnsafeBufferPointer { pb in
                    let act = trial % 4 == 1 ? DenseActivation(.relu) : trial % 4 == 2 ? DenseActivation(.clip, min: -1, max: 2) : .none
                    var e = cdlrt_qepilogue()
                    e.activation = Int32(act.kind.rawValue)
                    e.act_alpha = act.alpha; e.act_min = act.min; e.act_max = act.max
                    withUnsafePointer(to: &zero) { pz in
                        withUnsafePointer(to: &scale) { ps in
                            e.a_zero = pz; e.a_scale = ps
                            e.b_scale = pbs.baseAddress; e.b_scale_stride = 1
                            e.bias = trial % 5 == 0 ? nil : pb.baseAddress
                            e.y_scale = 0.05; e.y_zero = Int32(trial % 256)
                            e.y_row_stride = rowMajor ? n : 1; e.y_col_stride = rowMajor ? 1 : m
                            let split = rng.int(0 ... m)
                            func run(_ y: UnsafeMutableRawPointer, indirect: Bool) {
                                if u8 { e.y_u8 = y.assumingMemoryBound(to: UInt8.self) } else { e.y_f32 = y.assumingMemoryBound(to: Float.self) }
                                if indirect {
                                    cdlrt_qconv_indirect(isa, &g, x, Int32(c), pad, 0, Int32(split), Int32(n), packed, &e)
                                    cdlrt_qconv_indirect(isa, &g, x, Int32(c), pad, Int32(split), Int32(m), Int32(n), packed, &e)
                                } else {
                                    cdlrt_qgemm(isa, 0, Int32(m), 0, Int32.max, Int32(n), Int32(k), cols, k, packed, &e)
                                }
                            }
                            if u8 { run(&wantQ, indirect: false); run(&gotQ, indirect: true) } else { run(&want, indirect: false); run(&got, indirect: true) }
                        }
                    }
                }
            }
            let same = u8 ? wantQ == gotQ : zip(want, got).allSatisfy { $0.bitPattern == $1.bitPattern } && !got.contains { $0.isNaN }
            if !same { XCTFail("c\(c) \(h)x\(w) k\(kh)x\(kw) s\(sh),\(sw) p\(pt),\(pl) d\(dh),\(dw) n\(n) u8 \(u8)"); return }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 100)
    }

    func testMaxPoolU8() {
        var rng = TestRNG(seed: 16)
        for (h, w, k, stride, pad, dil) in [(7, 5, 3, 2, 1, 1), (8, 8, 2, 2, 0, 1), (9, 11, 3, 1, 1, 2), (1, 1, 1, 1, 0, 1),
                                            (3, 4100, 3, 2, 1, 1), (112, 112, 3, 2, 1, 1), (5, 67, 2, 3, 1, 3),
                                            (4, 33, 4, 1, 3, 1), (2, 65, 5, 2, 2, 2), (6, 17, 1, 2, 0, 1)] {
            var g = cdlrt_conv_geometry()
            g.h = Int32(h); g.w = Int32(w); g.kh = Int32(k); g.kw = Int32(k)
            g.stride_h = Int32(stride); g.stride_w = Int32(stride); g.pad_top = Int32(pad); g.pad_left = Int32(pad)
            g.dil_h = Int32(dil); g.dil_w = Int32(dil)
            g.out_h = Int32((h + 2 * pad - (k - 1) * dil - 1) / stride + 1)
            g.out_w = Int32((w + 2 * pad - (k - 1) * dil - 1) / stride + 1)
            let x = (0 ..< h * w).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var y = [UInt8](repeating: 7, count: Int(g.out_h * g.out_w))
            cdlrt_maxpool_u8(&g, x, &y)
            for oh in 0 ..< Int(g.out_h) {
                for ow in 0 ..< Int(g.out_w) {
                    var m: UInt8 = 0
                    for ky in 0 ..< k {
                        for kx in 0 ..< k {
                            let ih = oh * stride - pad + ky * dil, iw = ow * stride - pad + kx * dil
                            if ih >= 0 && ih < h && iw >= 0 && iw < w { m = max(m, x[ih * w + iw]) }
                        }
                    }
                    if y[oh * Int(g.out_w) + ow] != m { XCTFail("h\(h) w\(w) k\(k) (\(oh), \(ow))"); return }
                }
            }
        }
    }

    func testTranspose() {
        var rng = TestRNG(seed: 15)
        for (r, c) in [(1, 1), (3, 67), (64, 3136 / 4), (33, 33), (32, 32), (64, 67), (67, 64), (65, 97), (512, 49)] {
            let x = (0 ..< r * c).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var y = [UInt8](repeating: 0, count: r * c)
            cdlrt_transpose_u8(x, Int32(r), Int32(c), &y)
            for i in 0 ..< r { for j in 0 ..< c where y[j * r + i] != x[i * c + j] { XCTFail("\(r)x\(c) (\(i), \(j))"); return } }
        }
    }
}

/// Opt-in: `DLRT_BENCH=1 swift test -c release --filter QGemmBenchmark` (benchmarks/qgemm_bench.sh).
final class QGemmBenchmark: XCTestCase {
    func time(_ reps: Int, _ body: () -> Void) -> Double {
        var best = Double.infinity
        for _ in 0 ..< 5 {
            var t0 = timespec(), t1 = timespec()
            clock_gettime(CLOCK_MONOTONIC, &t0)
            for _ in 0 ..< reps { body() }
            clock_gettime(CLOCK_MONOTONIC, &t1)
            best = min(best, (Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9) / Double(reps))
        }
        return best
    }

    func testInt8VersusFloat32() throws {
        guard getenv("DLRT_BENCH") != nil else { throw XCTSkip("set DLRT_BENCH=1") }
        // (m, n, k): square sizes, then ResNet-18 conv GEMMs as rows = pixels, cols = out channels.
        let shapes = [(256, 256, 256), (512, 512, 512), (3136, 64, 576), (784, 128, 1152), (196, 256, 2304), (49, 512, 4608)]
        print("shape (m×n×k)       fp32 GFLOP/s  " + (0 ..< Int32(CDLRT_QISA_COUNT)).filter { cdlrt_qgemm_isa_supported($0) != 0 }
            .map { String(cString: cdlrt_qgemm_isa_name($0)) + " GOP/s" }.joined(separator: "  ") + "  best/fp32")
        for (m, n, k) in shapes {
            var rng = TestRNG(seed: 3)
            let ops = 2.0 * Double(m * n * k)
            let reps = max(2, 100_000_000 / (m * n * k))
            let af = rng.floats(m * k), bf = rng.floats(k * n)
            var cf = [Float](repeating: 0, count: m * n)
            var scratch = [Float](repeating: 0, count: sgemmScratchCount(m: m, n: n, k: k, packA: true, packB: false))
            let pb = bf.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
            let tf = af.withUnsafeBufferPointer { pa in cf.withUnsafeMutableBufferPointer { pc in scratch.withUnsafeMutableBufferPointer { ps in
                time(reps) {
                    sgemm(m: m, n: n, k: k, a: .matrix(pa.baseAddress!, ld: k, transposed: false), b: .packed(pb.pointer),
                          c: pc.baseAddress!, ldc: n, epilogue: DenseEpilogue(), scratch: ps.baseAddress)
                }
            } } }
            let a = (0 ..< m * k).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let b = (0 ..< k * n).map { _ in Int8(truncatingIfNeeded: rng.next()) }
            let packed = UnsafeMutableRawPointer.allocate(byteCount: cdlrt_qgemm_packed_size(Int32(k), Int32(n)), alignment: 64)
            defer { packed.deallocate() }
            b.withUnsafeBufferPointer { cdlrt_qgemm_pack(Int32(k), Int32(n), $0.baseAddress, n, 1, packed) }
            var y = [Float](repeating: 0, count: m * n)
            let z: [Int32] = [3], s: [Float] = [0.01]
            let sb = [Float](repeating: 0.01, count: n)
            var line = "\(m)×\(n)×\(k)".padding(toLength: 20, withPad: " ", startingAt: 0) + String(format: "%8.1f     ", ops / tf / 1e9)
            var best = 0.0
            for isa in (0 ..< Int32(CDLRT_QISA_COUNT)) where cdlrt_qgemm_isa_supported(isa) != 0 {
                let t = sb.withUnsafeBufferPointer { psb in y.withUnsafeMutableBufferPointer { py in z.withUnsafeBufferPointer { pz in s.withUnsafeBufferPointer { ps in
                    var e = cdlrt_qepilogue()
                    e.a_zero = pz.baseAddress; e.a_scale = ps.baseAddress
                    e.b_scale = psb.baseAddress; e.b_scale_stride = 1
                    e.y_f32 = py.baseAddress; e.y_row_stride = n; e.y_col_stride = 1
                    return a.withUnsafeBufferPointer { pa in
                        time(isa == 0 ? 1 : reps) { cdlrt_qgemm(isa, 0, Int32(m), 0, 1 << 20, Int32(n), Int32(k), pa.baseAddress, k, packed, &e) }
                    }
                } } } }
                best = max(best, ops / t / 1e9)
                line += String(format: "%10.1f      ", ops / t / 1e9)
            }
            print(line + String(format: "%5.2f×", best / (ops / tf / 1e9)))
        }
    }
}
