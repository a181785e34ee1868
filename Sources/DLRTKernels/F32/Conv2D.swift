/// Convolution via the SGEMM (im2col / 1×1) and the depthwise kernel. `Conv2DShape` itself is in
/// DLRTKernelsCore (the per-ISA depthwise kernel reads it); the sizes of its buffers are here.
extension Conv2DShape {
    /// Floats of pre-packed weights `conv2dPackWeights` produces.
    public var packedWeightCount: Int {
        isDepthwise ? outChannels * kH * kW : group * sgemmPackedACount(m: outChannelsPerGroup, k: gemmK)
    }

    /// Floats of scratch `conv2dForward` needs. Two-phase path: one group's packed im2col
    /// matrix. Fused path: the packed panels of `conv2dChunkImages` images (every panel of every
    /// group its own slot), then for small images the zero-padded copies of those images.
    public var scratchCount: Int {
        if isDepthwise { return 0 }
        if isPointwise || !conv2dFused(self) { return sgemmPackedBCount(k: gemmK, n: outPlane) }
        let ib = conv2dChunkImages(self)
        let panels = ib * group * sgemmPackedBCount(k: gemmK, n: outPlane)
        return conv2dPadded(self) ? panels + ib * inChannels * paddedPlane.h * paddedPlane.w + 16 : panels
    }

    /// Height and width of the zero-padded input plane the small-image path packs from: every
    /// tap of every output position lies inside it.
    public var paddedPlane: (h: Int, w: Int) {
        (max(inH + padTop, (outH - 1) * strideH + (kH - 1) * dilationH + 1),
         max(inW + padLeft, (outW - 1) * strideW + (kW - 1) * dilationW + 1))
    }
}

/// Small images (fused path) are first copied into zero-padded planes, so the im2col copies
/// need no bounds logic and strided rows vectorize.
@inline(__always)
func conv2dPadded(_ s: Conv2DShape) -> Bool {
    s.inPlane <= 4096 && s.outW < 4 * sgemmNR
}

/// Packed im2col floats a chunk of images may use (beyond one image, when an image alone is larger).
let conv2dChunkBudget = 1 << 17

/// True when `conv2dForward` packs and multiplies B panel by B panel (each panel packed right
/// before use, all images of a chunk and all groups in one parallel loop); false for the
/// two-phase path (pack one image's group, then a GEMM split by rows), kept for shapes with few
/// columns and many output channels (and enough work), where splitting by rows is the only parallelism.
@inline(__always)
func conv2dFused(_ s: Conv2DShape) -> Bool {
    SGEMMSplit(m: s.outChannelsPerGroup, n: s.outPlane * s.batch).byColumns
        || s.batch * s.outChannels * s.outPlane * s.gemmK <= 1 << 20
}

/// Images whose im2col panels one parallel loop packs and multiplies (fused path), else 1.
public func conv2dChunkImages(_ s: Conv2DShape) -> Int {
    if s.isPointwise || !conv2dFused(s) || s.batch <= 1 { return 1 }
    let perImage = s.group * sgemmPackedBCount(k: s.gemmK, n: s.outPlane)
    return max(1, min(s.batch, conv2dChunkBudget / max(1, perImage)))
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
    for q in panels { conv2dPackPanel(s, x, panel: q, into: dst + q * sgemmNR * k) }
}

