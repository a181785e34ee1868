import DLRTModel

/// Everything needed to run a model for one set of concrete input shapes: the type of every
/// tensor, one kernel per node, and the arena layout. Immutable once built; shared by every
/// context whose inputs have these shapes.
public final class Plan: @unchecked Sendable {
    /// Per tensor id: its concrete type (nil for tensors no node or input reaches).
    public let types: [TensorType?]
    /// Per tensor id: its offset in the arena, or -1 (graph inputs, constants).
    let offsets: [Int]
    public let arenaByteCount: Int
    let steps: ContiguousArray<Step>
    /// The input shapes this plan was built for, per graph input.
    public let inputShapes: [[Int]]
    /// The bytes of the model's value inputs this plan was built for (`CompiledModel.valueInputs` order).
    let inputValues: [Blob]

    struct Step {
        let kernel: any Kernel
        let inputIDs: UnsafePointer<Int32>
        let outputIDs: UnsafePointer<Int32>
        /// Offset of the step's scratch in the arena, or -1.
        let scratchOffset: Int
    }

    private let idStorage: UnsafeMutablePointer<Int32>

    /// Infers every tensor's type, builds kernels and plans the arena.
    /// `maxArenaBytes` (0 = no cap) turns an oversized plan into an out-of-memory error.
    /// `inputValues`: the bytes of each value input (`model.valueInputs`), read by ops when planning.
    init(model: CompiledModel, inputShapes: [[Int]], inputValues: [Blob] = [], maxArenaBytes: Int = 0) throws {
        let graph = model.graph
        guard inputValues.count == model.valueInputs.positions.count else {
            throw ModelError(.internalError, "plan built with \(inputValues.count) value inputs, the model has \(model.valueInputs.positions.count)")
        }
        var valueData: [Int: TensorData] = [:]
        for (j, p) in model.valueInputs.positions.enumerated() {
            valueData[Int(graph.inputs[p])] = TensorData(blob: inputValues[j])
        }
        var types = [TensorType?](repeating: nil, count: graph.tensors.count)
        for (id, tensor) in graph.tensors.enumerated() where tensor.data != nil {
            types[id] = TensorType(tensor.dtype, tensor.fixedShape ?? [])
        }
        for (k, id) in graph.inputs.enumerated() {
            let input = graph.tensors[Int(id)]
            // Fixed input shapes come straight from the file: bound them like computed shapes
            // (≤ 2^40 elements) so no kernel ever multiplies dims that overflow.
            guard checkedElementCount(inputShapes[k]) != nil else {
                throw shapeError("graph input '\(input.name)': shape \(describe(inputShapes[k])) has more than 2^40 elements")
            }
            types[Int(id)] = TensorType(input.dtype, inputShapes[k])
        }

        // Shape inference and kernel selection, node by node (nodes are topologically ordered).
        var kernels: [any Kernel] = []
        kernels.reserveCapacity(graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            let inputs = node.inputs.map { id -> PlanInput in
                id < 0 ? PlanInput(type: nil, constant: nil)
                       : PlanInput(type: types[Int(id)], constant: graph.tensors[Int(id)].data ?? valueData[Int(id)])
            }
            for (k, input) in inputs.enumerated() where node.inputs[k] >= 0 && input.type == nil {
                throw ModelError(.invalidModel, "node '\(node.name)' (\(node.op.name), index \(index)): input \(k) '\(graph.tensors[Int(node.inputs[k])].name)' has no value")
            }
            let op = model.operators[index]
            let outTypes = try op.outputTypes(inputs)
            guard outTypes.count == node.outputs.count else {
                throw ModelError(.internalError, "node '\(node.name)' (\(node.op.name)): produced \(outTypes.count) output types for \(node.outputs.count) outputs")
            }
            for (k, t) in outTypes.enumerated() {
                let id = Int(node.outputs[k])
                let declared = graph.tensors[id]
                guard checkedElementCount(t.shape) != nil else {
                    throw shapeError("node '\(node.name)' (\(node.op.name)): output '\(declared.name)' shape \(describe(t.shape)) is too large")
                }
                if t.dtype != declared.dtype {
                    throw ModelError(.invalidModel, "node '\(node.name)' (\(node.op.name)): output '\(declared.name)' is \(t.dtype) but the model declares \(declared.dtype)")
                }
                types[id] = t
            }
            kernels.append(try op.makeKernel(inputs: inputs, outputs: outTypes))
        }

        // Graph outputs must match their declared fixed dimensions.
        for id in graph.outputs {
            let declared = graph.tensors[Int(id)]
            guard let t = types[Int(id)] else {
                throw ModelError(.invalidModel, "graph output '\(declared.name)' is never computed")
            }
            if declared.shape.count == t.shape.count {
                for (d, dim) in declared.shape.enumerated() {
                    if let v = dim.fixedValue, v != t.shape[d] {
                        throw shapeError("graph output '\(declared.name)': computed shape \(describe(t.shape)) does not match declared \(describe(declared.shape))")
                    }
                }
            }
        }

        // Lifetimes: a tensor lives from the step that writes it to the last step that reads it;
        // graph outputs live to the end.
        let stepCount = graph.nodes.count
        var lastUse = [Int](repeating: -1, count: graph.tensors.count)
        var firstUse = [Int](repeating: -1, count: graph.tensors.count)
        for (s, node) in graph.nodes.enumerated() {
            for id in node.inputs where id >= 0 { lastUse[Int(id)] = s }
            for id in node.outputs where firstUse[Int(id)] < 0 { firstUse[Int(id)] = s }
        }
        for id in graph.outputs { lastUse[Int(id)] = stepCount }
        var requests: [MemoryPlanner.Request] = []
        for id in 0 ..< graph.tensors.count where firstUse[id] >= 0 {
            guard let t = types[id] else { continue }
            requests.append(.init(id: id, byteCount: t.byteCount, firstUse: firstUse[id],
                                  lastUse: Swift.max(lastUse[id], firstUse[id])))
        }
        let scratchBase = graph.tensors.count
        for (s, kernel) in kernels.enumerated() where kernel.scratchByteCount > 0 {
            requests.append(.init(id: scratchBase + s, byteCount: kernel.scratchByteCount, firstUse: s, lastUse: s))
        }
        // The arena is at most the sum of the requests: if that overflows, so could the planner.
        var total = 0
        for r in requests {
            guard r.byteCount >= 0, r.byteCount <= 1 << 56 else {
                throw ModelError(.outOfMemory, "a tensor or scratch buffer of the plan needs \(r.byteCount) bytes")
            }
            total += MemoryPlanner.align(Swift.max(r.byteCount, 1))
            guard total <= 1 << 60 else {
                throw ModelError(.outOfMemory, "the plan's tensors need more than 2^60 bytes in total")
            }
        }
        let (placed, arena) = MemoryPlanner.plan(requests)
        if maxArenaBytes > 0 && arena > maxArenaBytes {
            throw ModelError(.outOfMemory, "the plan needs an arena of \(arena) bytes, above the context's cap max_arena_bytes = \(maxArenaBytes)")
        }
        var offsets = [Int](repeating: -1, count: graph.tensors.count)
        var scratchOffsets = [Int](repeating: -1, count: stepCount)
        for (r, request) in requests.enumerated() {
            if request.id < scratchBase { offsets[request.id] = placed[r] } else { scratchOffsets[request.id - scratchBase] = placed[r] }
        }

        // Flat id arrays for the steps (read by kernels through KernelIO).
        let idCount = graph.nodes.reduce(0) { $0 + $1.inputs.count + $1.outputs.count }
        idStorage = .allocate(capacity: Swift.max(idCount, 1))
        var cursor = idStorage
        var steps = ContiguousArray<Step>()
        steps.reserveCapacity(stepCount)
        for (s, node) in graph.nodes.enumerated() {
            let ins = cursor
            for id in node.inputs { cursor.pointee = id; cursor += 1 }
            let outs = cursor
            for id in node.outputs { cursor.pointee = id; cursor += 1 }
            steps.append(Step(kernel: kernels[s], inputIDs: UnsafePointer(ins), outputIDs: UnsafePointer(outs),
                              scratchOffset: scratchOffsets[s]))
        }
        self.types = types
        self.offsets = offsets
        self.arenaByteCount = arena
        self.steps = steps
        self.inputShapes = inputShapes
        self.inputValues = inputValues
    }

    deinit { idStorage.deallocate() }
}
