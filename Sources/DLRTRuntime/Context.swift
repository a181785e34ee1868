import DLRTModel
#if canImport(Glibc)
import Glibc
#endif

/// Per-caller execution state: bound inputs and outputs, the plan for the bound shapes, the arena
/// and the worker threads. Use one context per thread; the model it runs is shared.
///
/// Hot path (`run` with unchanged input shapes): no allocation, no lock, no lookup by name.
public final class Context {
    public struct Options: Sendable {
        /// Threads taking part in a run, including the caller.
        public var threadCount: Int = 1
        /// 0 = no cap; otherwise a plan whose arena exceeds it fails with an out-of-memory error.
        public var maxArenaBytes: Int = 0
        /// What idle worker threads do between parallel loops.
        public var idle: Workers.Idle = .spinThenSleep
        /// `.spinThenSleep`'s spin (0 = the default, 100 µs).
        public var spinMicroseconds: Int = 0
        /// CPUs the worker threads are pinned to (worker k on `workerCPUs[k % count]`); empty = not pinned.
        public var workerCPUs: [UInt32] = []
        public init() {}
    }

    public let model: CompiledModel
    public let options: Options
    public private(set) var plan: Plan?
    let workers: Workers

    private let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>   // [tensor count]
    private var arena: UnsafeMutableRawPointer?
    private var arenaCapacity = 0
    /// The address of zero-byte tensors whose buffer is NULL (an empty input the caller passed
    /// without data, an empty constant): kernels read through every slot without unwrapping
    /// checks, so none may be nil. 64 bytes, never read or written for a zero-size tensor.
    private let emptyTensorStorage: UnsafeMutableRawPointer

    private struct InputBinding {
        var data: UnsafeRawPointer?
        var shape: [Int]
        var isBound: Bool
    }
    private var inputBindings: [InputBinding]
    private var outputBindings: [(data: UnsafeMutableRawPointer, byteCount: Int)?]
    /// Concrete shapes of the outputs of the current plan, as Int64 for the C API
    /// (`outputRanks[k]` entries valid in `outputShapes[k]`).
    public private(set) var outputShapes: [UnsafeMutablePointer<Int64>]
    public private(set) var outputRanks: [Int]
    private var outputShapeCapacity: [Int]
    public private(set) var hasResults = false

    public init(model: CompiledModel, options: Options = Options()) throws {
        self.model = model
        self.options = options
        let graph = model.graph
        if options.idle == .spinThenSleep && options.spinMicroseconds == 0 && options.workerCPUs.isEmpty {
            workers = Workers(count: options.threadCount)
        } else {
            workers = try Workers(count: options.threadCount, idle: options.idle,
                                  spinMicroseconds: options.spinMicroseconds, cpus: options.workerCPUs)
        }
        slots = .allocate(capacity: Swift.max(graph.tensors.count, 1))
        slots.initialize(repeating: nil, count: Swift.max(graph.tensors.count, 1))
        var empty: UnsafeMutableRawPointer?
        guard posix_memalign(&empty, 64, 64) == 0, let empty else {
            slots.deallocate()
            throw ModelError(.outOfMemory, "cannot allocate a context")
        }
        empty.initializeMemory(as: UInt8.self, repeating: 0, count: 64)
        emptyTensorStorage = empty
        inputBindings = model.inputs.map { t in
            InputBinding(data: nil, shape: [Int](repeating: 0, count: t.shape.count), isBound: false)
        }
        outputBindings = Array(repeating: nil, count: graph.outputs.count)
        outputShapeCapacity = model.outputs.map { Swift.max($0.shape.count, 8) }
        outputShapes = outputShapeCapacity.map { n in
            let p = UnsafeMutablePointer<Int64>.allocate(capacity: n)
            p.initialize(repeating: -1, count: n)
            return p
        }
        outputRanks = model.outputs.map { $0.shape.count }
        for (id, tensor) in graph.tensors.enumerated() {
            if let data = tensor.data { slots[id] = UnsafeMutableRawPointer(mutating: data.bytes.baseAddress) ?? emptyTensorStorage }
        }
        if let fixed = model.fixedPlan {
            try adopt(fixed)
            recentPlans = [fixed]
        }
    }

    deinit {
        slots.deallocate()
        free(emptyTensorStorage)
        free(arena)
        for p in outputShapes { p.deallocate() }
    }

    public var arenaByteCount: Int { plan?.arenaByteCount ?? 0 }

    // MARK: Binding

