/// Small-M GEMM (M ≤ `sgemmSmallM`, e.g. a dense layer at batch 1): C = epilogue(op(A) · packedB).
///
/// A is read in place (no packing: a row of 1…4 broadcasts per k), B is the usual packed panels
/// (`sgemmPackB`), streamed 1, 2 or 4 panels at a time so there are 6–12 independent accumulator
/// chains. Every C element is the same single FMA chain over k, K-blocked by `sgemmKC` and then
/// finished by `sgemmFinishRow`, exactly as in the 6×16 kernel: results are bit-identical to the
/// packed path (so a row does not change with the batch size) and to any split of the panels
/// among threads.

/// Largest M that takes the small-M path.
public let sgemmSmallM = 4

/// Where the kernels read op(A): element (i, k) at `a[i * rowStride + k * colStride]`.
struct SmallMA {
    var a: UnsafePointer<Float>
    var rowStride: Int
    var colStride: Int
}

/// Output side of one small-M kernel call: C (at the panel group's first column), the columns left
/// from there, and how to finish (K-block flags; epilogue offset to the group's first column).
struct SmallMOut {
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var cols: Int
    var rows: Int
    var accumulate: Bool
    var final: Bool
    var e: DenseEpilogue

    /// Finishes the kernel's accumulators, spilled row-major by (row, panel) as `tile`.
    @inline(__always)
    func finish<Tile>(_ tile: inout Tile, rows: Int, panels: Int) {
        withUnsafePointer(to: &tile) {
            sgemmFinishTile(UnsafeRawPointer($0).assumingMemoryBound(to: Float.self), rows, panels, c, ldc, self.rows, cols,
                            accumulate, final, e)
        }
    }
}

@inline(__always) func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

// The kernels: `kc` steps of k; `b` is the first panel at the block's first k, `ps` the panel
// stride (16 · K floats). Named rows × panels.

@inline(never)
func sgemmSmall1x4(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var ap = a.a, bp = b
    let b1 = ps, b2 = 2 * ps, b3 = 3 * ps, acs = a.colStride
    var k = 0
    while k < kc {
        let x = SIMD16<Float>(repeating: ap[0])
        c0.addProduct(x, load16(bp))
        c1.addProduct(x, load16(bp + b1))
        c2.addProduct(x, load16(bp + b2))
        c3.addProduct(x, load16(bp + b3))
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3)
    o.finish(&tile, rows: 1, panels: 4)
}

@inline(never)
func sgemmSmall1x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>()
    var ap = a.a, bp = b
    let acs = a.colStride
    var k = 0
    while k < kc {
        let x = SIMD16<Float>(repeating: ap[0])
        c0.addProduct(x, load16(bp))
        c1.addProduct(x, load16(bp + ps))
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1)
    o.finish(&tile, rows: 1, panels: 2)
}

@inline(never)
func sgemmSmall1x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>()
    var ap = a.a, bp = b
    let acs = a.colStride
    var k = 0
    while k < kc {
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), load16(bp))
        ap += acs; bp += 16; k += 1
    }
    var tile = c0
    o.finish(&tile, rows: 1, panels: 1)
}

@inline(never)
func sgemmSmall2x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        let x0 = SIMD16<Float>(repeating: ap[0]), x1 = SIMD16<Float>(repeating: ap[ars])
        c00.addProduct(x0, b0); c01.addProduct(x0, b1)
        c10.addProduct(x1, b0); c11.addProduct(x1, b1)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11)
    o.finish(&tile, rows: 2, panels: 2)
}

@inline(never)
func sgemmSmall2x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), b0)
        c1.addProduct(SIMD16<Float>(repeating: ap[ars]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1)
    o.finish(&tile, rows: 2, panels: 1)
}

@inline(never)
func sgemmSmall3x2(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp), b1 = load16(bp + ps)
        let x0 = SIMD16<Float>(repeating: ap[0])
        c00.addProduct(x0, b0); c01.addProduct(x0, b1)
        let x1 = SIMD16<Float>(repeating: ap[ars])
        c10.addProduct(x1, b0); c11.addProduct(x1, b1)
        let x2 = SIMD16<Float>(repeating: ap[ars2])
        c20.addProduct(x2, b0); c21.addProduct(x2, b1)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21)
    o.finish(&tile, rows: 3, panels: 2)
}

@inline(never)
func sgemmSmall3x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), b0)
        c1.addProduct(SIMD16<Float>(repeating: ap[ars]), b0)
        c2.addProduct(SIMD16<Float>(repeating: ap[ars2]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2)
    o.finish(&tile, rows: 3, panels: 1)
}

@inline(never)
func sgemmSmall4x1(_ kc: Int, _ a: SmallMA, _ b: UnsafePointer<Float>, _ ps: Int, _ o: SmallMOut) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>(), c3 = SIMD16<Float>()
    var ap = a.a, bp = b
    let ars = a.rowStride, ars2 = 2 * a.rowStride, ars3 = 3 * a.rowStride, acs = a.colStride
    var k = 0
    while k < kc {
        let b0 = load16(bp)
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), b0)
        c1.addProduct(SIMD16<Float>(repeating: ap[ars]), b0)
        c2.addProduct(SIMD16<Float>(repeating: ap[ars2]), b0)
        c3.addProduct(SIMD16<Float>(repeating: ap[ars3]), b0)
        ap += acs; bp += 16; k += 1
    }
    var tile = (c0, c1, c2, c3)
    o.finish(&tile, rows: 4, panels: 1)
}

/// Computes columns of B panels `panels` of C = epilogue(op(A) · B) for m ≤ `sgemmSmallM`.
/// op(A)[i, k] = transA ? a[k * lda + i] : a[i * lda + k]; `packedB` as `sgemmPackB` writes it.
public func sgemmSmallMCompute(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool,
                               packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                               epilogue: DenseEpilogue, panels: Range<Int>) {
    precondition(m >= 1 && m <= sgemmSmallM)
    if panels.isEmpty { return }
    let nr = sgemmNR, ps = nr * k
    var pc = 0
    repeat {
        let kc = Swift.min(sgemmKC, k - pc)
        let accumulate = pc > 0, final = pc + kc >= k
        let aBlock = SmallMA(a: a + (transA ? pc * lda : pc), rowStride: transA ? 1 : lda, colStride: transA ? lda : 1)
        var q = panels.lowerBound
        while q < panels.upperBound {
            let left = panels.upperBound - q
            let j0 = q * nr
            let o = SmallMOut(c: c + j0, ldc: ldc, cols: n - j0, rows: m, accumulate: accumulate, final: final,
                              e: final ? epilogue.offset(row: 0, col: j0) : epilogue)
            let b = packedB + q * ps + pc * nr
            switch m {
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
    } while pc < k
}

/// `sgemmSmallMCompute` over a range of B panels.
struct SGEMMSmallMTask: ParallelTask {
    let m: Int, n: Int, k: Int
    let a: UnsafePointer<Float>, lda: Int, transA: Bool
    let packedB: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let epilogue: DenseEpilogue

    func run(_ panels: Range<Int>) {
        sgemmSmallMCompute(m: m, n: n, k: k, a: a, lda: lda, transA: transA, packedB: packedB, c: c, ldc: ldc,
                           epilogue: epilogue, panels: panels)
    }
}
