// DepthToSpace and SpaceToDepth of [N, C, H, W] (any element size), one output row at a time.
// DepthToSpace: output row (n, c, h·b + bh) interleaves the b input rows (n, channel(c, bh, bw), h)
// for bw = 0…b−1. SpaceToDepth: output row (n, channel(c, bh, bw), h) takes every b-th element
// of input row (n, c, h·b + bh) from bw on. channel(c, bh, bw) = (bh·b + bw)·C' + c (DCR) or
// c·b² + bh·b + bw (CRD), with C' the channels of the deep side divided by b².

public struct DepthSpacePlan: Sendable, Equatable {
    /// The deep tensor [N, C·b², H, W] and block size.
    public let batch: Int, channels: Int, height: Int, width: Int, block: Int
    public let crd: Bool
    /// True for DepthToSpace (deep → spatial), false for SpaceToDepth.
    public let toSpace: Bool
    public let elementSize: Int

    /// `shape` is the op's input; the caller checks the divisibility rules.
    public init(depthToSpace shape: [Int], blocksize b: Int, crd: Bool, elementSize: Int) {
        batch = shape[0]; channels = shape[1] / (b * b); height = shape[2]; width = shape[3]; block = b
        self.crd = crd; toSpace = true; self.elementSize = elementSize
    }

    public init(spaceToDepth shape: [Int], blocksize b: Int, crd: Bool, elementSize: Int) {
        batch = shape[0]; channels = shape[1]; height = shape[2] / b; width = shape[3] / b; block = b
        self.crd = crd; toSpace = false; self.elementSize = elementSize
    }

    public var outputShape: [Int] {
        toSpace ? [batch, channels, height * block, width * block] : [batch, channels * block * block, height, width]
    }

    /// Output rows: N · C · H·b (DepthToSpace) or N · C·b² · H (SpaceToDepth).
    public var rowCount: Int { toSpace ? batch * channels * height * block : batch * channels * block * block * height }

    @inline(__always)
    func deepChannel(_ c: Int, _ bh: Int, _ bw: Int) -> Int {
        crd ? (c * block + bh) * block + bw : (bh * block + bw) * channels + c
    }

    public func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, rows: Range<Int>) {
        switch elementSize {
        case 1: run(UInt8.self, src, dst, rows)
        case 2: run(UInt16.self, src, dst, rows)
        case 4: run(UInt32.self, src, dst, rows)
        default: run(UInt64.self, src, dst, rows)
        }
    }

    @inline(__always)
    func run<T>(_: T.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ rows: Range<Int>) {
        let x = src.assumingMemoryBound(to: T.self), y = dst.assumingMemoryBound(to: T.self)
        let b = block, w = width, h = height, deep = channels * b * b
        if toSpace {
            // Row (n, c, oh) of [N, C', H·b, W·b].
            for row in rows {
                let oh = row % (h * b), nc = row / (h * b), c = nc % channels, n = nc / channels
                let ih = oh / b, bh = oh - ih * b
                let out = y + row * w * b
                for bw in 0 ..< b {
                    let inRow = x + ((n * deep + deepChannel(c, bh, bw)) * h + ih) * w
                    var o = out + bw
                    for i in 0 ..< w { o.pointee = inRow[i]; o += b }
                }
            }
        } else {
            // Row (n, channel(c, bh, bw), oh) of [N, C·b², H, W]: rows are visited in output order.
            for row in rows {
                let oh = row % h, nk = row / h, k = nk % deep, n = nk / deep
                let (c, bh, bw) = crd ? (k / (b * b), (k / b) % b, k % b) : (k % channels, k / channels / b, (k / channels) % b)
                let inRow = x + ((n * channels + c) * h * b + oh * b + bh) * w * b + bw
                let out = y + row * w
                for i in 0 ..< w { out[i] = inRow[i * b] }
            }
        }
    }
}
