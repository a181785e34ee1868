// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `depthwise` (`DepthwiseArgs`): depthwise conv (group == C == M) of planes
/// `lo..<hi` (index = image · C + channel) of the whole batch: y = act(bias + Σ w·x),
/// accumulated row by row (vector over the output row).
func isaDepthwise(_ args: UnsafeRawPointer) {
    let d = args.load(as: DepthwiseArgs.self)
    let s = d.s
    let kk = s.kH * s.kW
    let sW = s.strideW
    // Interior columns (every tap in bounds horizontally) accumulate 8 outputs in registers:
    // ow in [vLo, vHi) with ow·sW − padLeft ≥ 0 and ow·sW − padLeft + (kW−1)·dW < inW.
    let span = (s.kW - 1) * s.dilationW
    let lo0 = ceilDiv(s.padLeft, sW)
    let vLo = lo0 < s.outW ? lo0 : s.outW
    let hiLimit = s.inW + s.padLeft - span > 0 ? floorDiv(s.inW + s.padLeft - span - 1, sW) + 1 : 0
    let vHiMax = hiLimit < s.outW ? (hiLimit > vLo ? hiLimit : vLo) : s.outW
    let vHi = vLo + (vHiMax - vLo) / 8 * 8
    var p = d.lo
    while p < d.hi {
        let c = p % s.inChannels
        let xp = d.x + p * s.inPlane
        let yp = d.y + p * s.outPlane
        let wc = d.weights + c * kk
        var b0: Float = 0
        if let b = d.bias { b0 = b[c] }
        for oh in 0 ..< s.outH {
            let yrow = yp + oh * s.outW
            var o = 0
            while o < s.outW { yrow[o] = b0; o += 1 }
            var ow = vLo
            // Four independent accumulators hide the FMA latency.
            while ow + 32 <= vHi {
                var a0 = SIMD8<Float>(repeating: b0), a1 = a0, a2 = a0, a3 = a0
                for kh in 0 ..< s.kH {
                    let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                    if ih < 0 || ih >= s.inH { continue }
                    let xr = xp + ih * s.inW + ow * sW - s.padLeft
                    let wr = wc + kh * s.kW
                    for kw in 0 ..< s.kW {
                        let wv = SIMD8<Float>(repeating: wr[kw])
                        let xk = xr + kw * s.dilationW
                        fma8(&a0, wv, loadStrided8(xk, sW))
                        fma8(&a1, wv, loadStrided8(xk + 8 * sW, sW))
                        fma8(&a2, wv, loadStrided8(xk + 16 * sW, sW))
                        fma8(&a3, wv, loadStrided8(xk + 24 * sW, sW))
                    }
                }
                store8(a0, yrow + ow)
                store8(a1, yrow + ow + 8)
                store8(a2, yrow + ow + 16)
                store8(a3, yrow + ow + 24)
                ow += 32
            }
            while ow < vHi {
                var acc = SIMD8<Float>(repeating: b0)
                for kh in 0 ..< s.kH {
                    let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                    if ih < 0 || ih >= s.inH { continue }
                    let xr = xp + ih * s.inW + ow * sW - s.padLeft
                    let wr = wc + kh * s.kW
                    for kw in 0 ..< s.kW {
                        fma8(&acc, SIMD8<Float>(repeating: wr[kw]), loadStrided8(xr + kw * s.dilationW, sW))
                    }
                }
                store8(acc, yrow + ow)
                ow += 8
            }
            // Columns outside the register-accumulated block [vLo, vHi), tap by tap.
            for kh in 0 ..< s.kH {
                let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                if ih < 0 || ih >= s.inH { continue }
                let xrow = xp + ih * s.inW
                for kw in 0 ..< s.kW {
                    let wv = wc[kh * s.kW + kw]
                    let off = kw * s.dilationW - s.padLeft
                    let r = denseValidBounds(offset: off, stride: sW, lo: 0, hi: s.inW, outCount: s.outW)
                    for part in 0 ..< 2 {
                        if part == 1 && vLo >= vHi { break }
                        var o = part == 0 ? r.lowerBound : (r.lowerBound > vHi ? r.lowerBound : vHi)
                        let end = part == 0 ? (vLo < vHi ? (r.upperBound < vLo ? r.upperBound : vLo) : r.upperBound)
                                            : r.upperBound
                        if sW == 1 {
                            let wv8 = SIMD8<Float>(repeating: wv)
                            while o + 8 <= end {
                                var acc = load8(yrow + o)
                                fma8(&acc, wv8, load8(xrow + o + off))
                                store8(acc, yrow + o)
                                o += 8
                            }
                        }
                        while o < end {
                            yrow[o] = fmaScalar(yrow[o], wv, xrow[o * sW + off])
                            o += 1
                        }
                    }
                }
            }
            d.activation.apply(yrow, count: s.outW)
        }
        p += 1
    }
}

/// x[0], x[s], …, x[7s]: one vector load for stride 1, else eight scalar loads (all in bounds).
@inline(__always)
func loadStrided8(_ x: UnsafePointer<Float>, _ s: Int) -> SIMD8<Float> {
    if s == 1 { return load8(x) }
    var v = SIMD8<Float>()
    v[0] = x[0]; v[1] = x[s]; v[2] = x[2 * s]; v[3] = x[3 * s]
    v[4] = x[4 * s]; v[5] = x[5 * s]; v[6] = x[6 * s]; v[7] = x[7 * s]
    return v
}