    /// Binds input `index` to `data` (borrowed until rebound or the context dies).
    /// Checks dtype, rank, fixed dims and the byte size; does not allocate.
    public func setInput(_ index: Int, dtype: DType, shape: UnsafeBufferPointer<Int64>,
                         data: UnsafeRawPointer?, byteCount: Int) throws {
        let graph = model.graph
        guard index >= 0 && index < inputBindings.count else {
            throw argumentError("input index \(index) is out of range: the model has \(inputBindings.count) inputs")
        }
        let tensor = graph.tensors[Int(graph.inputs[index])]
        guard dtype == tensor.dtype else {
            throw argumentError("input '\(tensor.name)': dtype \(dtype) given, the model expects \(tensor.dtype)")
        }
        guard shape.count == tensor.shape.count else {
            throw argumentError("input '\(tensor.name)': rank \(shape.count) given, the model expects rank \(tensor.shape.count) \(describe(tensor.shape))")
        }
        var elements = 1
        for (d, dim) in tensor.shape.enumerated() {
            let v = shape[d]
            guard v >= 0, v <= Int64(Int32.max) else {
                throw argumentError("input '\(tensor.name)': dimension \(d) is \(v); expected a size ≥ 0 (model shape \(describe(tensor.shape)))")
            }
            if let fixed = dim.fixedValue, fixed != Int(v) {
                throw argumentError("input '\(tensor.name)': dimension \(d) is \(v), the model requires \(fixed) (shape \(describe(tensor.shape)))")
            }
            let (p, overflow) = elements.multipliedReportingOverflow(by: Int(v))
            guard !overflow, p <= 1 << 40 else { throw argumentError("input '\(tensor.name)': the shape has too many elements") }
            elements = p
        }
        let expectedBytes = elements * dtype.byteSize
        guard byteCount == expectedBytes else {
            throw argumentError("input '\(tensor.name)': buffer has \(byteCount) bytes, the shape needs \(expectedBytes) (\(elements) × \(dtype))")
        }
        guard data != nil || expectedBytes == 0 else {
            throw argumentError("input '\(tensor.name)': data is NULL")
        }
        inputBindings[index].data = data ?? UnsafeRawPointer(emptyTensorStorage)   // only nil when 0 bytes
        for d in 0 ..< shape.count where inputBindings[index].shape[d] != Int(shape[d]) {
            inputBindings[index].shape[d] = Int(shape[d])
        }
        inputBindings[index].isBound = true
        hasResults = false
    }

    /// Binds output `index` to a caller buffer, or removes the binding when `data` is nil.
    public func setOutput(_ index: Int, data: UnsafeMutableRawPointer?, byteCount: Int) throws {
        guard index >= 0 && index < outputBindings.count else {
            throw argumentError("output index \(index) is out of range: the model has \(outputBindings.count) outputs")
        }
        guard let data else { outputBindings[index] = nil; return }
        guard byteCount >= 0 else { throw argumentError("output \(index): negative byte size") }
        outputBindings[index] = (data, byteCount)
    }

    // MARK: Running

    /// Runs the model on the bound inputs.
    public func run() throws {
        hasResults = false
        let graph = model.graph
        for k in 0 ..< inputBindings.count where !inputBindings[k].isBound {
            throw ModelError(.state, "input '\(graph.tensors[Int(graph.inputs[k])].name)' is not set: bind every input before running")
        }
        if plan == nil || !sameShapes(plan!.inputShapes) || !sameValues(plan!.inputValues) {
            try replan()
        }
        guard let plan else { throw ModelError(.internalError, "no plan after planning") }
        for k in 0 ..< inputBindings.count {
            slots[Int(graph.inputs[k])] = UnsafeMutableRawPointer(mutating: inputBindings[k].data)
        }
        for k in 0 ..< outputBindings.count {
            let id = Int(graph.outputs[k])
            let byteCount = plan.types[id]?.byteCount ?? 0
            if let bound = outputBindings[k] {
                guard bound.byteCount >= byteCount else {
                    throw argumentError("output '\(graph.tensors[id].name)': bound buffer has \(bound.byteCount) bytes, the result needs \(byteCount)")
                }
                if plan.offsets[id] >= 0 { slots[id] = bound.data }
            } else if plan.offsets[id] >= 0 {
                slots[id] = arena! + plan.offsets[id]
            }
        }
        let slots = self.slots
        let arena = self.arena
        let workers = self.workers
        plan.steps.withUnsafeBufferPointer { steps in
            for step in steps {
                let scratch = step.scratchOffset >= 0 ? arena.map { $0 + step.scratchOffset } : nil
                step.kernel.run(KernelIO(slots: slots, inputIDs: step.inputIDs, outputIDs: step.outputIDs,
                                         scratch: scratch, workers: workers))
            }
        }
        // Outputs that are graph inputs or constants (no arena slot) are copied when bound.
        for k in 0 ..< outputBindings.count {
            let id = Int(graph.outputs[k])
            if let bound = outputBindings[k], plan.offsets[id] < 0, let src = slots[id] {
                bound.data.copyMemory(from: src, byteCount: plan.types[id]?.byteCount ?? 0)
            }
        }
        hasResults = true
    }

    /// Address, byte count and shape of output `index` after a successful run.
    public func output(_ index: Int) throws -> (data: UnsafeRawPointer?, byteCount: Int, type: TensorType) {
        let graph = model.graph
        guard index >= 0 && index < graph.outputs.count else {
            throw argumentError("output index \(index) is out of range: the model has \(graph.outputs.count) outputs")
        }
        guard hasResults, let plan else {
            throw ModelError(.state, "no results: call run first (inputs changed since the last run, or it failed)")
        }
        let id = Int(graph.outputs[index])
        guard let type = plan.types[id] else { throw ModelError(.internalError, "output \(index) has no type") }
        if let bound = outputBindings[index] { return (UnsafeRawPointer(bound.data), type.byteCount, type) }
        return (UnsafeRawPointer(slots[id]), type.byteCount, type)
    }

