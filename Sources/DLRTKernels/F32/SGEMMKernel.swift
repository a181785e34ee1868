/// The 6×16 register-blocked micro-kernel: 12 ymm accumulators, 2 B loads and 6 broadcasts per k.
/// `a`: kc × 6 packed A, `b`: kc × 16 packed B. Writes rows < mr, columns < nr of the tile at `c`:
/// `accumulate` adds the tile already in C (previous K blocks); `final` applies the epilogue
/// (whose bias is already offset to the tile origin).
@inline(never)
func sgemmKernel6x16(_ kc: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                     _ c: UnsafeMutablePointer<Float>, _ ldc: Int, _ mr: Int, _ nr: Int,
                     _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    var c0 = SIMD16<Float>(), c1 = SIMD16<Float>(), c2 = SIMD16<Float>()
    var c3 = SIMD16<Float>(), c4 = SIMD16<Float>(), c5 = SIMD16<Float>()
    var ap = a
    var bp = b
    var k = 0
    while k < kc {
        let bv = UnsafeRawPointer(bp).loadUnaligned(as: SIMD16<Float>.self)
        c0.addProduct(SIMD16<Float>(repeating: ap[0]), bv)
        c1.addProduct(SIMD16<Float>(repeating: ap[1]), bv)
        c2.addProduct(SIMD16<Float>(repeating: ap[2]), bv)
        c3.addProduct(SIMD16<Float>(repeating: ap[3]), bv)
        c4.addProduct(SIMD16<Float>(repeating: ap[4]), bv)
        c5.addProduct(SIMD16<Float>(repeating: ap[5]), bv)
        ap += 6
        bp += 16
        k += 1
    }
    var tile = (c0, c1, c2, c3, c4, c5)
    withUnsafePointer(to: &tile) {
        sgemmFinishTile(UnsafeRawPointer($0).assumingMemoryBound(to: Float.self), 6, 1, c, ldc, mr, nr, accumulate, final, e)
    }
}

/// Finishes a register tile spilled to `tile` (`tileRows` × `panels` blocks of 16 floats, row-major
/// by block) into C: rows < `mr`, columns < `cols` (counted from `c`), `e` offset to `c`. One
/// out-of-line call per tile keeps the kernels small (with the epilogue inlined per row the
/// optimizer stopped inlining it, and even the SIMD loads, into the kernels).
@inline(never)
func sgemmFinishTile(_ tile: UnsafePointer<Float>, _ tileRows: Int, _ panels: Int, _ c: UnsafeMutablePointer<Float>,
                     _ ldc: Int, _ mr: Int, _ cols: Int, _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    let rows = Swift.min(tileRows, mr)
    for p in 0 ..< panels {
        let j = p * 16
        let nr = Swift.min(16, cols - j)
        if nr <= 0 { break }
        let ep = final && p > 0 ? e.offset(row: 0, col: j) : e
        for r in 0 ..< rows {
            let t = tile + (r * panels + p) * 16
            sgemmFinishRow(load8(t), load8(t + 8), r, c + j, ldc, mr, nr, accumulate, final, ep)
        }
    }
}

/// Finishes row `r` of a tile (16 columns as two halves): stores it, adding the tile already in C
/// when `accumulate`, applying the epilogue when `final`. The common case (full 16 columns, a
/// vector activation, no per-row bias stride) runs in registers here; the rest (edge tiles,
/// sigmoid/tanh, transposed bias) goes to the out-of-line `sgemmFinishRowScalar` so this stays
/// small enough to be inlined into every kernel (with the scalar loop inlined six times the
/// optimizer gave up and called it).
@inline(__always)
func sgemmFinishRow(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ r: Int, _ c: UnsafeMutablePointer<Float>,
                    _ ldc: Int, _ mr: Int, _ nr: Int, _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    if r >= mr { return }
    let row = c + r * ldc
    if nr == 16 && (!final || (e.activation.isVectorizable && e.biasColStride <= 1)) {
        var x0 = v0, x1 = v1
        if accumulate { x0 += load8(row); x1 += load8(row + 8) }
        if final {
            if e.alpha != 1 { x0 *= e.alpha; x1 *= e.alpha }
            if let bias = e.bias, e.beta != 0 {
                let br = bias + r * e.biasRowStride
                if e.biasColStride == 0 {
                    let s = SIMD8<Float>(repeating: e.beta * br[0])
                    x0 += s; x1 += s
                } else {
                    x0.addProduct(SIMD8<Float>(repeating: e.beta), load8(br))
                    x1.addProduct(SIMD8<Float>(repeating: e.beta), load8(br + 8))
                }
            }
            x0 = e.activation.apply8(x0)
            x1 = e.activation.apply8(x1)
        }
        store8(x0, row)
        store8(x1, row + 8)
        return
    }
    sgemmFinishRowScalar(v0, v1, r, row, nr, accumulate, final, e)
}

/// Edge tile or scalar epilogue of `sgemmFinishRow` (`row` already points at row `r`).
@inline(never)
func sgemmFinishRowScalar(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ r: Int, _ row: UnsafeMutablePointer<Float>,
                          _ nr: Int, _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    let t = SIMD16<Float>(lowHalf: v0, highHalf: v1)
    for j in 0 ..< nr {
        var x = t[j]
        if accumulate { x += row[j] }
        if final {
            x *= e.alpha
            if let bias = e.bias, e.beta != 0 {
                x += e.beta * bias[r * e.biasRowStride + j * e.biasColStride]
            }
            x = e.activation.apply(x)
        }
        row[j] = x
    }
}
