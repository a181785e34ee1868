// Portable kernels (this module is compiled with no `-target-cpu`: x86-64 baseline, SSE2). The
// shared kernel sources are symlinks to ../DLRTKernelsShared; this file holds what differs per ISA.
// Without a target CPU `addProduct` becomes a per-lane `fmaf` call (~100× slower), so the
// multiply-adds here are plain a*b+c (not fused: results differ from the FMA tables in the last bits).
import DLRTKernelsCore

let isaLevel = KernelISA.baseline

@inline(__always) func fma16(_ c: inout SIMD16<Float>, _ a: SIMD16<Float>, _ b: SIMD16<Float>) { c += a * b }
@inline(__always) func fma8(_ c: inout SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) { c += a * b }
/// One register of the FMA peak loop (Peak.swift) and its step c = c·x + y.
typealias PeakVector = SIMD4<Float>
@inline(__always) func peakStep(_ c: inout PeakVector, _ x: PeakVector, _ y: PeakVector) { c = c * x + y }
@inline(__always) func fmaScalar(_ c: Float, _ a: Float, _ b: Float) -> Float { c + a * b }

/// B panels → A panels → the 6×16 micro-kernel.
@inline(__always)
func isaGemmBlock(_ g: GemmBlock) {
    for q in g.bLo ..< g.bHi {
        for p in g.aLo ..< g.aHi {
            sgemmKernel6x16(g.kc, g.a(p), g.b(q), g.out(p, q))
        }
    }
}

/// 6×16 tile as two 6×8 passes: 12 xmm accumulators each (SSE has 16 registers).
@inline(never)
func sgemmKernel6x16(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ o: TileOut) {
    var tile = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
    withUnsafeMutablePointer(to: &tile) {
        let t = UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self)
        for half in 0 ..< 2 {
            var c0 = SIMD8<Float>(), c1 = SIMD8<Float>(), c2 = SIMD8<Float>()
            var c3 = SIMD8<Float>(), c4 = SIMD8<Float>(), c5 = SIMD8<Float>()
            var ap = a, bp = b + 8 * half
            var k = 0
            while k < kc {
                let bv = load8(bp)
                fma8(&c0, SIMD8<Float>(repeating: ap[0]), bv)
                fma8(&c1, SIMD8<Float>(repeating: ap[1]), bv)
                fma8(&c2, SIMD8<Float>(repeating: ap[2]), bv)
                fma8(&c3, SIMD8<Float>(repeating: ap[3]), bv)
                fma8(&c4, SIMD8<Float>(repeating: ap[4]), bv)
                fma8(&c5, SIMD8<Float>(repeating: ap[5]), bv)
                ap += 6; bp += 16; k += 1
            }
            let h = t + 8 * half
            store8(c0, h); store8(c1, h + 16); store8(c2, h + 32)
            store8(c3, h + 48); store8(c4, h + 64); store8(c5, h + 80)
        }
    }
    o.finish(&tile, rows: 6, panels: 1)
}
