// Transpose of any element size (1, 2, 4 or 8 bytes), planned once per shape and perm.
// The plan drops size-1 dims and merges input dims that stay neighbours in the output, so
// e.g. NCHW → NHWC ([0,2,3,1]) becomes a batch of 2-D transposes [C, H·W] → [H·W, C].
// Batched 2-D transposes use 16×16 tiles; other permutations copy output rows with a strided
// gather along the last output dim.

public struct TransposePlan: Sendable, Equatable {
    public let outputShape: [Int]
    public let elementSize: Int
    public let elementCount: Int
    /// Collapsed output dims and, per output dim, its element stride in the input.
    public let dims: [Int]
    public let sourceStrides: [Int]

    /// `perm` must be a permutation of 0..<shape.count (the caller validates it).
    public init(shape: [Int], perm: [Int], elementSize: Int) {
        outputShape = perm.map { shape[$0] }
        self.elementSize = elementSize
        elementCount = shape.reduce(1, *)
        // Input axes that matter, renumbered.
        var newIndex = [Int](repeating: -1, count: shape.count)
        var kept: [Int] = []
        for (axis, d) in shape.enumerated() where d != 1 { newIndex[axis] = kept.count; kept.append(d) }
        let p = perm.compactMap { newIndex[$0] >= 0 ? newIndex[$0] : nil }
        // Groups of input axes that stay consecutive in the output.
        var groups: [(first: Int, size: Int)] = []
        var prev = -2
        for axis in p {
            if axis == prev + 1, let g = groups.last {
                groups[groups.count - 1] = (g.first, g.size * kept[axis])
            } else {
                groups.append((axis, kept[axis]))
            }
            prev = axis
        }
        if groups.isEmpty { groups = [(0, 1)] }
        // Input dims of the collapsed problem are the groups in input order.
        let inputOrder = groups.indices.sorted { groups[$0].first < groups[$1].first }
        var inStride = [Int](repeating: 0, count: groups.count)
        var s = 1
        for g in inputOrder.reversed() { inStride[g] = s; s *= groups[g].size }
        dims = groups.map(\.size)
        sourceStrides = inStride
    }

    /// True when the transpose moves no element (a plain copy).
    public var isCopy: Bool { dims.count == 1 }

    /// A batch of 2-D transposes: output [B, C, R] from input [B, R, C].
    var isBatched2D: Bool {
        let r = dims.count
        return r >= 2 && sourceStrides[r - 1] == dims[r - 2] && sourceStrides[r - 2] == 1
            && (r == 2 || (r == 3 && sourceStrides[0] == dims[1] * dims[2]))
    }

    static let tile = 16

    /// Number of independent work items for `run` (rows of output, or tile rows).
    public var workCount: Int {
        if elementCount == 0 { return 0 }
        if isCopy { return 1 }
        let r = dims.count
        if isBatched2D {
            let batch = r == 3 ? dims[0] : 1
            return batch * ((dims[r - 2] + TransposePlan.tile - 1) / TransposePlan.tile)
        }
        return elementCount / dims[r - 1]
    }

    /// Moves the elements of work items `work` (of `workCount`). Does not allocate.
    public func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, work: Range<Int>) {
        if work.isEmpty { return }
        if isCopy {
            dst.copyMemory(from: src, byteCount: elementCount * elementSize)
            return
        }
        switch elementSize {
        case 1: run(UInt8.self, src, dst, work)
        case 2: run(UInt16.self, src, dst, work)
        case 4: run(UInt32.self, src, dst, work)
        default: run(UInt64.self, src, dst, work)
        }
    }

    @inline(__always)
    func run<T>(_: T.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ work: Range<Int>) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        if isBatched2D { tiled(s, d, work) } else { rows(s, d, work) }
    }

    @inline(__always)
    func tiled<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ work: Range<Int>) {
        let r = dims.count
        let outRows = dims[r - 2], outCols = dims[r - 1]  // input is [outCols, outRows]
        let tile = TransposePlan.tile
        let tilesPerBatch = (outRows + tile - 1) / tile
        let plane = outRows * outCols
        for w in work {
            let b = w / tilesPerBatch
            let i0 = (w % tilesPerBatch) * tile
            let i1 = Swift.min(i0 + tile, outRows)
            let s = src + b * plane, d = dst + b * plane
            var j0 = 0
            while j0 < outCols {
                let j1 = Swift.min(j0 + tile, outCols)
                for i in i0 ..< i1 {
                    for j in j0 ..< j1 { d[i * outCols + j] = s[j * outRows + i] }
                }
                j0 = j1
            }
        }
    }

    @inline(__always)
    func rows<T>(_ src: UnsafePointer<T>, _ dst: UnsafeMutablePointer<T>, _ work: Range<Int>) {
        let last = dims.count - 1
        let n = dims[last], step = sourceStrides[last]
        dims.withUnsafeBufferPointer { dims in
            sourceStrides.withUnsafeBufferPointer { strides in
                for row in work {
                    var rest = row, off = 0, k = last - 1
                    while k >= 0 {
                        off += (rest % dims[k]) * strides[k]
                        rest /= dims[k]
                        k -= 1
                    }
                    let out = dst + row * n
                    if step == 1 {
                        out.update(from: src + off, count: n)
                    } else {
                        for j in 0 ..< n { out[j] = src[off + j * step] }
                    }
                }
            }
        }
    }
}
