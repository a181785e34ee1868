/// One-pass gate math for the default activations (LSTM Sigmoid / Tanh / Tanh, GRU Sigmoid / Tanh
/// with linear_before_reset = 1 — what PyTorch exports): every gate of 8 hidden units is computed
/// in registers, with sigmoid and tanh inlined, instead of one pass over the row per step of the
/// equations (`RecurrentCellMath`, used for every other combination). Same equations, same order.
extension RecurrentCellMath {
    /// Whether the one-pass forms apply to this direction.
    var hasDefaultActivations: Bool { f == .sigmoid && g == .tanh && h == .tanh }

    @inline(__always)
    func clamp(_ v: SIMD8<Float>) -> SIMD8<Float> {
        guard let c = clip else { return v }
        return rcClamp(v, -c, c)
    }

    /// `lstm` with f = Sigmoid, g = h = Tanh, in one pass.
    @inline(__always)
    func lstmDefault(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
                     h hState: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= hidden { lstmLanes(xw, pre, c, hState, j, 8); j += 8 }
        if j < hidden { lstmLanes(xw, pre, c, hState, j, hidden - j) }
    }

    /// `lstmDefault` for hidden units j ..< j + lanes.
    @inline(__always)
    func lstmLanes(_ xw: UnsafePointer<Float>, _ pre: UnsafeMutablePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                   _ hState: UnsafeMutablePointer<Float>, _ j: Int, _ k: Int) {
        let n = hidden
        // gate blocks: 0 i, 1 o, 2 f, 3 c; peepholes: 0 i, 1 o, 2 f
        var pi = rcLoad(xw + j, k) + rcLoad(pre + j, k)
        var po = rcLoad(xw + n + j, k) + rcLoad(pre + n + j, k)
        var pf = rcLoad(xw + 2 * n + j, k) + rcLoad(pre + 2 * n + j, k)
        let pc = rcLoad(xw + 3 * n + j, k) + rcLoad(pre + 3 * n + j, k)
        let cv = rcLoad(c + j, k)
        if let p = peepholes {
            pi += rcLoad(p + j, k) * cv
            pf += rcLoad(p + 2 * n + j, k) * cv
        }
        let i = rcSigmoid(clamp(pi))
        let fv = inputForget ? 1 - i : rcSigmoid(clamp(pf))
        let cn = fv * cv + i * rcTanh(clamp(pc))
        if let p = peepholes { po += rcLoad(p + n + j, k) * cn }
        rcStore(cn, c + j, k)
        rcStore(rcSigmoid(clamp(po)) * rcTanh(cn), hState + j, k)
    }

    /// `gruResetGates` + `gruLinearBeforeReset` with f = Sigmoid, g = Tanh, in one pass.
    @inline(__always)
    func gruDefault(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, h hState: UnsafeMutablePointer<Float>) {
        var j = 0
        while j + 8 <= hidden { gruLanes(xw, pre, hState, j, 8); j += 8 }
        if j < hidden { gruLanes(xw, pre, hState, j, hidden - j) }
    }

    /// `gruDefault` for hidden units j ..< j + lanes.
    @inline(__always)
    func gruLanes(_ xw: UnsafePointer<Float>, _ pre: UnsafeMutablePointer<Float>, _ hState: UnsafeMutablePointer<Float>,
                  _ j: Int, _ k: Int) {
        let n = hidden
        // gate blocks: 0 z, 1 r, 2 h
        let z = rcSigmoid(clamp(rcLoad(xw + j, k) + rcLoad(pre + j, k)))
        let r = rcSigmoid(clamp(rcLoad(xw + n + j, k) + rcLoad(pre + n + j, k)))
        var ph = rcLoad(xw + 2 * n + j, k)
        ph += r * rcLoad(pre + 2 * n + j, k)
        let hh = rcTanh(clamp(ph))
        rcStore((1 - z) * hh + z * rcLoad(hState + j, k), hState + j, k)
    }
}

// Vector math for the one-pass cells, force-inlined (`@_transparent`): through VectorMath's
// @inline(__always) functions the optimizer kept ewExp / ewSigmoid and even SIMD min / max as
// out-of-line calls in these large loop bodies (SIMD8 passed as two xmm halves). Horner steps
// use FMA. Accuracy: exp a few ulp (Cephes expf coefficients); tanh = 2·sigmoid(2x) − 1 has an
// absolute error below 2e-7.

@_transparent
func rcClamp(_ v: SIMD8<Float>, _ lo: Float, _ hi: Float) -> SIMD8<Float> {
    v.replacing(with: lo, where: v .< lo).replacing(with: hi, where: v .> hi)
}

/// e^x, lane-wise (Cephes expf polynomial; x clamped to [-87, 88], NaN in gives NaN out).
@_transparent
func rcExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let xc = rcClamp(x, -87, 88)
    let magic = SIMD8<Float>(repeating: 12_582_912)
    let t = (magic + xc * SIMD8(repeating: 1.442_695_04))
    let n = t - magic
    var r = (xc + n * SIMD8(repeating: -0.693_359_375))
    r = (r + n * SIMD8(repeating: 2.121_944_4e-4))
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = (SIMD8(repeating: 1.398_199_950_7e-3) + p * r)
    p = (SIMD8(repeating: 8.333_451_907_3e-3) + p * r)
    p = (SIMD8(repeating: 4.166_579_589_4e-2) + p * r)
    p = (SIMD8(repeating: 1.666_666_545_9e-1) + p * r)
    p = (SIMD8(repeating: 5.000_000_120_1e-1) + p * r)
    let y = ((r + 1) + p * r * r)
    let scale = unsafeBitCast((unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23, to: SIMD8<Float>.self)
    return (y * scale).replacing(with: x, where: x .!= x)
}

@_transparent
func rcSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / (1 + rcExp(-x)) }

@_transparent
func rcTanh(_ x: SIMD8<Float>) -> SIMD8<Float> { 2 * rcSigmoid(x + x) - 1 }
