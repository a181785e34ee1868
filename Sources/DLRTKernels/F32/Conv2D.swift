/// Geometry of a 2-D convolution (1-D uses H = 1). Pads are the begin pads; end pads only
/// matter through outH / outW, which the caller computes.
public struct Conv2DShape: Sendable, Equatable {
    public var batch = 1, inChannels = 1, inH = 1, inW = 1
    public var outChannels = 1, outH = 1, outW = 1
    public var kH = 1, kW = 1
    public var strideH = 1, strideW = 1
    public var padTop = 0, padLeft = 0
    public var dilationH = 1, dilationW = 1
    public var group = 1

    public init() {}

    public var channelsPerGroup: Int { inChannels / group }
    public var outChannelsPerGroup: Int { outChannels / group }
    /// GEMM reduction length: C/group × kH × kW.
    public var gemmK: Int { channelsPerGroup * kH * kW }
    public var outPlane: Int { outH * outW }
    public var inPlane: Int { inH * inW }
    /// 1×1, stride 1, unpadded: the input plane is the GEMM's B matrix as it is.
    public var isPointwise: Bool {
        kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && outH == inH && outW == inW
    }
    /// One input and one output channel per group.
    public var isDepthwise: Bool { group == inChannels && group == outChannels && group > 1 }

    /// Floats of pre-packed weights `conv2dPackWeights` produces.
    public var packedWeightCount: Int {
        isDepthwise ? outChannels * kH * kW : group * sgemmPackedACount(m: outChannelsPerGroup, k: gemmK)
    }

    /// Floats of scratch `run` needs (the packed im2col matrix of one group).
    public var scratchCount: Int {
        isDepthwise ? 0 : sgemmPackedBCount(k: gemmK, n: outPlane)
    }
}

/// Packs W [M, C/group, kH, kW]: per group an MR-panel packed A (Mg × K); depthwise: a copy.
public func conv2dPackWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>) -> DenseBuffer {
    let buf = DenseBuffer(count: s.packedWeightCount)
    if s.isDepthwise {
        buf.pointer.update(from: w, count: s.packedWeightCount)
        return buf
    }
    let mg = s.outChannelsPerGroup, k = s.gemmK
    let per = sgemmPackedACount(m: mg, k: k)
    for g in 0 ..< s.group {
        sgemmPackA(m: mg, k: k, a: w + g * mg * k, lda: k, transA: false, into: buf.pointer + g * per,
                   panels: 0 ..< sgemmPanelsA(mg))
    }
    return buf
}

/// Number of B panels (tasks) of the im2col pack of one group.
public func conv2dInputPanels(_ s: Conv2DShape) -> Int { sgemmPanelsB(s.outPlane) }

/// Packs panels `panels` of the im2col matrix (K × outH·outW) of one group of one image;
/// `x` points at the group's first input channel.
public func conv2dPackInput(_ s: Conv2DShape, _ x: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                            panels: Range<Int>) {
    let k = s.gemmK, n = s.outPlane
    if s.isPointwise {
        sgemmPackB(k: k, n: n, b: x, ldb: n, transB: false, into: dst, panels: panels)
        return
    }
    let nr = sgemmNR
    for q in panels {
        let j0 = q * nr
        let cols = min(nr, n - j0)
        let oh0 = j0 / s.outW, ow0 = j0 % s.outW
        let oneRow = ow0 + cols <= s.outW
        var out = dst + q * nr * k
        for c in 0 ..< s.channelsPerGroup {
            let plane = x + c * s.inPlane
            for kh in 0 ..< s.kH {
                for kw in 0 ..< s.kW {
                    let offH = kh * s.dilationH - s.padTop
                    let offW = kw * s.dilationW - s.padLeft
                    // Fast path: 16 outputs of one row reading 16 consecutive inputs.
                    if oneRow && cols == nr && s.strideW == 1 {
                        let ih = oh0 * s.strideH + offH
                        let iw = ow0 + offW
                        if ih >= 0 && ih < s.inH && iw >= 0 && iw + nr <= s.inW {
                            let src = plane + ih * s.inW + iw
                            store8(load8(src), out)
                            store8(load8(src + 8), out + 8)
                            out += nr
                            continue
                        }
                    }
                    var oh = oh0, ow = ow0
                    for j in 0 ..< nr {
                        var v: Float = 0
                        if j < cols {
                            let ih = oh * s.strideH + offH
                            let iw = ow * s.strideW + offW
                            if ih >= 0 && ih < s.inH && iw >= 0 && iw < s.inW { v = plane[ih * s.inW + iw] }
                            ow += 1
                            if ow == s.outW { ow = 0; oh += 1 }
                        }
                        out[j] = v
                    }
                    out += nr
                }
            }
        }
    }
}

@inline(__always) func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
@inline(__always) func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// Output indices o in 0..<outCount whose position o·stride + offset lies in lo..<hi.
@inline(__always)
func denseValidRange(offset: Int, stride: Int, lo: Int, hi: Int, outCount: Int) -> Range<Int> {
    if stride == 1 {
        let a = max(0, lo - offset), b = min(outCount, hi - offset)
        return a < b ? a ..< b : 0 ..< 0
    }
    let a = max(0, ceilDiv(lo - offset, stride))
    let b = min(outCount, floorDiv(hi - 1 - offset, stride) + 1)
    return a < b ? a ..< b : 0 ..< 0
}

