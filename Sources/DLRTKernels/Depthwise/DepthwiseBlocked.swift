import DLRTKernelsCore

/// Depthwise convolution computed 8 channels at a time (one SIMD8 lane per channel); the
/// per-task kernel is the `depthwiseBlocked` entry of the ISA kernel tables
/// (DLRTKernelsShared/DepthwiseBlocked.swift).
///
/// The plane-by-plane kernel (`conv2dDepthwise`) vectorizes along a row, which only pays when
/// rows are long and the stride is 1. MobileNet-style nets spend most depthwise time in
/// stride-2 layers and on 4…32-wide planes, where it falls back to scalar code. Here a block of
/// 8 channels is first interleaved into a zero-padded scratch plane xs [ph][pw][8], so every
/// tap of every output is one unaligned vector load and one FMA, whatever the stride, dilation,
/// padding or width; the 8 results of an output position are written back to the 8 NCHW planes.
///
/// Scratch per task (one (image, channel block)): ph·pw·8 floats of padded input + kH·kW·8
/// weights + 8 bias, rounded to 16 floats. Tasks run in chunks so the scratch stays bounded.
public enum DepthwiseBlocked {
    /// Channels per block (SIMD8 lanes).
    public static let lanes = 8
    /// Floats of scratch one chunk of tasks may use (≈ 1 MiB).
    static let chunkBudget = 1 << 18

    /// Whether the blocked path is the faster one for `s` (measured on MobileNetV2 layers: long
    /// stride-1 rows are as fast in the plane kernel, without the interleaving passes).
    public static func isPreferred(for s: Conv2DShape) -> Bool {
        s.isDepthwise && s.group >= lanes / 2
    }

    /// Height and width of the zero-padded input plane: every tap of every output lies in it.
    static func paddedSize(_ s: Conv2DShape) -> (h: Int, w: Int) {
        ((s.outH - 1) * s.strideH + (s.kH - 1) * s.dilationH + 1, (s.outW - 1) * s.strideW + (s.kW - 1) * s.dilationW + 1)
    }

    static func slotFloats(_ s: Conv2DShape) -> Int {
        let (ph, pw) = paddedSize(s)
        return (ph * pw * lanes + s.kH * s.kW * lanes + lanes + 15) / 16 * 16
    }

    static func blocks(_ s: Conv2DShape) -> Int { (s.inChannels + lanes - 1) / lanes }

    static func tasksPerChunk(_ s: Conv2DShape) -> Int {
        let tasks = s.batch * blocks(s)
        return Swift.max(1, Swift.min(tasks, Swift.max(2, chunkBudget / Swift.max(1, slotFloats(s)))))
    }

    /// Floats of scratch `depthwiseBlockedForward` needs for `s`.
    public static func scratchCount(_ s: Conv2DShape) -> Int {
        s.outPlane == 0 || s.batch == 0 ? 0 : tasksPerChunk(s) * slotFloats(s)
    }
}

/// y [N, C, outH, outW] = act(depthwise(x [N, C, inH, inW], weights [C, kH·kW]) + bias [C]).
/// `scratch` holds `DepthwiseBlocked.scratchCount(s)` floats.
public func depthwiseBlockedForward(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, activation: DenseActivation,
                                    y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                    parallel: any ParallelLoop = SerialLoop(), kernels: KernelTable = .active) {
    let tasks = s.batch * DepthwiseBlocked.blocks(s)
    if tasks == 0 || s.outPlane == 0 { return }
    let chunk = DepthwiseBlocked.tasksPerChunk(s)
    let (ph, pw) = DepthwiseBlocked.paddedSize(s)
    var first = 0
    while first < tasks {
        let n = Swift.min(chunk, tasks - first)
        let args = DepthwiseBlockedArgs(s: s, x: x, weights: weights, bias: bias, activation: activation, y: y,
                                        scratch: scratch, slotFloats: DepthwiseBlocked.slotFloats(s),
                                        blocks: DepthwiseBlocked.blocks(s), paddedH: ph, paddedW: pw, firstTask: first,
                                        tasks: 0 ..< n)
        parallel.parallelFor(n, grain: 1, DepthwiseBlockedTask(args: args, kernels: kernels))
        first += n
    }
}

struct DepthwiseBlockedTask: ParallelTask {
    let args: DepthwiseBlockedArgs
    let kernels: KernelTable

    func run(_ r: Range<Int>) {
        var a = args
        a.lo = r.lowerBound
        a.hi = r.upperBound
        callKernel(kernels.depthwiseBlocked, a)
    }
}