/// Packs B panel `q` (output positions q·NR ..< q·NR + NR) of one group of one image into `out`
/// (K × NR). The panel is walked as segments of output rows (a 16-column panel of a small
/// image spans several rows); per kernel column the valid output columns are computed once, so
/// the copy loops have no per-element index arithmetic or bounds checks.
@inline(__always)
func conv2dPackPanel(_ s: Conv2DShape, _ x: UnsafePointer<Float>, panel q: Int, into out: UnsafeMutablePointer<Float>) {
    let nr = sgemmNR
    let k = s.gemmK
    let j0 = q * nr
    let cols = min(nr, s.outPlane - j0)
    if cols < nr {
        for r in 0 ..< k {
            let o = out + r * nr
            for j in cols ..< nr { o[j] = 0 }
        }
    }
    let oh0 = j0 / s.outW, ow0 = j0 - oh0 * s.outW
    let cstride = s.kH * s.kW * nr
    let inW = s.inW, inH = s.inH, sW = s.strideW
    for kw in 0 ..< s.kW {
        let offW = kw * s.dilationW - s.padLeft
        let valid = denseValidRange(offset: offW, stride: sW, lo: 0, hi: inW, outCount: s.outW)
        for kh in 0 ..< s.kH {
            let offH = kh * s.dilationH - s.padTop
            let rowOut = out + (kh * s.kW + kw) * nr
            // Segments: output row oh, columns owA ..< owB, at panel column t.
            var oh = oh0, owA = ow0, t = 0
            while t < cols {
                let len = min(s.outW - owA, cols - t)
                let owB = owA + len
                let ih = oh * s.strideH + offH
                let a = max(owA, valid.lowerBound), b = min(owB, valid.upperBound)
                if ih < 0 || ih >= inH || a >= b {
                    for c in 0 ..< s.channelsPerGroup {
                        conv2dZero(rowOut + c * cstride + t, len)
                    }
                } else {
                    let lead = a - owA, body = b - a, tail = owB - b
                    let srcOff = ih * inW + a * sW + offW
                    for c in 0 ..< s.channelsPerGroup {
                        let d = rowOut + c * cstride + t
                        let src = x + c * s.inPlane + srcOff
                        if lead > 0 { conv2dZero(d, lead) }
                        conv2dCopy(src, sW, d + lead, body)
                        if tail > 0 { conv2dZero(d + lead + body, tail) }
                    }
                }
                t += len
                owA = 0
                oh += 1
            }
        }
    }
}

/// `conv2dPackPanel` from zero-padded planes (`conv2dPadded`): `xp` is the group's first padded
/// channel, planes of `ph` × `pw` floats.
@inline(__always)
func conv2dPackPanelPadded(_ s: Conv2DShape, _ xp: UnsafePointer<Float>, ph: Int, pw: Int, panel q: Int,
                           into out: UnsafeMutablePointer<Float>) {
    let nr = sgemmNR
    let k = s.gemmK
    let j0 = q * nr
    let cols = min(nr, s.outPlane - j0)
    if cols < nr {
        for r in 0 ..< k {
            let o = out + r * nr
            for j in cols ..< nr { o[j] = 0 }
        }
    }
    let oh0 = j0 / s.outW, ow0 = j0 - oh0 * s.outW
    let cstride = s.kH * s.kW * nr
    let plane = ph * pw, sW = s.strideW
    for kh in 0 ..< s.kH {
        for kw in 0 ..< s.kW {
            let rowOut = out + (kh * s.kW + kw) * nr
            let tap = kh * s.dilationH * pw + kw * s.dilationW
            var oh = oh0, owA = ow0, t = 0
            while t < cols {
                let len = min(s.outW - owA, cols - t)
                let src = xp + (oh * s.strideH * pw + owA * sW + tap)
                let d = rowOut + t
                if sW == 1 {
                    for c in 0 ..< s.channelsPerGroup { conv2dCopy1(src + c * plane, d + c * cstride, len) }
                } else if sW == 2 {
                    for c in 0 ..< s.channelsPerGroup { conv2dCopy2(src + c * plane, d + c * cstride, len) }
                } else {
                    for c in 0 ..< s.channelsPerGroup {
                        var p = src + c * plane
                        let dc = d + c * cstride
                        for i in 0 ..< len { dc[i] = p.pointee; p += sW }
                    }
                }
                t += len
                owA = 0
                oh += 1
            }
        }
    }
}

@inline(__always)
func conv2dCopy1(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(load8(src + i), d + i); i += 8 }
    if i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(
            of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        i += 4
    }
    while i < n { d[i] = src[i]; i += 1 }
}

/// d[i] = src[2i] for i < n; reads up to src[2n] (the padded planes end with slack).
@inline(__always)
func conv2dCopy2(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
        store8(v.evenHalf, d + i)
        i += 8
    }
    if i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(of: load8(src + 2 * i).evenHalf, as: SIMD4<Float>.self)
        i += 4
    }
    while i < n { d[i] = src[2 * i]; i += 1 }
}

