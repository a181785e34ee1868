// Numpy (multidirectional) broadcasting of two operands, planned once per shape pair.
// The plan drops size-1 output dims and merges neighbouring dims where both operands keep the
// same broadcast pattern, so the common cases become one contiguous row ([2,3,4] + [2,3,4]),
// rows with a broadcast scalar ([N,C,H,W] + [C,1,1] → [N·C, H·W] with b constant per row) or
// rows against a repeated row vector ([M, N] + [N]).

public struct BroadcastPlan: Sendable, Equatable {
    /// The broadcast output shape (rank = max of the operand ranks).
    public let outputShape: [Int]
    /// Collapsed output dims (at least one); the last one is the row length.
    public let dims: [Int]
    /// Element strides of each operand over `dims` (0 where the operand is broadcast).
    public let stridesA: [Int]
    public let stridesB: [Int]
    public let elementCount: Int

    /// The numpy broadcast of two shapes, or nil when some aligned dims differ and neither is 1.
    public static func broadcastShape(_ a: [Int], _ b: [Int]) -> [Int]? {
        let r = Swift.max(a.count, b.count)
        var out = [Int](repeating: 1, count: r)
        for d in 0 ..< r {
            let da = d - (r - a.count) >= 0 ? a[d - (r - a.count)] : 1
            let db = d - (r - b.count) >= 0 ? b[d - (r - b.count)] : 1
            if da == db || db == 1 { out[d] = da } else if da == 1 { out[d] = db } else { return nil }
        }
        return out
    }

    /// nil when the shapes do not broadcast.
    public init?(_ a: [Int], _ b: [Int]) {
        guard let out = BroadcastPlan.broadcastShape(a, b) else { return nil }
        let r = out.count
        var dims: [Int] = [], fullA: [Bool] = [], fullB: [Bool] = []
        for d in 0 ..< r where out[d] != 1 {
            let ia = d - (r - a.count) >= 0 && a[d - (r - a.count)] == out[d]
            let ib = d - (r - b.count) >= 0 && b[d - (r - b.count)] == out[d]
            if let la = fullA.last, let lb = fullB.last, la == ia, lb == ib {
                dims[dims.count - 1] *= out[d]
            } else {
                dims.append(out[d]); fullA.append(ia); fullB.append(ib)
            }
        }
        if dims.isEmpty { dims = [1]; fullA = [true]; fullB = [true] }
        var sa = [Int](repeating: 0, count: dims.count), sb = sa
        var na = 1, nb = 1
        for d in stride(from: dims.count - 1, through: 0, by: -1) {
            if fullA[d] { sa[d] = na; na *= dims[d] }
            if fullB[d] { sb[d] = nb; nb *= dims[d] }
        }
        outputShape = out
        self.dims = dims
        stridesA = sa
        stridesB = sb
        elementCount = out.reduce(1, *)
    }

    /// Row length (last collapsed dim) and number of rows.
    public var rowLength: Int { dims[dims.count - 1] }
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// Computes output rows `rows` (of `rowCount`). Does not allocate.
    public func run(_ k: BinaryRowKernels, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer,
                    _ c: UnsafeMutableRawPointer, rows: Range<Int>) {
        let n = rowLength
        let es = k.elementSize
        let last = dims.count - 1
        let row: BinaryRowFunction =
            stridesA[last] == 0 ? k.scalarA : (stridesB[last] == 0 ? k.scalarB : k.same)
        dims.withUnsafeBufferPointer { dims in
            stridesA.withUnsafeBufferPointer { sa in
                stridesB.withUnsafeBufferPointer { sb in
                    for r in rows {
                        var rest = r, offA = 0, offB = 0, d = last - 1
                        while d >= 0 {
                            let i = rest % dims[d]
                            rest /= dims[d]
                            offA += i * sa[d]
                            offB += i * sb[d]
                            d -= 1
                        }
                        row(a + offA * es, b + offB * es, c + r * n * es, n)
                    }
                }
            }
        }
    }

    /// Computes output elements `range` when the plan has a single collapsed dim. Does not allocate.
    public func runFlat(_ k: BinaryRowKernels, _ a: UnsafeRawPointer, _ b: UnsafeRawPointer,
                        _ c: UnsafeMutableRawPointer, elements range: Range<Int>) {
        let es = k.elementSize
        let sa = stridesA[0], sb = stridesB[0]
        let row: BinaryRowFunction = sa == 0 ? k.scalarA : (sb == 0 ? k.scalarB : k.same)
        row(a + range.lowerBound * sa * es, b + range.lowerBound * sb * es, c + range.lowerBound * es, range.count)
    }
}
