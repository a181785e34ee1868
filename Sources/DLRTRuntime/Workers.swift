import CDLRTSupport
import DLRTKernels
import DLRTModel

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

    /// What idle workers do between loops (the values of `dlrt_idle`).
    public enum Idle: UInt32, Sendable {
        case spinThenSleep = 0, spin = 1, sleep = 2
    }

    /// Starts `count - 1` worker threads. If threads cannot be created it runs inline.
    public init(count: Int) {
        let wanted = Swift.max(1, count)
        pool = wanted > 1 ? cdlrt_pool_create(Int32(clamping: wanted)) : nil
        self.count = pool == nil ? 1 : wanted
    }

    /// Starts `count - 1` worker threads that idle as `idle` says and, when `cpus` is not empty,
    /// run on CPU `cpus[k % cpus.count]` (worker k). Throws, naming the worker and CPU, when a
    /// thread cannot be created or pinned.
    public init(count: Int, idle: Idle, spinMicroseconds: Int, cpus: [UInt32]) throws {
        let wanted = Swift.max(1, count)
        self.count = wanted
        guard wanted > 1 else {
            pool = nil
            return
        }
        for (k, cpu) in cpus.enumerated() where cdlrt_cpu_allowed(cpu) == 0 {
            var allowed = [CChar](repeating: 0, count: 256)
            cdlrt_allowed_cpus(&allowed, allowed.count)
            let text = String(decoding: allowed.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw ModelError(.invalidArgument, "worker_cpus[\(k)] = \(cpu) is not a CPU this process may run on (allowed: \(text))")
        }
        var failedWorker: Int32 = -1
        let created: OpaquePointer? = cpus.withUnsafeBufferPointer { cpuList in
            var options = cdlrt_pool_options(threads: Int32(clamping: wanted), idle: Int32(idle.rawValue),
                                             spin_microseconds: UInt32(clamping: spinMicroseconds),
                                             cpus: cpuList.isEmpty ? nil : cpuList.baseAddress, cpu_count: cpuList.count)
            return cdlrt_pool_create_with(&options, &failedWorker)
        }
        guard let created else {
            if failedWorker >= 0 && !cpus.isEmpty {
                let cpu = cpus[Int(failedWorker) % cpus.count]
                throw ModelError(.invalidArgument, "cannot start worker thread \(failedWorker) pinned to CPU \(cpu) (worker_cpus[\(Int(failedWorker) % cpus.count)])")
            }
            throw ModelError(.outOfMemory, "cannot start \(wanted - 1) worker threads")
        }
        pool = created
    }

    deinit { cdlrt_pool_destroy(pool) }

    /// Calls `task.run(range)` for disjoint contiguous ranges covering `0..<total`, in parallel when
    /// there are at least two chunks of `grain` items. Allocation-free: the task stays on this
    /// stack frame and the pool reaches it through a pointer plus its (existential) metatype.
    public func parallelFor<Task: ParallelTask>(_ total: Int, grain: Int = 1, _ task: Task) {
        if total <= 0 { return }
        let chunks = Swift.min(count, total / Swift.max(grain, 1))
        guard chunks > 1, let pool else {
            task.run(0 ..< total)
            return
        }
        withUnsafePointer(to: task) { taskPointer in
            var job = Job(task: UnsafeRawPointer(taskPointer), type: Task.self, total: total)
            withUnsafeMutablePointer(to: &job) { jobPointer in
                cdlrt_pool_run(pool, { context, index, count in
                    guard let job = context?.assumingMemoryBound(to: Job.self).pointee else { return }
                    let lower = job.total * index / count, upper = job.total * (index + 1) / count
                    if lower < upper { job.type.run(at: job.task, lower ..< upper) }
                }, jobPointer, chunks)
            }
        }
    }

    /// One `cdlrt_pool_run` job: the task's address and type (a metatype is a pointer pair, so
    /// nothing is boxed) and the loop size.
    private struct Job {
        let task: UnsafeRawPointer
        let type: any ParallelTask.Type
        let total: Int
    }
}

extension Workers: ParallelLoop {}

extension ParallelTask {
    /// Runs the `Self` stored at `task` (called through an existential metatype by the pool).
    fileprivate static func run(at task: UnsafeRawPointer, _ range: Range<Int>) {
        task.assumingMemoryBound(to: Self.self).pointee.run(range)
    }
}
