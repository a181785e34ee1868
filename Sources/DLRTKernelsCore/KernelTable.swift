/// The float32 kernel tables of the runtime CPU dispatch (see docs/ARCHITECTURE.md, "Kernels and
/// CPU dispatch"). Each per-ISA module (DLRTKernelsAVX512, DLRTKernelsAVX2, DLRTKernelsBaseline)
/// compiles the same kernel sources with its own `-target-cpu` and exports one `KernelTable`;
/// DLRTKernels picks one at first use (`KernelTable.active`).
///
/// Entries are C function pointers taking a pointer to an argument struct below: the table is
/// plain data (no reference counting when it is copied into tasks), and an ISA module's interface
/// is raw pointers and trivial structs only (no generic code shared between ISA modules).

/// Instruction-set levels, lowest first (the values of `cdlrt_cpu_isa_level`).
public enum KernelISA: Int, Sendable, CaseIterable, Comparable {
    case baseline = 0
    case avx2 = 1
    case avx512 = 2

    /// "baseline" | "avx2" | "avx512" (the spelling of `DLRT_ISA`).
    public var name: String {
        switch self {
        case .baseline: return "baseline"
        case .avx2: return "avx2"
        case .avx512: return "avx512"
        }
    }

    public static func < (a: KernelISA, b: KernelISA) -> Bool { a.rawValue < b.rawValue }
}

/// One ISA's kernels. Every entry computes exactly what the portable driver asks (same packed
/// layouts, `sgemmMR` × `sgemmNR` panels, K blocks of `sgemmKC`, in every ISA).
public struct KernelTable: Sendable {
    public typealias Entry = @convention(c) (UnsafeRawPointer) -> Void
    public let isa: KernelISA
    /// `SGEMMComputeArgs`: tiles of packed A panels × packed B panels.
    public let gemmCompute: Entry
    /// `SGEMMSmallMArgs`: M ≤ `sgemmSmallM` rows of an unpacked A × packed B panels.
    public let gemmSmallM: Entry
    /// `DepthwiseArgs`: depthwise convolution of a range of planes.
    public let depthwise: Entry
    /// `DepthwiseBlockedArgs`: depthwise convolution, 8 channels per vector, of a range of tasks.
    public let depthwiseBlocked: Entry
    /// `ConvPackArgs`: im2col-packs B panels of one group of one image.
    public let convPack: Entry
    /// `ConvFusedArgs`: packs and multiplies B panels of a chunk of images (the fused conv path).
    public let convFused: Entry
    /// `ConvPadArgs`: copies input planes into zero-padded planes.
    public let convPad: Entry
    /// `UnaryArgs`: an exp-based activation (Elu, Sigmoid, Tanh) over a buffer.
    public let unary: Entry
    /// `FMAPeakArgs`: a pure multiply-add loop (the peak `dlrt bench-gemm` compares with).
    public let fmaPeak: Entry
    /// `SoftmaxRowsArgs`: Softmax or LogSoftmax of contiguous rows.
    public let softmaxRows: Entry
    /// `LayerNormRowsArgs`: LayerNormalization of contiguous rows.
    public let layerNormRows: Entry
    /// `BinaryArgs`: float32 Add/Sub/Mul/Div of a row (operands contiguous or one broadcast).
    public let binary: Entry
    /// `RecurrentCellArgs`: the gate math of one LSTM / GRU batch row (default activations).
    public let recurrentCell: Entry
    // conv32
    /// `ConvDirectPrepArgs`: zero-padded, stride-phase-split copies of input channels (direct conv).
    public let convDirectPrep: Entry
    /// `ConvDirectArgs`: direct convolution of (group, 32-position tile) tasks of one image.
    public let convDirect: Entry
    // rn2
    /// `MaxPoolArgs`: 2-D max pooling of a range of planes.
    public let maxPool: Entry

