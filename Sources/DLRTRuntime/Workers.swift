/// Data-parallel loops over a context's worker threads. `Workers.inline` runs everything on the
/// calling thread. Work is split into contiguous chunks by index, never across a reduction, so
/// results are bit-identical whatever the thread count.
public final class Workers: @unchecked Sendable {
    public static let inline = Workers(count: 1)

    /// Number of threads that take part, including the caller.
    public let count: Int

    public init(count: Int) {
        self.count = Swift.max(1, count)
    }

    /// Calls `body(range)` for disjoint ranges covering `0..<total`, in parallel where it pays.
    /// `body` must not allocate. Chunks are at least `grain` items.
    @inline(__always)
    public func parallelFor(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        body(0 ..< total)
    }
}
