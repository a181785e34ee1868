// AVX-512 kernels (this module is compiled with `-target-cpu skylake-avx512`: SIMD16<Float> is
// one zmm register, 32 of them). The shared kernel sources are symlinks to ../DLRTKernelsShared;
// this file holds what differs per ISA: the micro-kernels and how a block is tiled with them.
import DLRTKernelsCore

let isaLevel = KernelISA.avx512

@inline(__always) func fma16(_ c: inout SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) { c.addProduct(a, b) }
@inline(__always) func fma8(_ c: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) { c.addProduct(a, b) }
@inline(__always) func fmaScalar(_ c: Float, _ a: Float, _ b: Float) -> Float { c.addingProduct(a, b) }

/// Groups of four B panels (64 columns) run the 6×64 kernel over every A panel; two or three
/// panels left: 6×32 (+ 6×16); a single B panel (e.g. the one-panel tasks of a fused conv):
/// pairs of A panels with the 12×16 kernel, so there are always ≥ 12 accumulator chains.
@inline(__always)
func isaGemmBlock(_ g: GemmBlock) {
    var q = g.bLo
    while q < g.bHi {
        let left = g.bHi - q
        if left >= 4 {
            for p in g.aLo ..< g.aHi { sgemmKernel6x64(g.kc, g.a(p), g.b(q), g.bStride, g.out(p, q)) }
            q += 4
        } else if left >= 2 {
            for p in g.aLo ..< g.aHi { sgemmKernel6x32(g.kc, g.a(p), g.b(q), g.bStride, g.out(p, q)) }
            q += 2
        } else {
            var p = g.aLo
            while p + 2 <= g.aHi { sgemmKernel12x16(g.kc, g.a(p), g.aStride, g.b(q), g.out(p, q)); p += 2 }
            if p < g.aHi { sgemmKernel6x16(g.kc, g.a(p), g.b(q), g.out(p, q)) }
            q += 1
        }
    }
}

/// 6 rows × 4 B panels: 24 zmm accumulators, 4 B loads and 6 broadcasts per k.
/// `a`: kc × 6 packed A; `b`: the first of four kc × 16 packed B panels, `ps` floats apart.
@inline(never)
func sgemmKernel6x64(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c02 = SIMD16<Float>(), c03 = SIMD16<Float>()
    var c10 = SIMD16<Float>(), c11 = SIMD16<Float>(), c12 = SIMD16<Float>(), c13 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c22 = SIMD16<Float>(), c23 = SIMD16<Float>()
    var c30 = SIMD16<Float>(), c31 = SIMD16<Float>(), c32 = SIMD16<Float>(), c33 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c42 = SIMD16<Float>(), c43 = SIMD16<Float>()
    var c50 = SIMD16<Float>(), c51 = SIMD16<Float>(), c52 = SIMD16<Float>(), c53 = SIMD16<Float>()
    var ap = a, bp = b
    let ps2 = 2 * ps, ps3 = 3 * ps
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps), b2 = load16(bp + ps2), b3 = load16(bp + ps3)
        var x = SIMD16<Float>(repeating: ap[0])
        c00.addProduct(x, b0); c01.addProduct(x, b1); c02.addProduct(x, b2); c03.addProduct(x, b3)
        x = SIMD16<Float>(repeating: ap[1])
        c10.addProduct(x, b0); c11.addProduct(x, b1); c12.addProduct(x, b2); c13.addProduct(x, b3)
        x = SIMD16<Float>(repeating: ap[2])
        c20.addProduct(x, b0); c21.addProduct(x, b1); c22.addProduct(x, b2); c23.addProduct(x, b3)
        x = SIMD16<Float>(repeating: ap[3])
        c30.addProduct(x, b0); c31.addProduct(x, b1); c32.addProduct(x, b2); c33.addProduct(x, b3)
        x = SIMD16<Float>(repeating: ap[4])
        c40.addProduct(x, b0); c41.addProduct(x, b1); c42.addProduct(x, b2); c43.addProduct(x, b3)
        x = SIMD16<Float>(repeating: ap[5])
        c50.addProduct(x, b0); c51.addProduct(x, b1); c52.addProduct(x, b2); c53.addProduct(x, b3)
        ap += 6; bp += 16; k += 1
    }
    var tile = (c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23,
                c30, c31, c32, c33, c40, c41, c42, c43, c50, c51, c52, c53)
    o.finish(&tile, rows: 6, panels: 4)
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
