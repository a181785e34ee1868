/// Geometry of a 2-D pooling window (1-D uses H = 1) over `planes` = N·C planes.
public struct Pool2DShape: Sendable, Equatable {
    public var planes = 1, inH = 1, inW = 1, outH = 1, outW = 1
    public var kH = 1, kW = 1
    public var strideH = 1, strideW = 1
    public var padTop = 0, padLeft = 0, padBottom = 0, padRight = 0
    public var dilationH = 1, dilationW = 1

    public init() {}
}

/// MaxPool over planes `planes` with the `maxPool` kernel of `kernels` (per-ISA, DLRTKernelsShared/PoolMax.swift):
/// padding never wins (windows only read in-bounds inputs), a NaN tap wins.
public func maxPool2d(_ s: Pool2DShape, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, planes: Range<Int>,
                      kernels: KernelTable = .active) {
    if planes.isEmpty { return }
    callKernel(kernels.maxPool, MaxPoolArgs(inH: s.inH, inW: s.inW, outH: s.outH, outW: s.outW, kH: s.kH, kW: s.kW,
                                            strideH: s.strideH, strideW: s.strideW, padTop: s.padTop,
                                            padLeft: s.padLeft, dilationH: s.dilationH, dilationW: s.dilationW,
                                            x: x, y: y, planes: planes))
}

/// Number of window taps k in 0..<kernel with o·stride - pad + k·dilation in lo..<hi.
@inline(__always)
func denseTapCount(_ o: Int, stride: Int, pad: Int, dilation: Int, kernel: Int, lo: Int, hi: Int) -> Int {
    let base = o * stride - pad
    let a = max(0, ceilDiv(lo - base, dilation))
    let b = min(kernel, floorDiv(hi - 1 - base, dilation) + 1)
    return max(0, b - a)
}

/// AveragePool over planes `planes`. The divisor counts in-bounds taps, or with
/// `countIncludePad` the taps inside the padded input (never those past its end from ceil_mode).
public func averagePool2d(_ s: Pool2DShape, countIncludePad: Bool, x: UnsafePointer<Float>,
                          y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
    let loH = countIncludePad ? -s.padTop : 0, hiH = countIncludePad ? s.inH + s.padBottom : s.inH
    let loW = countIncludePad ? -s.padLeft : 0, hiW = countIncludePad ? s.inW + s.padRight : s.inW
    for p in planes {
        let xp = x + p * s.inH * s.inW
        let yp = y + p * s.outH * s.outW
        for oh in 0 ..< s.outH {
            let yrow = yp + oh * s.outW
            yrow.update(repeating: 0, count: s.outW)
            for kh in 0 ..< s.kH {
                let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                if ih < 0 || ih >= s.inH { continue }
                let xrow = xp + ih * s.inW
                for kw in 0 ..< s.kW {
                    let off = kw * s.dilationW - s.padLeft
                    let r = denseValidRange(offset: off, stride: s.strideW, lo: 0, hi: s.inW, outCount: s.outW)
                    var ow = r.lowerBound
                    if s.strideW == 1 {
                        while ow + 8 <= r.upperBound {
                            store8(load8(yrow + ow) + load8(xrow + ow + off), yrow + ow)
                            ow += 8
                        }
                    }
                    while ow < r.upperBound {
                        yrow[ow] += xrow[ow * s.strideW + off]
                        ow += 1
                    }
                }
            }
            let ch = denseTapCount(oh, stride: s.strideH, pad: s.padTop, dilation: s.dilationH, kernel: s.kH, lo: loH, hi: hiH)
            for ow in 0 ..< s.outW {
                let cw = denseTapCount(ow, stride: s.strideW, pad: s.padLeft, dilation: s.dilationW, kernel: s.kW,
                                       lo: loW, hi: hiW)
                let count = ch * cw
                yrow[ow] = count == 0 ? 0 : yrow[ow] / Float(count)
            }
        }
    }
}

/// GlobalAveragePool / GlobalMaxPool: one value per plane of `size` floats, planes `planes`.
public func globalPool(isMax: Bool, size: Int, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                       planes: Range<Int>) {
    for p in planes {
        let xp = x + p * size
        var i = 0
        if isMax {
            var m8 = SIMD8<Float>(repeating: -Float.infinity)
            while i + 8 <= size { m8 = pointwiseMax(m8, load8(xp + i)); i += 8 }
            var m = m8.max()
            while i < size { m = max(m, xp[i]); i += 1 }
            y[p] = m
        } else {
            var s8 = SIMD8<Float>()
            while i + 8 <= size { s8 += load8(xp + i); i += 8 }
            var sum = s8.sum()
            while i < size { sum += xp[i]; i += 1 }
            y[p] = size == 0 ? 0 : sum / Float(size)
        }
    }
}
