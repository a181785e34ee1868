// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Small-M GEMM (M ≤ `sgemmSmallM`, e.g. a dense layer at batch 1): C = epilogue(op(A) · packedB).
///
/// A is read in place (no packing: a row of 1…4 broadcasts per k), B is the usual packed panels,
/// streamed 1, 2 or 4 panels at a time so there are 6–12 independent accumulator chains. Every C
/// element is the same single FMA chain over k, K-blocked by `sgemmKC` and then finished by
/// `sgemmFinishRow`, exactly as in the packed micro-kernels: results are bit-identical to the
/// packed path (so a row does not change with the batch size) and to any split of the panels.

/// Where the kernels read op(A): element (i, k) at `a[i * rowStride + k * colStride]`.
struct SmallMA {
    var a: UnsafePointer<Float>
    var rowStride: Int
    var colStride: Int
}

// The kernels: `kc` steps of k; `b` is the first panel at the block's first k, `ps` the panel
// stride (16 · K floats). Named rows × panels.

@inline(never)
func sgemmSmall1x4(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var ap = a.a, bp = b
    let b1 = ps, b2 = 2 * ps, b3 = 3 * ps, acs = a.colStride
    var k = 0
    while k < kc {
        let x = SIMD16<Float>(repeating: ap[0])
        fma16(&c0, x, load16(bp))
        fma16(&c1, x, load16(bp + b1))
        fma16(&c2, x, load16(bp + b2))
        fma16(&c3, x, load16(bp + b3))
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3)
    o.finish(&tile, rows: 1, panels: 4)
}

@inline(never)
func sgemmSmall1x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>()
    var ap = a.a, bp = b
    let acs = a.colStride
    var k = 0
    while k < kc {
        let x = SIMD16<Float>(repeating: ap[0])
        fma16(&c0, x, load16(bp))
        fma16(&c1, x, load16(bp + ps))
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1)
    o.finish(&tile, rows: 1, panels: 2)
}

@inline(never)
func sgemmSmall1x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>()
    var ap = a.a, bp = b
    let acs = a.colStride
    var k = 0
    while k < kc {
        fma16(&c0, SIMD16<Float>(repeating: ap[0]), load16(bp))
        ap += acs; bp += 16; k += 1
    }
    var tile = c0
    o.finish(&tile, rows: 1, panels: 1)
}

@inline(never)
func sgemmSmall2x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        let x0 = SIMD16<Float>(repeating: ap[0]), x1 = SIMD16<Float>(repeating: ap[ars])
        fma16(&c00, x0, b0); fma16(&c01, x0, b1)
        fma16(&c10, x1, b0); fma16(&c11, x1, b1)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11)
    o.finish(&tile, rows: 2, panels: 2)
}

@inline(never)
func sgemmSmall2x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        fma16(&c0, SIMD16<Float>(repeating: ap[0]), b0)
        fma16(&c1, SIMD16<Float>(repeating: ap[ars]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1)
    o.finish(&tile, rows: 2, panels: 1)
}

@inline(never)
func sgemmSmall3x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        let x0 = SIMD16<Float>(repeating: ap[0])
        fma16(&c00, x0, b0); fma16(&c01, x0, b1)
        let x1 = SIMD16<Float>(repeating: ap[ars])
        fma16(&c10, x1, b0); fma16(&c11, x1, b1)
        let x2 = SIMD16<Float>(repeating: ap[ars2])
        fma16(&c20, x2, b0); fma16(&c21, x2, b1)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21)
    o.finish(&tile, rows: 3, panels: 2)
}

@inline(never)
func sgemmSmall3x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        fma16(&c0, SIMD16<Float>(repeating: ap[0]), b0)
        fma16(&c1, SIMD16<Float>(repeating: ap[ars]), b0)
        fma16(&c2, SIMD16<Float>(repeating: ap[ars2]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2)
    o.finish(&tile, rows: 3, panels: 1)
}

@inline(never)
func sgemmSmall4x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: TileOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, ars3 = 3 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        fma16(&c0, SIMD16<Float>(repeating: ap[0]), b0)
        fma16(&c1, SIMD16<Float>(repeating: ap[ars]), b0)
        fma16(&c2, SIMD16<Float>(repeating: ap[ars2]), b0)
        fma16(&c3, SIMD16<Float>(repeating: ap[ars3]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3)
    o.finish(&tile, rows: 4, panels: 1)
}

/// Table entry `gemmSmallM` (`SGEMMSmallMArgs`, 1 ≤ m ≤ `sgemmSmallM`).
func isaSmallMCompute(_ args: UnsafeRawPointer) {
    let g = args.load(as: SGEMMSmallMArgs.self)
    if g.bLo >= g.bHi || g.m < 1 || g.m > sgemmSmallM { return }
    let nr = sgemmNR, ps = nr * g.k
    var pc = 0
    repeat {
        let kc = g.k - pc < sgemmKC ? g.k - pc : sgemmKC
        let accumulate = pc > 0, final = pc + kc >= g.k
        let aBlock = SmallMA(a: g.a + (g.transA ? pc * g.lda : pc), rowStride: g.transA ? 1 : g.lda,
                             colStride: g.transA ? g.lda : 1)
        var q = g.bLo
        while q < g.bHi {
            let left = g.bHi - q
            let j0 = q * nr
            let o = TileOut(c: g.c + j0, ldc: g.ldc, rows: g.m, cols: g.n - j0, accumulate: accumulate, final: final,
                            e: final ? g.epilogue.offset(row: 0, col: j0) : g.epilogue)
            let b = g.packedB + q * ps + pc * nr
            switch g.m {
            case 1:
                if left >= 4 { sgemmSmall1x4(kc, aBlock, b, ps, o); q += 4 }
                else if left >= 2 { sgemmSmall1x2(kc, aBlock, b, ps, o); q += 2 }
                else { sgemmSmall1x1(kc, aBlock, b, ps, o); q += 1 }
            case 2:
                if left >= 2 { sgemmSmall2x2(kc, aBlock, b, ps, o); q += 2 }
                else { sgemmSmall2x1(kc, aBlock, b, ps, o); q += 1 }
            case 3:
                if left >= 2 { sgemmSmall3x2(kc, aBlock, b, ps, o); q += 2 }
                else { sgemmSmall3x1(kc, aBlock, b, ps, o); q += 1 }
            default:
                sgemmSmall4x1(kc, aBlock, b, ps, o); q += 1
            }
        }
        pc += kc
    } while pc < g.k
}