/// Copies input planes (index image · C + channel) into zero-padded planes of ph × pw.
struct Conv2DPadTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>
    let into: UnsafeMutablePointer<Float>
    let ph: Int, pw: Int

    func run(_ planes: Range<Int>) {
        for p in planes {
            let src = x + p * s.inPlane
            let dst = into + p * ph * pw
            conv2dZero(dst, s.padTop * pw)
            for r in 0 ..< s.inH {
                let row = dst + (s.padTop + r) * pw
                conv2dZero(row, s.padLeft)
                conv2dCopy1(src + r * s.inW, row + s.padLeft, s.inW)
                conv2dZero(row + s.padLeft + s.inW, pw - s.padLeft - s.inW)
            }
            conv2dZero(dst + (s.padTop + s.inH) * pw, (ph - s.padTop - s.inH) * pw)
        }
    }
}

@inline(__always)
func conv2dZero(_ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(SIMD8(), d + i); i += 8 }
    while i < n { d[i] = 0; i += 1 }
}

/// d[i] = src[i · stride] for i < n.
@inline(__always)
func conv2dCopy(_ src: UnsafePointer<Float>, _ stride: Int, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    if stride == 1 {
        while i + 8 <= n { store8(load8(src + i), d + i); i += 8 }
        if i + 4 <= n {
            UnsafeMutableRawPointer(d + i).storeBytes(
                of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            i += 4
        }
    }
    while i < n { d[i] = src[i * stride]; i += 1 }
}

/// Depthwise conv (group == C == M) for planes `planes` (index = image · C + channel) of the
/// whole batch: y = act(bias + Σ w·x), with the depthwise kernel of `kernels`.
public func conv2dDepthwise(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                            bias: UnsafePointer<Float>?, activation: DenseActivation,
                            y: UnsafeMutablePointer<Float>, planes: Range<Int>, kernels: KernelTable = .active) {
    if planes.isEmpty { return }
    callKernel(kernels.depthwise, DepthwiseArgs(s: s, x: x, weights: weights, bias: bias, activation: activation, y: y,
                                                planes: planes))
}

/// The whole convolution of a batch: y [N, M, outH, outW] = act(W ⊛ x + bias), x [N, C, inH, inW].
/// `weights` from `conv2dPackWeights`; `scratch` holds `scratchCount` floats (nil when 0).
/// Pointwise convs read x directly as the GEMM's B; others go through the packed im2col matrix.
public func conv2dForward(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                          bias: UnsafePointer<Float>?, activation: DenseActivation, y: UnsafeMutablePointer<Float>,
                          scratch: UnsafeMutablePointer<Float>?, parallel: any ParallelLoop = SerialLoop(),
                          kernels: KernelTable = .active) {
    if s.batch == 0 || s.outPlane == 0 || s.outChannels == 0 { return }
    if s.isDepthwise {
        parallel.parallelFor(s.batch * s.inChannels, grain: 1,
                             Conv2DDepthwiseTask(s: s, x: x, weights: weights, bias: bias, activation: activation, y: y,
                                                 kernels: kernels))
        return
    }
    guard let packed = scratch else { return }
    let mg = s.outChannelsPerGroup, k = s.gemmK, n = s.outPlane
    let perGroup = sgemmPackedACount(m: mg, k: k)
    if !s.isPointwise && conv2dFused(s) {
        // Every (image, group, B panel) of a chunk of images is one task: pack the panel, then
        // multiply it by all of the group's A panels while it is in L1.
        let ib = conv2dChunkImages(s)
        let pad = conv2dPadded(s)
        let panelFloats = ib * s.group * sgemmPackedBCount(k: k, n: n)
        var b0 = 0
        while b0 < s.batch {
            let nb = min(ib, s.batch - b0)
            var xs = x + b0 * s.inChannels * s.inPlane
            if pad {
                let (ph, pw) = s.paddedPlane
                let dst = packed + panelFloats
                parallel.parallelFor(nb * s.inChannels, grain: 1, Conv2DPadTask(s: s, x: xs, into: dst, ph: ph, pw: pw))
                xs = UnsafePointer(dst)
            }
            let task = Conv2DFusedTask(s: s, x: xs, weights: weights, bias: bias,
                                       activation: activation, y: y + b0 * s.outChannels * n, scratch: packed,
                                       kernels: kernels)
            parallel.parallelFor(nb * s.group * task.panelsPerGroup, grain: 1, task)
            b0 += nb
        }
        return
    }
    for b in 0 ..< s.batch {
        for g in 0 ..< s.group {
            let xg = x + (b * s.inChannels + g * s.channelsPerGroup) * s.inPlane
            let yg = y + (b * s.outChannels + g * mg) * n
            parallel.parallelFor(conv2dInputPanels(s), grain: 1, Conv2DPackInputTask(s: s, x: xg, into: packed))
            let epi = DenseEpilogue(bias: bias.map { $0 + g * mg }, biasRowStride: 1, biasColStride: 0,
                                    activation: activation)
            let compute = SGEMMComputeTask(m: mg, n: n, k: k, packedA: weights + g * perGroup, packedB: packed,
                                           c: yg, ldc: n, epilogue: epi, kernels: kernels)
            parallel.parallelFor(compute.split.count, grain: 1, compute)
        }
    }
}

/// The fused path of `conv2dForward` over task indices (image · group + g) · panelsPerGroup + q
/// of a chunk of images; panel q of (image, group) is packed into its own slot of the scratch.
/// `x` is the chunk's input, or its zero-padded copy when `conv2dPadded`.
struct Conv2DFusedTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: DenseActivation
    let y: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let panelsPerGroup: Int
    let kernels: KernelTable

    init(s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
         activation: DenseActivation, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
         kernels: KernelTable) {
        self.s = s; self.x = x; self.weights = weights; self.bias = bias
        self.activation = activation; self.y = y; self.scratch = scratch; self.kernels = kernels
        panelsPerGroup = sgemmPanelsB(s.outPlane)
    }

    func run(_ r: Range<Int>) {
        let mg = s.outChannelsPerGroup, k = s.gemmK, n = s.outPlane, nr = sgemmNR
        let perGroup = sgemmPackedACount(m: mg, k: k)
        let aPanels = sgemmPanelsA(mg)
        let padded = conv2dPadded(s)
        let (ph, pw) = s.paddedPlane
        var q = r.lowerBound % panelsPerGroup
        var ig = r.lowerBound / panelsPerGroup
        for t in r {
            let b = ig / s.group, g = ig - b * s.group
            let slot = scratch + t * nr * k
            let c0 = b * s.inChannels + g * s.channelsPerGroup
            if padded {
                conv2dPackPanelPadded(s, x + c0 * ph * pw, ph: ph, pw: pw, panel: q, into: slot)
            } else {
                conv2dPackPanel(s, x + c0 * s.inPlane, panel: q, into: slot)
            }
            let j0 = q * nr
            let epi = DenseEpilogue(bias: bias.map { $0 + g * mg }, biasRowStride: 1, biasColStride: 0,
                                    activation: activation)
            sgemmCompute(m: mg, n: min(nr, n - j0), k: k, packedA: weights + g * perGroup, packedB: slot,
                         c: y + (b * s.outChannels + g * mg) * n + j0, ldc: n, epilogue: epi,
                         aPanels: 0 ..< aPanels, bPanels: 0 ..< 1, kernels: kernels)
            q += 1
            if q == panelsPerGroup { q = 0; ig += 1 }
        }
    }
}

/// `conv2dDepthwise` over a range of (batch, channel) planes.
struct Conv2DDepthwiseTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: DenseActivation
    let y: UnsafeMutablePointer<Float>
    let kernels: KernelTable

    func run(_ planes: Range<Int>) {
        conv2dDepthwise(s, x: x, weights: weights, bias: bias, activation: activation, y: y, planes: planes,
                        kernels: kernels)
    }
}

/// `conv2dPackInput` (im2col + pack) over a range of B panels.
struct Conv2DPackInputTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>
    let into: UnsafeMutablePointer<Float>

    func run(_ panels: Range<Int>) { conv2dPackInput(s, x, into: into, panels: panels) }
}
