// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

// rn2: MaxPool, 16 lanes per vector. Per output row: y = −∞, then for each in-bounds tap (kh, kw)
// in order, y[ow] = max(y[ow], x[ih, ow·strideW + off]) over the output columns whose tap lies
// inside the row (a NaN tap wins), exactly the scalar loop `if v > y || v.isNaN { y = v }`.
// The max is idempotent, so the last partial vector of a run is redone overlapping the previous one.

/// Table entry `maxPool` (`MaxPoolArgs`).
func isaMaxPool(_ args: UnsafeRawPointer) {
    let a = args.load(as: MaxPoolArgs.self)
    let inPlane = a.inH * a.inW, outPlane = a.outH * a.outW
    var p = a.lo
    while p < a.hi {
        let xp = a.x + p * inPlane, yp = a.y + p * outPlane
        var oh = 0
        while oh < a.outH {
            let yrow = yp + oh * a.outW
            var i = 0
            while i < a.outW { yrow[i] = -Float.infinity; i += 1 }
            var kh = 0
            while kh < a.kH {
                let ih = oh * a.strideH - a.padTop + kh * a.dilationH
                if ih >= 0 && ih < a.inH {
                    let xrow = xp + ih * a.inW
                    var kw = 0
                    while kw < a.kW {
                        maxPoolTap(xrow, yrow, a, off: kw * a.dilationW - a.padLeft)
                        kw += 1
                    }
                }
                kh += 1
            }
            oh += 1
        }
        p += 1
    }
}

/// Lane-wise max where a NaN in `x` wins.
@inline(__always)
func maxPoolMax16(_ y: SIMD16<Float>, _ x: SIMD16<Float>) -> SIMD16<Float> {
    y.replacing(with: x, where: (x .> y) .| (x .!= x))
}

@inline(__always)
func maxPoolStore16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// x[b], x[b + 2], …, x[b + 30] of a row of `n` floats, reading only inside the row; nil when
/// neither 32 floats from b nor from b − 1 fit (the row is then shorter than 32).
@inline(__always)
func maxPoolEven16(_ x: UnsafePointer<Float>, _ b: Int, _ n: Int) -> SIMD16<Float>? {
    if b + 32 <= n { return maxPoolPairs16(x + b, high: false) }
    if b >= 1 && b + 31 <= n { return maxPoolPairs16(x + b - 1, high: true) }
    return nil
}

/// The first (or, `high`, the second) float of each of the 16 pairs at p[0 ..< 32]: each pair read
/// as one 64-bit lane and narrowed (one `vpmovqd` per 8 pairs on AVX-512; the lane-by-lane
/// `evenHalf` of a SIMD32 load compiled to 16 scalar inserts).
@inline(__always)
func maxPoolPairs16(_ p: UnsafePointer<Float>, high: Bool) -> SIMD16<Float> {
    var lo = UnsafeRawPointer(p).loadUnaligned(as: SIMD8<UInt64>.self)
    var hi = UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD8<UInt64>.self)
    if high { lo &>>= 32; hi &>>= 32 }
    let bits = SIMD16<UInt32>(lowHalf: SIMD8<UInt32>(truncatingIfNeeded: lo), highHalf: SIMD8<UInt32>(truncatingIfNeeded: hi))
    return unsafeBitCast(bits, to: SIMD16<Float>.self)
}

/// One tap: y[ow] = max(y[ow], xrow[ow · strideW + off]) for the columns whose tap is in the row.
@inline(__always)
func maxPoolTap(_ xrow: UnsafePointer<Float>, _ yrow: UnsafeMutablePointer<Float>, _ a: MaxPoolArgs, off: Int) {
    let r = denseValidBounds(offset: off, stride: a.strideW, lo: 0, hi: a.inW, outCount: a.outW)
    let lo = r.lowerBound, hi = r.upperBound
    var ow = lo
    if hi - lo >= 16 && a.strideW == 1 {
        while ow < hi {
            let at = ow + 16 <= hi ? ow : hi - 16
            maxPoolStore16(maxPoolMax16(load16(yrow + at), load16(xrow + at + off)), yrow + at)
            ow = at + 16
        }
        return
    }
    if hi - lo >= 16 && a.strideW == 2 {
        while ow < hi {
            let at = ow + 16 <= hi ? ow : hi - 16
            guard let v = maxPoolEven16(xrow, 2 * at + off, a.inW) else { break }
            maxPoolStore16(maxPoolMax16(load16(yrow + at), v), yrow + at)
            ow = at + 16
        }
    }
    while ow < hi {
        let v = xrow[ow * a.strideW + off]
        if v > yrow[ow] || v.isNaN { yrow[ow] = v }
        ow += 1
    }
}