    public init(isa: KernelISA, gemmCompute: Entry, gemmSmallM: Entry, depthwise: Entry, depthwiseBlocked: Entry,
                convPack: Entry, convFused: Entry, convPad: Entry, unary: Entry, fmaPeak: Entry,
                softmaxRows: Entry, layerNormRows: Entry, binary: Entry, recurrentCell: Entry,
                convDirectPrep: Entry, convDirect: Entry, maxPool: Entry) {
        self.isa = isa
        self.gemmCompute = gemmCompute
        self.gemmSmallM = gemmSmallM
        self.depthwise = depthwise
        self.depthwiseBlocked = depthwiseBlocked
        self.convPack = convPack
        self.convFused = convFused
        self.convPad = convPad
        self.unary = unary
        self.fmaPeak = fmaPeak
        self.softmaxRows = softmaxRows
        self.layerNormRows = layerNormRows
        self.binary = binary
        self.recurrentCell = recurrentCell
        self.convDirectPrep = convDirectPrep  // conv32
        self.convDirect = convDirect  // conv32
        self.maxPool = maxPool  // rn2
    }
}

/// C tiles covered by A panels `aLo..<aHi` × B panels `bLo..<bHi` of packed A (m × k) and packed
/// B (k × n): C[m × n] (row stride ldc) = epilogue(A · B).
public struct SGEMMComputeArgs {
    public var m: Int, n: Int, k: Int
    public var packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>
    public var c: UnsafeMutablePointer<Float>, ldc: Int
    public var epilogue: DenseEpilogue
    public var aLo: Int, aHi: Int, bLo: Int, bHi: Int

    public init(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: DenseEpilogue, aPanels: Range<Int>, bPanels: Range<Int>) {
        self.m = m; self.n = n; self.k = k
        self.packedA = packedA; self.packedB = packedB
        self.c = c; self.ldc = ldc
        self.epilogue = epilogue
        aLo = aPanels.lowerBound; aHi = aPanels.upperBound
        bLo = bPanels.lowerBound; bHi = bPanels.upperBound
    }
}

/// Columns of B panels `bLo..<bHi` of C = epilogue(op(A) · packedB), m ≤ `sgemmSmallM`;
/// op(A)[i, k] = transA ? a[k * lda + i] : a[i * lda + k].
public struct SGEMMSmallMArgs {
    public var m: Int, n: Int, k: Int
    public var a: UnsafePointer<Float>, lda: Int, transA: Bool
    public var packedB: UnsafePointer<Float>
    public var c: UnsafeMutablePointer<Float>, ldc: Int
    public var epilogue: DenseEpilogue
    public var bLo: Int, bHi: Int

    public init(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool, packedB: UnsafePointer<Float>,
                c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: DenseEpilogue, panels: Range<Int>) {
        self.m = m; self.n = n; self.k = k
        self.a = a; self.lda = lda; self.transA = transA
        self.packedB = packedB
        self.c = c; self.ldc = ldc
        self.epilogue = epilogue
        bLo = panels.lowerBound; bHi = panels.upperBound
    }
}

/// Depthwise convolution (group == C == M) of planes `lo..<hi` (index = image · C + channel).
public struct DepthwiseArgs {
    public var s: Conv2DShape
    public var x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    public var activation: DenseActivation
    public var y: UnsafeMutablePointer<Float>
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                activation: DenseActivation, y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        self.s = s; self.x = x; self.weights = weights; self.bias = bias
        self.activation = activation; self.y = y
        lo = planes.lowerBound; hi = planes.upperBound
    }
}

/// Channel-blocked depthwise convolution (DLRTKernels/Depthwise/DepthwiseBlocked.swift): tasks
/// `lo..<hi` of a chunk starting at task `firstTask` (task = image · blocks + block of 8 channels);
/// task t of the chunk uses the `slotFloats` floats at `scratch + t · slotFloats`.
public struct DepthwiseBlockedArgs {
    public var s: Conv2DShape
    public var x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    public var activation: DenseActivation
    public var y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    public var slotFloats: Int, blocks: Int, paddedH: Int, paddedW: Int, firstTask: Int
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                activation: DenseActivation, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                slotFloats: Int, blocks: Int, paddedH: Int, paddedW: Int, firstTask: Int, tasks: Range<Int>) {
        self.s = s; self.x = x; self.weights = weights; self.bias = bias
        self.activation = activation; self.y = y; self.scratch = scratch
        self.slotFloats = slotFloats; self.blocks = blocks; self.paddedH = paddedH; self.paddedW = paddedW
        self.firstTask = firstTask
        lo = tasks.lowerBound; hi = tasks.upperBound
    }
}

