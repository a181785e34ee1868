// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `depthwiseBlocked` (`DepthwiseBlockedArgs`): one task = one image × one block of
/// ≤ 8 channels (DLRTKernels/Depthwise/DepthwiseBlocked.swift describes the method). The block is
/// interleaved into a zero-padded scratch plane xs [ph][pw][8], so every tap of every output is
/// one vector load and one multiply-add whatever the stride, dilation, padding or width; the 8
/// results of an output position go back to the 8 NCHW planes.
func isaDepthwiseBlocked(_ args: UnsafeRawPointer) {
    let d = args.load(as: DepthwiseBlockedArgs.self)
    var t = d.lo
    while t < d.hi {
        let task = d.firstTask + t
        dwbBlock(d, image: task / d.blocks, firstChannel: task % d.blocks * 8, slot: d.scratch + t * d.slotFloats)
        t += 1
    }
}

@inline(__always) private func dwbLoad(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inline(__always) private func dwbZero(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count { p[i] = 0; i += 1 }
}

/// Leaky slope, then clamp to [lo, hi] (relu: [0, ∞), clip: [min, max], none: identity).
@inline(__always)
private func dwbClamp(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ slope: Float) -> SIMD8<Float> {
    var a = v.replacing(with: v * slope, where: v .< 0)
    a = a.replacing(with: lo, where: a .< lo)
    return a.replacing(with: hi, where: a .> hi)
}

/// Lane l of `v` to `y[l · planeStride]`, the first `count` lanes.
@inline(__always)
private func dwbStore(_ v: SIMD8<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, _ planeStride: Int) {
    var l = 0
    while l < count { y[l &* planeStride] = v[l]; l += 1 }
}

@inline(__always)
private func dwbBlock(_ d: DepthwiseBlockedArgs, image b: Int, firstChannel c0: Int, slot: UnsafeMutablePointer<Float>) {
    let s = d.s
    let L = 8
    let nc = s.inChannels - c0 < L ? s.inChannels - c0 : L
    let ph = d.paddedH, pw = d.paddedW
    let kk = s.kH * s.kW
    let xs = slot                        // [ph][pw][8]
    let wv = slot + ph * pw * L          // [kk][8]
    let bv = wv + kk * L                 // [8]

    // Weights and bias interleaved by lane; lanes past the last channel are zero.
    for tap in 0 ..< kk {
        for l in 0 ..< L { wv[tap * L + l] = l < nc ? d.weights[(c0 + l) * kk + tap] : 0 }
    }
    for l in 0 ..< L {
        var v: Float = 0
        if l < nc, let bias = d.bias { v = bias[c0 + l] }
        bv[l] = v
    }

    // Zero-padded, interleaved input: padded row r is input row r − padTop, column q is q − padLeft.
    let inPlane = s.inPlane
    let xb = d.x + (b * s.inChannels + c0) * inPlane
    let padL = s.padLeft > 0 ? s.padLeft : 0
    let colLo = padL < pw ? padL : pw
    let colEnd = s.inW + s.padLeft < pw ? s.inW + s.padLeft : pw
    let colHi = colEnd > colLo ? colEnd : colLo
    for r in 0 ..< ph {
        let row = xs + r * pw * L
        let ih = r - s.padTop
        if ih < 0 || ih >= s.inH {
            dwbZero(row, pw * L)
            continue
        }
        dwbZero(row, colLo * L)
        dwbZero(row + colHi * L, (pw - colHi) * L)
        if nc < L {
            for q in colLo ..< colHi { dwbZero(row + q * L + nc, L - nc) }
        }
        let iw0 = colLo - s.padLeft
        for l in 0 ..< nc {
            let src = xb + l * inPlane + ih * s.inW + iw0
            var dst = row + colLo * L + l
            for q in 0 ..< colHi - colLo {
                dst.pointee = src[q]
                dst += L
            }
        }
    }

    let outPlane = s.outPlane
    let yb = d.y + (b * s.outChannels + c0) * outPlane
    let act = d.activation
    let vectorAct = act.kind == .none || act.kind == .relu || act.kind == .leakyRelu || act.kind == .clip
    let lo = SIMD8<Float>(repeating: act.kind == .clip ? act.min : act.kind == .relu ? 0 : -.infinity)
    let hi = SIMD8<Float>(repeating: act.kind == .clip ? act.max : .infinity)
    let slope: Float = act.kind == .leakyRelu ? act.alpha : 1
    let bias0 = dwbLoad(bv)
    let rowStep = s.strideH * pw * L, colStep = s.strideW * L, dilH = s.dilationH * pw * L, dilW = s.dilationW * L
    let kH = s.kH, kW = s.kW, outW = s.outW
    for oh in 0 ..< s.outH {
        let xrow = UnsafePointer(xs + oh &* rowStep)
        let yrow = yb + oh &* outW
        var ow = 0
        // Four output positions at once: four independent multiply-add chains.
        while ow &+ 4 <= outW {
            var a0 = bias0, a1 = bias0, a2 = bias0, a3 = bias0
            let xp = xrow + ow &* colStep
            var wp = UnsafePointer(wv)
            for kh in 0 ..< kH {
                var xr = xp + kh &* dilH
                for _ in 0 ..< kW {
                    let w = dwbLoad(wp)
                    fma8(&a0, w, dwbLoad(xr))
                    fma8(&a1, w, dwbLoad(xr + colStep))
                    fma8(&a2, w, dwbLoad(xr + 2 &* colStep))
                    fma8(&a3, w, dwbLoad(xr + 3 &* colStep))
                    wp += L
                    xr += dilW
                }
            }
            dwbStore(dwbClamp(a0, lo, hi, slope), yrow + ow, nc, outPlane)
            dwbStore(dwbClamp(a1, lo, hi, slope), yrow + (ow &+ 1), nc, outPlane)
            dwbStore(dwbClamp(a2, lo, hi, slope), yrow + (ow &+ 2), nc, outPlane)
            dwbStore(dwbClamp(a3, lo, hi, slope), yrow + (ow &+ 3), nc, outPlane)
            ow &+= 4
        }
        while ow < outW {
            var acc = bias0
            var wp = UnsafePointer(wv)
            let xp = xrow + ow &* colStep
            for kh in 0 ..< kH {
                var xr = xp + kh &* dilH
                for _ in 0 ..< kW {
                    fma8(&acc, dwbLoad(wp), dwbLoad(xr))
                    wp += L
                    xr += dilW
                }
            }
            dwbStore(dwbClamp(acc, lo, hi, slope), yrow + ow, nc, outPlane)
            ow &+= 1
        }
    }
    if !vectorAct {
        for l in 0 ..< nc { act.apply(yb + l * outPlane, count: outPlane) }
    }
}
