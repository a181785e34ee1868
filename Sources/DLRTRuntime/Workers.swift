import CDLRTSupport

/// Data-parallel loops over a context's worker threads (a persistent spin-then-sleep pool; see
/// Sources/CDLRTSupport/pool.c). `Workers.inline` runs everything on the calling thread.
/// Work is split into contiguous chunks by index, never across a reduction, and every element is
/// computed by the same code whatever the chunking, so results are bit-identical for any
/// thread count.
public final class Workers: @unchecked Sendable {
    public static let inline = Workers(count: 1)

    /// Number of threads that take part, including the caller.
    public let count: Int
    private let pool: OpaquePointer?

    /// Starts `count - 1` worker threads. If threads cannot be created it runs inline.
    public init(count: Int) {
        let wanted = Swift.max(1, count)
        pool = wanted > 1 ? cdlrt_pool_create(Int32(clamping: wanted)) : nil
        self.count = pool == nil ? 1 : wanted
    }

    deinit { cdlrt_pool_destroy(pool) }

    /// Calls `body(range)` for disjoint ranges covering `0..<total`, in parallel when there are
    /// at least two chunks of `grain` items. `body` must not allocate.
    @inline(__always)
    public func parallelFor(_ total: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
        if total <= 0 { return }
        let chunks = Swift.min(count, total / Swift.max(grain, 1))
        guard chunks > 1, let pool else {
            body(0 ..< total)
            return
        }
        withoutActuallyEscaping(body) { escapable in
            var task = Task(body: escapable, total: total)
            withUnsafeMutablePointer(to: &task) { p in
                cdlrt_pool_run(pool, { context, index, count in
                    let task = context!.assumingMemoryBound(to: Task.self)
                    let total = task.pointee.total
                    let lower = total * index / count, upper = total * (index + 1) / count
                    if lower < upper { task.pointee.body(lower ..< upper) }
                }, UnsafeMutableRawPointer(p), chunks)
            }
        }
    }

    private struct Task {
        let body: (Range<Int>) -> Void
        let total: Int
    }
}