/// Im2col B panels `lo..<hi` of one group of one image (`x`: the group's first input channel).
public struct ConvPackArgs {
    public var s: Conv2DShape
    public var x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, panels: Range<Int>) {
        self.s = s; self.x = x; self.into = into
        lo = panels.lowerBound; hi = panels.upperBound
    }
}

/// Fused conv tasks `lo..<hi` = (image · group + g) · panelsPerGroup + q of a chunk of images;
/// `x` is the chunk's input, or its zero-padded copy (planes of ph × pw) when `padded`.
public struct ConvFusedArgs {
    public var s: Conv2DShape
    public var x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    public var activation: DenseActivation
    public var y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>
    public var panelsPerGroup: Int
    public var padded: Bool, ph: Int, pw: Int
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                activation: DenseActivation, y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                panelsPerGroup: Int, padded: Bool, ph: Int, pw: Int, tasks: Range<Int>) {
        self.s = s; self.x = x; self.weights = weights; self.bias = bias
        self.activation = activation; self.y = y; self.scratch = scratch
        self.panelsPerGroup = panelsPerGroup
        self.padded = padded; self.ph = ph; self.pw = pw
        lo = tasks.lowerBound; hi = tasks.upperBound
    }
}

/// Input planes `lo..<hi` (index image · C + channel) copied into zero-padded planes of ph × pw.
public struct ConvPadArgs {
    public var s: Conv2DShape
    public var x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>
    public var ph: Int, pw: Int
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>, ph: Int, pw: Int,
                planes: Range<Int>) {
        self.s = s; self.x = x; self.into = into; self.ph = ph; self.pw = pw
        lo = planes.lowerBound; hi = planes.upperBound
    }
}

/// dst[i] = f(src[i]) for i < count, f the `UnaryKernel` `kind` (with `parameter`: Elu's alpha).
public struct UnaryArgs {
    public var kind: UnaryKernel, parameter: Float
    public var src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>, count: Int

    public init(kind: UnaryKernel, parameter: Float, src: UnsafePointer<Float>, dst: UnsafeMutablePointer<Float>,
                count: Int) {
        self.kind = kind; self.parameter = parameter
        self.src = src; self.dst = dst; self.count = count
    }
}

/// `iterations` × 12 × lanes × 2 flops of register-only multiply-adds (lanes: 16 AVX-512, 8 AVX2,
/// 4 baseline); the result goes to `sink`.
public struct FMAPeakArgs {
    public var iterations: Int
    public var sink: UnsafeMutablePointer<Float>

    public init(iterations: Int, sink: UnsafeMutablePointer<Float>) {
        self.iterations = iterations
        self.sink = sink
    }
}

/// Rows `lo..<hi` of a row-major [rows, n] matrix, n ≥ 1: y = softmax(x) per row, or
/// y = x − max − ln Σ e^(x − max) when `log` (LogSoftmax). `y` may equal `x`.
public struct SoftmaxRowsArgs {
    public var x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    public var n: Int, log: Bool
    public var lo: Int, hi: Int

    public init(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, n: Int, log: Bool, rows: Range<Int>) {
        self.x = x; self.y = y; self.n = n; self.log = log
        lo = rows.lowerBound; hi = rows.upperBound
    }
}

/// Rows `lo..<hi` of a row-major [rows, n] matrix, n ≥ 1: y = (x − mean) / sqrt(var + epsilon) ·
/// scale + bias (two-pass mean and biased variance). `scaleStride`, `biasStride`: 1 (n values) or
/// 0 (one value); `bias` may be nil.
public struct LayerNormRowsArgs {
    public var x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    public var n: Int, epsilon: Float
    public var scale: UnsafePointer<Float>, scaleStride: Int
    public var bias: UnsafePointer<Float>?, biasStride: Int
    public var lo: Int, hi: Int

    public init(x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, n: Int, epsilon: Float,
                scale: UnsafePointer<Float>, scaleStride: Int, bias: UnsafePointer<Float>?, biasStride: Int,
                rows: Range<Int>) {
        self.x = x; self.y = y; self.n = n; self.epsilon = epsilon
        self.scale = scale; self.scaleStride = scaleStride; self.bias = bias; self.biasStride = biasStride
        lo = rows.lowerBound; hi = rows.upperBound
    }
}

