/// Data-parallel loops without closures.
///
/// A parallel loop body is a small struct holding what it needs (pointers, sizes) and conforming
/// to `ParallelTask`. Unlike a non-escaping closure, such a value can be handed to other threads by
/// address without converting it to an escaping closure, which would heap-allocate a context on
/// every call and break the "no allocation after warm-up" promise of `dlrt_context_run`.

/// One data-parallel loop: `run` is called for disjoint ranges that together cover `0..<total`,
/// possibly concurrently. It must not allocate, and each index must be computed by the same code
/// whatever the ranges are (so results do not depend on the thread count).
public protocol ParallelTask {
    func run(_ range: Range<Int>)
}

/// Something that runs a `ParallelTask` over `0..<total`: the runtime's `Workers` (a thread pool)
/// or `SerialLoop` (inline). Splits into at most one chunk per thread, and only when every chunk
/// has at least `grain` items.
public protocol ParallelLoop {
    func parallelFor<Task: ParallelTask>(_ total: Int, grain: Int, _ task: Task)
}

/// Runs every loop inline on the calling thread.
public struct SerialLoop: ParallelLoop {
    public init() {}

    @inlinable
    public func parallelFor<Task: ParallelTask>(_ total: Int, grain: Int = 1, _ task: Task) {
        if total > 0 { task.run(0 ..< total) }
    }
}