    private func sameShapes(_ planned: [[Int]]) -> Bool {
        for k in 0 ..< inputBindings.count where inputBindings[k].shape != planned[k] { return false }
        return true
    }

    /// Whether the bound value inputs hold the bytes `planned` was built for (a memcmp each).
    private func sameValues(_ planned: [Blob]) -> Bool {
        let positions = model.valueInputs.positions
        for j in 0 ..< positions.count {
            let n = model.valueInputs.byteCounts[j]
            guard n > 0 else { continue }
            guard let bound = inputBindings[positions[j]].data, let mine = planned[j].bytes.baseAddress,
                  memcmp(bound, mine, n) == 0 else { return false }
        }
        return true
    }

    /// Plans this context used most recently, newest first (at most `planCacheSize`; the current
    /// plan is among them): a caller alternating between a few input shapes or value-input values
    /// re-plans once per distinct set, then switches plans without allocating.
    private var recentPlans: [Plan] = []
    /// How many plans `recentPlans` keeps.
    public static let planCacheSize = 4

    private func replan() throws {
        // A plan built earlier for exactly these shapes and values (no allocation on this path:
        // shapes and values are compared in place; the arena only ever grows, so it fits).
        for k in recentPlans.indices where sameShapes(recentPlans[k].inputShapes) && sameValues(recentPlans[k].inputValues) {
            let cached = recentPlans[k]
            try adopt(cached)
            for j in stride(from: k, to: 0, by: -1) { recentPlans.swapAt(j, j - 1) }
            return
        }
        let graph = model.graph
        // One value per symbolic dimension name across all inputs.
        var symbols: [String: (value: Int, input: String)] = [:]
        for (k, binding) in inputBindings.enumerated() {
            let tensor = graph.tensors[Int(graph.inputs[k])]
            for (d, dim) in tensor.shape.enumerated() {
                guard case .symbolic(let name) = dim else { continue }
                if let seen = symbols[name], seen.value != binding.shape[d] {
                    throw shapeError("symbolic dimension '\(name)' is \(seen.value) in input '\(seen.input)' but \(binding.shape[d]) in input '\(tensor.name)'")
                }
                symbols[name] = (binding.shape[d], tensor.name)
            }
        }
        // Fresh arrays: a plan sharing the bindings' storage would make the next setInput copy it.
        let shapes = inputBindings.map { binding in binding.shape.map { $0 } }
        if let fixed = model.fixedPlan, fixed.inputShapes == shapes {
            try adopt(fixed)
        } else {
            let values = model.valueInputs.positions.enumerated().map { j, p in
                Blob(copying: UnsafeRawBufferPointer(start: inputBindings[p].data, count: model.valueInputs.byteCounts[j]))
            }
            try adopt(Plan(model: model, inputShapes: shapes, inputValues: values, maxArenaBytes: options.maxArenaBytes))
        }
        if let plan {
            recentPlans.insert(plan, at: 0)
            if recentPlans.count > Self.planCacheSize { recentPlans.removeLast() }
        }
    }

    private func adopt(_ newPlan: Plan) throws {
        if options.maxArenaBytes > 0 && newPlan.arenaByteCount > options.maxArenaBytes {
            throw ModelError(.outOfMemory, "the plan needs an arena of \(newPlan.arenaByteCount) bytes, above the context's cap max_arena_bytes = \(options.maxArenaBytes)")
        }
        if newPlan.arenaByteCount > arenaCapacity {
            free(arena)
            arena = nil
            arenaCapacity = 0
            // posix_memalign, not UnsafeMutableRawPointer.allocate: that traps when memory runs out.
            var p: UnsafeMutableRawPointer?
            guard posix_memalign(&p, 64, newPlan.arenaByteCount) == 0, let p else {
                plan = nil  // its slots pointed into the arena just freed
                throw ModelError(.outOfMemory, "cannot allocate the activation arena of \(newPlan.arenaByteCount) bytes")
            }
            arena = p
            arenaCapacity = newPlan.arenaByteCount
        }
        for (id, offset) in newPlan.offsets.enumerated() where offset >= 0 {
            slots[id] = arena! + offset
        }
        for (k, id) in model.graph.outputs.enumerated() {
            guard let t = newPlan.types[Int(id)] else { continue }
            if t.shape.count > outputShapeCapacity[k] {
                outputShapes[k].deallocate()
                outputShapes[k] = .allocate(capacity: t.shape.count)
                outputShapeCapacity[k] = t.shape.count
            }
            for (d, v) in t.shape.enumerated() { outputShapes[k][d] = Int64(v) }
            outputRanks[k] = t.shape.count
        }
        plan = newPlan
    }
}