/// The float32 arithmetic of the `binary` entry (exact IEEE operations: every ISA gives the same bits).
public enum BinaryKernel: Int, Sendable, CaseIterable {
    case add = 0, sub, mul, div
}

/// c[i] = a[i·sa] op b[i·sb] for i < count; sa, sb each 0 (one value broadcast) or 1.
public struct BinaryArgs {
    public var op: BinaryKernel
    public var a: UnsafePointer<Float>, sa: Int
    public var b: UnsafePointer<Float>, sb: Int
    public var c: UnsafeMutablePointer<Float>, count: Int

    public init(op: BinaryKernel, a: UnsafePointer<Float>, sa: Int, b: UnsafePointer<Float>, sb: Int,
                c: UnsafeMutablePointer<Float>, count: Int) {
        self.op = op; self.a = a; self.sa = sa; self.b = b; self.sb = sb; self.c = c; self.count = count
    }
}

// conv32
/// Geometry of the direct convolution (ConvDirect.swift). The input of one image is copied,
/// zero-padded, into `strideH · strideW` phase planes per channel (phase (pr, pc) holds padded
/// rows pr, pr + sH, … and columns pc, pc + sW, …; `ph` × `pw` floats each), so every tap of a
/// convolution of any stride is a stride-1 shift: output (oh, ow) ↔ flat position f = oh · pw + ow,
/// and tap (kh, kw) of channel c reads the prepared input at c · channelStride + tap offset + f.
/// Positions with ow ≥ outW are computed and dropped.
public struct ConvDirectGeometry {
    /// Rows and columns of one phase plane; floats per phase plane and per channel.
    public var ph: Int, pw: Int, phasePlane: Int, channelStride: Int
    /// Flat positions (last one + 1) and tiles of `convDirectTile` of them.
    public var flat: Int, tiles: Int
    /// Floats of one prepared image (all input channels + `convDirectTile` of zeroed slack: the
    /// last tile reads up to 31 positions past the last channel).
    public var imageFloats: Int

    public init(_ s: Conv2DShape) {
        ph = s.outH + (s.kH - 1) * s.dilationH / s.strideH
        pw = s.outW + (s.kW - 1) * s.dilationW / s.strideW
        phasePlane = ph * pw
        channelStride = s.strideH * s.strideW * phasePlane
        flat = (s.outH - 1) * pw + s.outW
        tiles = (flat + convDirectTile - 1) / convDirectTile
        imageFloats = s.inChannels * channelStride + convDirectTile
    }

    /// Offset of tap (kh, kw) inside a channel of the prepared input.
    @inlinable @inline(__always)
    public func tapOffset(_ s: Conv2DShape, kh: Int, kw: Int) -> Int {
        let rh = kh * s.dilationH, rw = kw * s.dilationW
        let phase = (rh % s.strideH) * s.strideW + rw % s.strideW
        return phase * phasePlane + (rh / s.strideH) * pw + rw / s.strideW
    }
}

/// Output positions per direct-conv tile (two 16-float vectors).
@inlinable public var convDirectTile: Int { 32 }

/// Input channels `lo..<hi` of one image `x` prepared into `into` (see `ConvDirectGeometry`).
public struct ConvDirectPrepArgs {
    public var s: Conv2DShape, geo: ConvDirectGeometry
    public var x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, geo: ConvDirectGeometry, x: UnsafePointer<Float>, into: UnsafeMutablePointer<Float>,
                channels: Range<Int>) {
        self.s = s; self.geo = geo; self.x = x; self.into = into
        lo = channels.lowerBound; hi = channels.upperBound
    }
}

