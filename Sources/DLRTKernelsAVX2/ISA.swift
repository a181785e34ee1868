// AVX2 + FMA kernels (this module is compiled with `-target-cpu haswell`). The shared kernel
// sources are symlinks to ../DLRTKernelsShared; this file holds what differs per ISA.
import DLRTKernelsCore

let isaLevel = KernelISA.avx2

@inline(__always) func fma16(_ c: inout SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) { c.addProduct(a, b) }
@inline(__always) func fma8(_ c: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) { c.addProduct(a, b) }
/// One register of the FMA peak loop (Peak.swift) and its step c = c·x + y.
typealias PeakVector = SIMD8<Float>
@inline(__always) func peakStep(_ c: inout PeakVector, _ x: PeakVector, _ y: PeakVector) { c = y.addingProduct(c, x) }
@inline(__always) func fmaScalar(_ c: Float, _ a: Float, _ b: Float) -> Float { c.addingProduct(a, b) }

/// B panels → A panels → the 6×16 micro-kernel.
@inline(__always)
func isaGemmBlock(_ g: GemmBlock) {
    for q in g.bLo ..< g.bHi {
        for p in g.aLo ..< g.aHi {
            sgemmKernel6x16(g.kc, g.a(p), g.b(q), g.out(p, q))
        }
    }
}

/// The 6×16 register-blocked micro-kernel: 12 ymm accumulators, 2 B loads and 6 broadcasts per k.
/// `a`: kc × 6 packed A, `b`: kc × 16 packed B.
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
