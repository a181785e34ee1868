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
        return max(gemmScratchCount, conv2dDirectSupports(self) ? conv2dDirectScratchCount(self) : 0)
    }

    /// `scratchCount` of the im2col / GEMM paths.
    var gemmScratchCount: Int {
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
/// need no bounds logic and strided rows vectorize — except output rows narrower than a panel,
/// which the per-ISA packer gathers straight from the input (Im2col.swift).
@inline(__always)
func conv2dPadded(_ s: Conv2DShape) -> Bool {
    s.inPlane <= 4096 && s.outW >= sgemmNR && s.outW < 4 * sgemmNR
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
    conv2dPackWeights(s, w, into: buf.pointer)
    return buf
}

/// The same packing into `dst` (`s.packedWeightCount` floats), for a W fed at run time.
public func conv2dPackWeights(_ s: Conv2DShape, _ w: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
    if s.isDepthwise {
        dst.update(from: w, count: s.packedWeightCount)
        return
    }
    let mg = s.outChannelsPerGroup, k = s.gemmK
    let per = sgemmPackedACount(m: mg, k: k)
    for g in 0 ..< s.group {
        sgemmPackA(m: mg, k: k, a: w + g * mg * k, lda: k, transA: false, into: dst + g * per,
                   panels: 0 ..< sgemmPanelsA(mg))
    }
}

/// Number of B panels (tasks) of the im2col pack of one group.
public func conv2dInputPanels(_ s: Conv2DShape) -> Int { sgemmPanelsB(s.outPlane) }

/// Packs panels `panels` of the im2col matrix (K × outH·outW) of one group of one image;
/// `x` points at the group's first input channel.
public func conv2dPackInput(_ s: Conv2DShape, _ x: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>,
                            panels: Range<Int>, kernels: KernelTable = .active) {
    if s.isPointwise {
        sgemmPackB(k: s.gemmK, n: s.outPlane, b: x, ldb: s.outPlane, transB: false, into: dst, panels: panels)
        return
    }
    callKernel(kernels.convPack, ConvPackArgs(s: s, x: x, into: dst, panels: panels))
}

/// Output indices o in 0..<outCount whose position o·stride + offset lies in lo..<hi.
@inline(__always)
func denseValidRange(offset: Int, stride: Int, lo: Int, hi: Int, outCount: Int) -> Range<Int> {
    let b = denseValidBounds(offset: offset, stride: stride, lo: lo, hi: hi, outCount: outCount)
    return b.lowerBound ..< b.upperBound
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
    if conv2dUsesDirect(s, kernels: kernels) {
        conv2dDirectForward(s, x: x, weights: weights, bias: bias, activation: activation, y: y, scratch: packed,
                            parallel: parallel, kernels: kernels)
        return
    }
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
                parallel.parallelFor(nb * s.inChannels, grain: 1, Conv2DPadTask(s: s, x: xs, into: dst, ph: ph, pw: pw,
                                                                                   kernels: kernels))
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
            parallel.parallelFor(conv2dInputPanels(s), grain: 1, Conv2DPackInputTask(s: s, x: xg, into: packed,
                                                                                            kernels: kernels))
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
        let (ph, pw) = s.paddedPlane
        callKernel(kernels.convFused, ConvFusedArgs(s: s, x: x, weights: weights, bias: bias, activation: activation, y: y,
                                                    scratch: scratch, panelsPerGroup: panelsPerGroup,
                                                    padded: conv2dPadded(s), ph: ph, pw: pw, tasks: r))
    }
}

/// Copies input planes (index image · C + channel) into zero-padded planes of ph × pw.
struct Conv2DPadTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>
    let into: UnsafeMutablePointer<Float>
    let ph: Int, pw: Int
    let kernels: KernelTable

    func run(_ planes: Range<Int>) {
        callKernel(kernels.convPad, ConvPadArgs(s: s, x: x, into: into, ph: ph, pw: pw, planes: planes))
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
    let kernels: KernelTable

    func run(_ panels: Range<Int>) { conv2dPackInput(s, x, into: into, panels: panels, kernels: kernels) }
}

// conv32: direct convolution (per-ISA kernels in DLRTKernelsShared/ConvDirect.swift).

/// True when `conv2dForward` convolves `s` with the direct kernels of `kernels` instead of
/// im2col + GEMM: on AVX-512 (the 12×32 tile needs 32 vector registers), for every shape the
/// direct kernels handle except 1×1 stride-1 unpadded (the input is the GEMM's B as it is).
public func conv2dUsesDirect(_ s: Conv2DShape, kernels: KernelTable) -> Bool {
    kernels.isa >= .avx512 && conv2dDirectSupports(s)
}