/// Direct convolution tasks `lo..<hi` = (g · rowBlocks + rb) · geo.tiles + tile of one image:
/// y = act(W ⊛ x + bias) for the tile's output positions and the output channels of row block rb
/// (`panelsPerBlock` A panels, even) of group g. `x`: the prepared image; `taps`: kH · kW tap
/// offsets; `weights`: packed A per group (`conv2dPackWeights`); `y`: the image's output;
/// `chunk`: tiles multiplied by one pair of A panels before the next pair.
public struct ConvDirectArgs {
    public var s: Conv2DShape, geo: ConvDirectGeometry
    public var x: UnsafePointer<Float>, taps: UnsafePointer<Int32>
    public var weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    public var activation: DenseActivation
    public var y: UnsafeMutablePointer<Float>
    public var chunk: Int, rowBlocks: Int, panelsPerBlock: Int
    public var lo: Int, hi: Int

    public init(s: Conv2DShape, geo: ConvDirectGeometry, x: UnsafePointer<Float>, taps: UnsafePointer<Int32>,
                weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: DenseActivation,
                y: UnsafeMutablePointer<Float>, chunk: Int, rowBlocks: Int, panelsPerBlock: Int, tasks: Range<Int>) {
        self.s = s; self.geo = geo; self.x = x; self.taps = taps; self.weights = weights; self.bias = bias
        self.activation = activation; self.y = y; self.chunk = chunk
        self.rowBlocks = rowBlocks; self.panelsPerBlock = panelsPerBlock
        lo = tasks.lowerBound; hi = tasks.upperBound
    }
}

/// Calls a table entry with `args` (passed by address).
@inlinable @inline(__always)
public func callKernel<Args>(_ entry: KernelTable.Entry, _ args: Args) {
    withUnsafePointer(to: args) { entry(UnsafeRawPointer($0)) }
}

/// One batch row of one time step of an LSTM with Sigmoid / Tanh / Tanh (gates i, o, f, c), or a
/// GRU with Sigmoid / Tanh and linear_before_reset = 1 (gates z, r, h), no peepholes, not
/// input_forget (DLRTKernels/Recurrent: `RecurrentCellMath` is the general form, same equations):
///   LSTM: c = σ(f)·c + σ(i)·tanh(g); h = σ(o)·tanh(c), each gate = clip(xw + pre);
///   GRU:  h = (1 − σ(z))·tanh(clip(xw_h + σ(r)·pre_h)) + σ(z)·h, z, r = clip(xw + pre).
/// `xw`, `pre` [G·hidden] (pre = Ht-1·Rᵀ + recurrent bias), `c`, `h` [hidden] updated in place;
/// `clip` = +∞ when off.
public struct RecurrentCellArgs {
    public var gru: Bool
    public var hidden: Int
    public var clip: Float
    public var xw: UnsafePointer<Float>, pre: UnsafePointer<Float>
    public var c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>

    public init(gru: Bool, hidden: Int, clip: Float, xw: UnsafePointer<Float>, pre: UnsafePointer<Float>,
                c: UnsafeMutablePointer<Float>, h: UnsafeMutablePointer<Float>) {
        self.gru = gru; self.hidden = hidden; self.clip = clip
        self.xw = xw; self.pre = pre; self.c = c; self.h = h
    }
}

// rn2
/// MaxPool of planes `lo..<hi` (plane p: x + p·inH·inW → y + p·outH·outW): y = the max of the
/// in-bounds window taps (padding never wins; a NaN tap wins), taps visited kh-major, kw-minor.
/// Windows with no in-bounds tap give −∞.
public struct MaxPoolArgs {
    public var inH: Int, inW: Int, outH: Int, outW: Int
    public var kH: Int, kW: Int, strideH: Int, strideW: Int
    public var padTop: Int, padLeft: Int, dilationH: Int, dilationW: Int
    public var x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    public var lo: Int, hi: Int

    public init(inH: Int, inW: Int, outH: Int, outW: Int, kH: Int, kW: Int, strideH: Int, strideW: Int,
                padTop: Int, padLeft: Int, dilationH: Int, dilationW: Int,
                x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>, planes: Range<Int>) {
        self.inH = inH; self.inW = inW; self.outH = outH; self.outW = outW
        self.kH = kH; self.kW = kW; self.strideH = strideH; self.strideW = strideW
        self.padTop = padTop; self.padLeft = padLeft; self.dilationH = dilationH; self.dilationW = dilationW
        self.x = x; self.y = y
        lo = planes.lowerBound; hi = planes.upperBound
    }
}
