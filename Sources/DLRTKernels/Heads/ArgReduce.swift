// ArgMax / ArgMin over the middle dim of a [outer, n, inner] view, int64 indices out.
// Ties: the first index, or the last with select_last_index. A NaN never replaces a number
// found before it (onnxruntime: ArgMax([1, NaN, 5, 2]) = 2).

/// One direction of ArgMax / ArgMin.
public protocol ArgCompare {
    /// Whether `v` replaces the current best `b` (strictly better; `orEqual` for the last index).
    static func better<T: Comparable>(_ v: T, _ b: T, orEqual: Bool) -> Bool
}
public enum ArgMaxCompare: ArgCompare {
    @inlinable @inline(__always)
    public static func better<T: Comparable>(_ v: T, _ b: T, orEqual: Bool) -> Bool { orEqual ? v >= b : v > b }
}
public enum ArgMinCompare: ArgCompare {
    @inlinable @inline(__always)
    public static func better<T: Comparable>(_ v: T, _ b: T, orEqual: Bool) -> Bool { orEqual ? v <= b : v < b }
}

/// Output positions `outs` (of outer·inner): y[o·inner + j] = arg best of x[o, 0..<n, j].
/// `n` ≥ 1 (an empty reduced dim is refused when planning).
@inlinable
public func argReduce<C: ArgCompare, T: Comparable>(_ c: C.Type, _ x: UnsafePointer<T>, _ y: UnsafeMutablePointer<Int64>,
                                                    n: Int, inner: Int, selectLast: Bool, outs: Range<Int>) {
    for p in outs {
        let o = p / inner, j = p - o * inner
        let col = x + o * n * inner + j
        var best = 0
        var bv = col[0]
        var k = 1
        while k < n {
            let v = col[k * inner]
            if C.better(v, bv, orEqual: selectLast) { best = k; bv = v }
            k += 1
        }
        y[p] = Int64(best)
    }
}

/// ArgMax / ArgMin of `T` on raw addresses (input, output, n, inner, selectLast, output range).
public typealias ArgReduceFunction = @Sendable (UnsafeRawPointer, UnsafeMutablePointer<Int64>, Int, Int, Bool, Range<Int>) -> Void

/// The loop of `C` on `T`; call with concrete types (from a concrete spec) so it is specialised.
@inlinable @inline(__always)
public func argReduceFunction<C: ArgCompare, T: Comparable>(_: C.Type, _: T.Type) -> ArgReduceFunction {
    { x, y, n, inner, last, outs in argReduce(C.self, x.assumingMemoryBound(to: T.self), y, n: n, inner: inner, selectLast: last, outs: outs) }
}
