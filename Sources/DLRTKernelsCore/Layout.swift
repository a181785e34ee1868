/// Packed operand layouts of the SGEMM, the same for every ISA (BLIS style, full-K panels so a K
/// block is an offset; pre-packed weights do not depend on the CPU):
/// - packed A: panels of `sgemmMR` rows; panel p holds K × MR floats, element (i, k) at
///   `p * MR * K + k * MR + (i - p * MR)`; rows past M are zero.
/// - packed B: panels of `sgemmNR` columns; panel q holds K × NR floats, element (k, j) at
///   `q * NR * K + k * NR + (j - q * NR)`; columns past N are zero.
/// The per-ISA micro-kernels cover several panels at once (AVX-512: 6×64 = one A panel × four
/// B panels, 12×16 = two A panels × one B panel).
@inlinable public var sgemmMR: Int { 6 }
@inlinable public var sgemmNR: Int { 16 }
/// K block: every C element is one FMA chain over k, finished (stored) every `sgemmKC` steps.
@inlinable public var sgemmKC: Int { 256 }
/// A panels per row block of the compute loop (a block of packed A stays in L2).
@inlinable public var sgemmMCPanels: Int { 16 }
/// Largest M that takes the small-M path.
@inlinable public var sgemmSmallM: Int { 4 }

/// Floats of a packed A of `m` × `k`.
public func sgemmPackedACount(m: Int, k: Int) -> Int { roundUp(m, sgemmMR) * k }
/// Floats of a packed B of `k` × `n`.
public func sgemmPackedBCount(k: Int, n: Int) -> Int { roundUp(n, sgemmNR) * k }
/// Number of A / B panels.
public func sgemmPanelsA(_ m: Int) -> Int { (m + sgemmMR - 1) / sgemmMR }
public func sgemmPanelsB(_ n: Int) -> Int { (n + sgemmNR - 1) / sgemmNR }

@inlinable @inline(__always) public func ceilDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
@inlinable @inline(__always) public func floorDiv(_ a: Int, _ b: Int) -> Int { a >= 0 ? a / b : -((-a + b - 1) / b) }

/// Output indices o in 0..<outCount whose position o·stride + offset lies in lo..<hi, as bounds
/// (no `Range` in the ISA modules: its generic code could be shared between them by the linker;
/// DLRTKernels' `denseValidRange` gives the same as a `Range`).
@inlinable @inline(__always)
public func denseValidBounds(offset: Int, stride: Int, lo: Int, hi: Int, outCount: Int) -> (lowerBound: Int, upperBound: Int) {
    if stride == 1 {
        let a = Swift.max(0, lo - offset), b = Swift.min(outCount, hi - offset)
        return a < b ? (a, b) : (0, 0)
    }
    let a = Swift.max(0, ceilDiv(lo - offset, stride))
    let b = Swift.min(outCount, floorDiv(hi - 1 - offset, stride) + 1)
    return a < b ? (a, b) : (0, 0)
}

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

    @inlinable public var channelsPerGroup: Int { inChannels / group }
    @inlinable public var outChannelsPerGroup: Int { outChannels / group }
    /// GEMM reduction length: C/group × kH × kW.
    @inlinable public var gemmK: Int { channelsPerGroup * kH * kW }
    @inlinable public var outPlane: Int { outH * outW }
    @inlinable public var inPlane: Int { inH * inW }
    /// 1×1, stride 1, unpadded: the input plane is the GEMM's B matrix as it is.
    @inlinable public var isPointwise: Bool {
        kH == 1 && kW == 1 && strideH == 1 && strideW == 1 && padTop == 0 && padLeft == 0
            && outH == inH && outW == inW
    }
    /// One input and one output channel per group.
    @inlinable public var isDepthwise: Bool { group == inChannels && group == outChannels && group > 1 }
}
