// AVX-512 kernels (this module is compiled with `-target-cpu skylake-avx512`: SIMD16<Float> is
// one zmm register, 32 of them). The shared kernel sources are symlinks to ../DLRTKernelsShared;
// this file holds what differs per ISA: the micro-kernels and how a block is tiled with them.
import DLRTKernelsCore

let isaLevel = KernelISA.avx512

@inline(__always) func fma16(_ c: inout SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) { c.addProduct(a, b) }
@inline(__always) func fma8(_ c: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) { c.addProduct(a, b) }
/// One register of the FMA peak loop (Peak.swift) and its step c = c·x + y.
typealias PeakVector = SIMD16<Float>
@inline(__always) func peakStep(_ c: inout PeakVector, _ x: PeakVector, _ y: PeakVector) { c = y.addingProduct(c, x) }
@inline(__always) func fmaScalar(_ c: Float, _ a: Float, _ b: Float) -> Float { c.addingProduct(a, b) }

/// Pairs of B panels × pairs of A panels with the 12×32 kernel (a leftover A panel: 6×32); a
/// leftover B panel — or the one-panel tasks of a fused conv — pairs of A panels with 12×16
/// (a leftover A panel: 6×16). Always ≥ 12 accumulator chains except on the last edge.
/// Measured against a 6×64 kernel (one A panel × four B panels, 24 accumulators, B block of
/// kc × 64 = 64 KB, more than L1): within the noise of this shared machine on 256³–1024³, conv and
/// transformer shapes (both ~130–205 GFLOP/s single thread against a 180–237 peak), 12×32 a bit
/// ahead on 1024³; 12×32 kept (its B block, 32 KB, stays in the 48 KB L1).
@inline(__always)
func isaGemmBlock(_ g: GemmBlock) {
    var q = g.bLo
    while q < g.bHi {
        var p = g.aLo
        if g.bHi - q >= 2 {
            while p + 2 <= g.aHi { sgemmKernel12x32(g.kc, g.a(p), g.aStride, g.b(q), g.bStride, g.out(p, q)); p += 2 }
            if p < g.aHi { sgemmKernel6x32(g.kc, g.a(p), g.b(q), g.bStride, g.out(p, q)) }
            q += 2
        } else {
            while p + 2 <= g.aHi { sgemmKernel12x16(g.kc, g.a(p), g.aStride, g.b(q), g.out(p, q)); p += 2 }
            if p < g.aHi { sgemmKernel6x16(g.kc, g.a(p), g.b(q), g.out(p, q)) }
            q += 1
        }
    }
}

/// 12 rows (two A panels, `as` floats apart) × 2 B panels (`ps` floats apart): 24 zmm
/// accumulators, 2 B loads and 12 broadcasts per k; its B block (kc × 32) stays in L1.
@inline(never)
func sgemmKernel12x32(_ kc: Int, _ a: UnsafePointer<Float>, _ as: Int, _ b: UnsafePointer<Float>, _ ps: Int,
                      _ o: TileOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
    var c80 = SIMD16<Float>(), c81 = SIMD16<Float>(), c90 = SIMD16<Float>(), c91 = SIMD16<Float>()
    var cA0 = SIMD16<Float>(), cA1 = SIMD16<Float>(), cB0 = SIMD16<Float>(), cB1 = SIMD16<Float>()
    var ap = a, bp = b
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        let aq = ap + `as`
        var x = SIMD16<Float>(repeating: ap[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[1])
        c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[2])
        c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[3])
        c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[4])
        c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[5])
        c50.addProduct(x, b0); c51.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[0])
        c60.addProduct(x, b0); c61.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[1])
        c70.addProduct(x, b0); c71.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[2])
        c80.addProduct(x, b0); c81.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[3])
        c90.addProduct(x, b0); c91.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[4])
        cA0.addProduct(x, b0); cA1.addProduct(x, b1)
        x = SIMD16<Float>(repeating: aq[5])
        cB0.addProduct(x, b0); cB1.addProduct(x, b1)
        ap += 6; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
                c60, c61, c70, c71, c80, c81, c90, c91, cA0, cA1, cB0, cB1)
    o.finish(&tile, rows: 12, panels: 2)
}

/// 6 rows × 2 B panels: 12 zmm accumulators.
@inline(never)
func sgemmKernel6x32(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var ap = a, bp = b
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        var x = SIMD16<Float>(repeating: ap[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[1])
        c10.addProduct(x, b0); c11.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[2])
        c20.addProduct(x, b0); c21.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[3])
        c30.addProduct(x, b0); c31.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[4])
        c40.addProduct(x, b0); c41.addProduct(x, b1)
        x = SIMD16<Float>(repeating: ap[5])
        c50.addProduct(x, b0); c51.addProduct(x, b1)
        ap += 6; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
    o.finish(&tile, rows: 6, panels: 2)
}

/// 12 rows (two A panels, `as` floats apart) × 1 B panel: 12 zmm accumulators.
@inline(never)
func sgemmKernel12x16(_ kc: Int, _ a: UnsafePointer<Float>, _ as: Int, _ b: UnsafePointer<Float>, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var c4 = SIMD16<Float>(), c5 = SIMD16<Float>(), c6 = SIMD16<Float>(), c7 = SIMD16<Float>()
    var c8 = SIMD16<Float>(), c9 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var ap = a, bp = b
    var k = 0
    while k < kc {
        let bv = load16(bp)
        let aq = ap + `as`
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), bv)
        c1.addProduct(SIMD16<Float>(repeating: ap[1]), bv)
        c2.addProduct(SIMD16<Float>(repeating: ap[2]), bv)
        c3.addProduct(SIMD16<Float>(repeating: ap[3]), bv)
        c4.addProduct(SIMD16<Float>(repeating: ap[4]), bv)
        c5.addProduct(SIMD16<Float>(repeating: ap[5]), bv)
        c6.addProduct(SIMD16<Float>(repeating: aq[0]), bv)
        c7.addProduct(SIMD16<Float>(repeating: aq[1]), bv)
        c8.addProduct(SIMD16<Float>(repeating: aq[2]), bv)
        c9.addProduct(SIMD16<Float>(repeating: aq[3]), bv)
        c10.addProduct(SIMD16<Float>(repeating: aq[4]), bv)
        c11.addProduct(SIMD16<Float>(repeating: aq[5]), bv)
        ap += 6; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11)
    o.finish(&tile, rows: 12, panels: 1)
}

/// 6 rows × 1 B panel: 6 zmm accumulators (the leftover A panel of a single-panel block).
@inline(never)
func sgemmKernel6x16(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    var ap = a, bp = b
    var k = 0
    while k < kc {
        let bv = load16(bp)
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), bv)
        c1.addProduct(SIMD16<Float>(repeating: ap[1]), bv)
        c2.addProduct(SIMD16<Float>(repeating: ap[2]), bv)
        c3.addProduct(SIMD16<Float>(repeating: ap[3]), bv)
        c4.addProduct(SIMD16<Float>(repeating: ap[4]), bv)
        c5.addProduct(SIMD16<Float>(repeating: ap[5]), bv)
        ap += 6; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3, c4, c5)
    o.finish(&tile, rows: 6, panels: 1)
}