/// Shapes the direct kernels handle (every dense conv; tap offsets must fit Int32).
public func conv2dDirectSupports(_ s: Conv2DShape) -> Bool {
    !s.isDepthwise && !s.isPointwise && s.outPlane > 0 && ConvDirectGeometry(s).imageFloats < 1 << 30
}

/// Floats of scratch `conv2dDirectForward` needs: one prepared image, then kH · kW Int32 tap offsets.
public func conv2dDirectScratchCount(_ s: Conv2DShape) -> Int {
    ConvDirectGeometry(s).imageFloats + s.kH * s.kW
}

/// The whole convolution of a batch with the direct kernels (`conv2dDirectSupports(s)`):
/// y [N, M, outH, outW] = act(W ⊛ x + bias); `weights` from `conv2dPackWeights`, `scratch` of
/// `conv2dDirectScratchCount(s)` floats. Per image: prepare the input (parallel over channels),
/// then (group, tile) tasks in parallel; each output element is computed by one task, by the same
/// operations whatever the split.
public func conv2dDirectForward(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                bias: UnsafePointer<Float>?, activation: DenseActivation,
                                y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                parallel: any ParallelLoop = SerialLoop(), kernels: KernelTable = .active) {
    if s.batch == 0 || s.outPlane == 0 || s.outChannels == 0 { return }
    let geo = ConvDirectGeometry(s)
    let tapBytes = UnsafeMutableRawPointer(scratch + geo.imageFloats)
    for kh in 0 ..< s.kH {
        for kw in 0 ..< s.kW {
            tapBytes.storeBytes(of: Int32(truncatingIfNeeded: geo.tapOffset(s, kh: kh, kw: kw)),
                                toByteOffset: 4 * (kh * s.kW + kw), as: Int32.self)
        }
    }
    let taps = UnsafePointer(tapBytes.assumingMemoryBound(to: Int32.self))
    (scratch + geo.imageFloats - convDirectTile).update(repeating: 0, count: convDirectTile)
    // Tiles per chunk: the chunk's prepared input (all channels of a group, every phase) ≈ 512 KB.
    let phases = s.strideH * s.strideW
    let span = max(1, s.channelsPerGroup * phases)
    let chunk = max(1, ((1 << 17) / span - s.kH * geo.pw) / convDirectTile)
    // Few tiles (small planes, many output channels): output channels split into row blocks too,
    // so that threads share the weights instead of each streaming all of them.
    let aPairs = (sgemmPanelsA(s.outChannelsPerGroup) + 1) / 2
    let rowBlocks = s.group * geo.tiles >= 8 ? 1 : min(aPairs, (8 + s.group * geo.tiles - 1) / (s.group * geo.tiles))
    let panelsPerBlock = 2 * ((aPairs + rowBlocks - 1) / rowBlocks)
    for b in 0 ..< s.batch {
        parallel.parallelFor(s.inChannels, grain: 1,
                             ConvDirectPrepTask(s: s, geo: geo, x: x + b * s.inChannels * s.inPlane, into: scratch,
                                                kernels: kernels))
        parallel.parallelFor(s.group * rowBlocks * geo.tiles, grain: 1,
                             ConvDirectTask(s: s, geo: geo, x: scratch, taps: taps, weights: weights, bias: bias,
                                            activation: activation, y: y + b * s.outChannels * s.outPlane,
                                            chunk: chunk, rowBlocks: rowBlocks, panelsPerBlock: panelsPerBlock,
                                            kernels: kernels))
    }
}

/// `convDirectPrep` over a range of input channels of one image.
struct ConvDirectPrepTask: ParallelTask {
    let s: Conv2DShape, geo: ConvDirectGeometry
    let x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>
    let kernels: KernelTable

    func run(_ r: Range<Int>) {
        callKernel(kernels.convDirectPrep, ConvDirectPrepArgs(s: s, geo: geo, x: x, into: into, channels: r))
    }
}

/// `convDirect` over a range of (group, tile) tasks of one image.
struct ConvDirectTask: ParallelTask {
    let s: Conv2DShape, geo: ConvDirectGeometry
    let x: UnsafePointer<Float>, taps: UnsafePointer<Int32>
    let weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: DenseActivation
    let y: UnsafeMutablePointer<Float>
    let chunk: Int, rowBlocks: Int, panelsPerBlock: Int
    let kernels: KernelTable

    func run(_ r: Range<Int>) {
        callKernel(kernels.convDirect, ConvDirectArgs(s: s, geo: geo, x: x, taps: taps, weights: weights, bias: bias,
                                                      activation: activation, y: y, chunk: chunk, rowBlocks: rowBlocks,
                                                      panelsPerBlock: panelsPerBlock, tasks: r))
    }
}
