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
    let c00 = c0.lowHalf, c01 = c0.highHalf, c10 = c1.lowHalf, c11 = c1.highHalf
    let c20 = c2.lowHalf, c21 = c2.highHalf, c30 = c3.lowHalf, c31 = c3.highHalf
    let c40 = c4.lowHalf, c41 = c4.highHalf, c50 = c5.lowHalf, c51 = c5.highHalf
    sgemmFinishRow(c00, c01, 0, c, ldc, mr, nr, accumulate, final, e)
    sgemmFinishRow(c10, c11, 1, c, ldc, mr, nr, accumulate, final, e)
    sgemmFinishRow(c20, c21, 2, c, ldc, mr, nr, accumulate, final, e)
    sgemmFinishRow(c30, c31, 3, c, ldc, mr, nr, accumulate, final, e)
    sgemmFinishRow(c40, c41, 4, c, ldc, mr, nr, accumulate, final, e)
    sgemmFinishRow(c50, c51, 5, c, ldc, mr, nr, accumulate, final, e)
}

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
    // Edge tile or scalar epilogue.
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