/// Depthwise conv (group == C == M) for planes `planes` (index = image · C + channel) of the
/// whole batch: y = act(bias + Σ w·x), accumulated row by row (vector over the output row).
public func conv2dDepthwise(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, activation: DenseActivation,
                            y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
    let kk = s.kH * s.kW
    for p in planes {
        let c = p % s.inChannels
        let xp = x + p * s.inPlane
        let yp = y + p * s.outPlane
        let wc = weights + c * kk
        let b0: Float = bias.map { $0[c] } ?? 0
        // Stride-1 interior columns (every tap in bounds horizontally) accumulate 8 outputs in registers.
        let vLo = s.strideW == 1 ? min(s.padLeft, s.outW) : 0
        let vHiMax = s.strideW == 1 ? max(vLo, min(s.outW, s.inW + s.padLeft - (s.kW - 1) * s.dilationW)) : 0
        let vHi = vLo + (vHiMax - vLo) / 8 * 8
        for oh in 0 ..< s.outH {
            let yrow = yp + oh * s.outW
            yrow.update(repeating: b0, count: s.outW)
            var ow = vLo
            // Four independent accumulators hide the FMA latency.
            while ow + 32 <= vHi {
                var a0 = SIMD8<Float>(repeating: b0), a1 = a0, a2 = a0, a3 = a0
                for kh in 0 ..< s.kH {
                    let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                    if ih < 0 || ih >= s.inH { continue }
                    let xr = xp + ih * s.inW + ow - s.padLeft
                    let wr = wc + kh * s.kW
                    for kw in 0 ..< s.kW {
                        let wv = SIMD8<Float>(repeating: wr[kw])
                        let xk = xr + kw * s.dilationW
                        a0.addProduct(wv, load8(xk))
                        a1.addProduct(wv, load8(xk + 8))
                        a2.addProduct(wv, load8(xk + 16))
                        a3.addProduct(wv, load8(xk + 24))
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
                    let xr = xp + ih * s.inW + ow - s.padLeft
                    let wr = wc + kh * s.kW
                    for kw in 0 ..< s.kW {
                        acc.addProduct(SIMD8<Float>(repeating: wr[kw]), load8(xr + kw * s.dilationW))
                    }
                }
                store8(acc, yrow + ow)
                ow += 8
            }
            for kh in 0 ..< s.kH {
                let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                if ih < 0 || ih >= s.inH { continue }
                let xrow = xp + ih * s.inW
                for kw in 0 ..< s.kW {
                    let wv = wc[kh * s.kW + kw]
                    let off = kw * s.dilationW - s.padLeft
                    let r = denseValidRange(offset: off, stride: s.strideW, lo: 0, hi: s.inW, outCount: s.outW)
                    // Columns outside the register-accumulated block [vLo, vHi).
                    for part in 0 ..< 2 {
                        var o = part == 0 ? r.lowerBound : max(r.lowerBound, vHi)
                        let end = part == 0 ? min(r.upperBound, vLo < vHi ? vLo : r.upperBound) : r.upperBound
                        if part == 1 && vLo >= vHi { break }
                        if s.strideW == 1 {
                            let wv8 = SIMD8<Float>(repeating: wv)
                            while o + 8 <= end {
                                var acc = load8(yrow + o)
                                acc.addProduct(wv8, load8(xrow + o + off))
                                store8(acc, yrow + o)
                                o += 8
                            }
                        }
                        while o < end {
                            yrow[o] = yrow[o].addingProduct(wv, xrow[o * s.strideW + off])
                            o += 1
                        }
                    }
                }
            }
            activation.apply(yrow, count: s.outW)
        }
    }
}

/// The whole convolution of a batch: y [N, M, outH, outW] = act(W ⊛ x + bias), x [N, C, inH, inW].
/// `weights` from `conv2dPackWeights`; `scratch` holds `scratchCount` floats (nil when 0).
/// Pointwise convs read x directly as the GEMM's B; others go through the packed im2col matrix.
public func conv2dForward(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, activation: DenseActivation, y: UnsafeMutablePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>?, parallel: any ParallelLoop = SerialLoop()) {
    if s.batch == 0 || s.outPlane == 0 || s.outChannels == 0 { return }
    if s.isDepthwise {
        parallel.parallelFor(s.batch * s.inChannels, grain: 1,
                             Conv2DDepthwiseTask(s: s, x: x, weights: weights, bias: bias, activation: activation, y: y))
        return
    }
    guard let packed = scratch else { return }
    let mg = s.outChannelsPerGroup, k = s.gemmK, n = s.outPlane
    let perGroup = sgemmPackedACount(m: mg, k: k)
    for b in 0 ..< s.batch {
        for g in 0 ..< s.group {
            let xg = x + (b * s.inChannels + g * s.channelsPerGroup) * s.inPlane
            let yg = y + (b * s.outChannels + g * mg) * n
            parallel.parallelFor(conv2dInputPanels(s), grain: 1, Conv2DPackInputTask(s: s, x: xg, into: packed))
            let epi = DenseEpilogue(bias: bias.map { $0 + g * mg }, biasRowStride: 1, biasColStride: 0,
                                    activation: activation)
            let compute = SGEMMComputeTask(m: mg, n: n, k: k, packedA: weights + g * perGroup, packedB: packed,
                                           c: yg, ldc: n, epilogue: epi)
            parallel.parallelFor(compute.split.count, grain: 1, compute)
        }
    }
}

/// `conv2dDepthwise` over a range of (batch, channel) planes.
struct Conv2DDepthwiseTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: DenseActivation
    let y: UnsafeMutablePointer<Float>

    func run(_ planes: Range<Int>) {
        conv2dDepthwise(s, x: x, weights: weights, bias: bias, activation: activation, y: y, planes: planes)
    }
}

/// `conv2dPackInput` (im2col + pack) over a range of B panels.
struct Conv2DPackInputTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>
    let into: UnsafeMutablePointer<Float>

    func run(_ panels: Range<Int>) { conv2dPackInput(s, x, into: into, panels: panels) }
}
