import DLRTModel
#if canImport(Glibc)
import Glibc
#endif

/// Load-time constant folding: every node whose inputs are all constants is run once, with its
/// real operator and kernel, when the model loads; its outputs become constants of the graph and
/// the node disappears from every plan.
///
/// This is what makes float16 weights free at run time: the converter writes
/// `W(float16) → Cast(to float32) → Conv`, the Cast runs here once, and Conv/Gemm/MatMul then see
/// a float32 constant and pre-pack it as usual. It applies to any constant subgraph.
///
/// Rules:
/// - nodes are visited in (topological) order, so a chain of constant nodes folds in one pass;
/// - a node needs at least one present input, all of them constants;
/// - a node whose outputs together exceed `maxFoldedBytes` (256 MB), or the remaining budget for
///   the whole graph (16 MB + 2 × the bytes of its constants), is left in the graph (memory guard);
/// - a node that fails to build, infer or plan, or whose computed output dtype / fixed dims
///   disagree with the declared ones, is left in the graph: the regular load / plan path then
///   reports the problem exactly as it would without folding;
/// - a folded output that is a graph output gets a new constant tensor and an `Identity` node
///   producing the graph output from it (graph outputs must be produced by a node); later
///   readers of that tensor read the constant directly. An `Identity` of a constant that produces
///   a graph output is already in that form and is not folded.
///
/// Folded values live in 64-byte aligned heap blobs owned by the new constants (`TensorData`).
enum LoadTimeFolding {
    /// Largest total output size (bytes) of one node that is folded.
    static let maxFoldedBytes = 256 << 20
    /// Budget for all folded outputs together: this plus twice the bytes of the file's constants
    /// (a float16 weight cast to float32 doubles), so a small hostile file cannot make loading
    /// allocate gigabytes (nodes past the budget stay in the graph and run per call, bounded by the
    /// context's arena cap like any other node).
    static let foldBudgetSlack = 16 << 20

    /// The graph with every foldable node folded, and how many nodes were folded. Returns the
    /// input graph unchanged when nothing folds (or if the folded graph would not validate,
    /// which would be a bug here: the original then loads as before).
    static func fold(_ graph: Graph) -> (graph: Graph, folded: Int) {
        var g = graph
        let isGraphOutput = Set(graph.outputs)
        var nodes: [Node] = []
        nodes.reserveCapacity(graph.nodes.count)
        /// Tensor id → the constant that replaces it for later readers (folded graph outputs).
        var replaced: [Int32: Int32] = [:]
        var folded = 0
        var budget = foldBudgetSlack
        for t in graph.tensors {
            if let data = t.data { budget = budget.addingReportingOverflow(2 * data.byteCount).partialValue }
        }
        budget = Swift.min(budget, 1 << 50)

        for original in graph.nodes {
            var node = original
            if !replaced.isEmpty {
                for k in node.inputs.indices { if let r = replaced[node.inputs[k]] { node.inputs[k] = r } }
            }
            guard isFoldable(node, g, isGraphOutput), let values = evaluate(node, g, budget: budget) else {
                nodes.append(node)
                continue
            }
            folded += 1
            for (type, _) in values { budget -= type.byteCount }
            for (k, id) in node.outputs.enumerated() {
                let (type, data) = values[k]
                let shape = type.shape.map { Dim.fixed($0) }
                if isGraphOutput.contains(id) {
                    let declared = g.tensors[Int(id)]
                    let constant = g.addTensor(Tensor(name: declared.name + "/folded", dtype: type.dtype, shape: shape, data: data))
                    replaced[id] = constant
                    nodes.append(Node(name: node.name + "/folded_output_\(k)", op: .identity, inputs: [constant], outputs: [id]))
                } else {
                    g.tensors[Int(id)].data = data
                    g.tensors[Int(id)].shape = shape
                    g.tensors[Int(id)].quantization = nil
                }
            }
        }
        guard folded > 0 else { return (graph, 0) }
        g.nodes = nodes
        do {
            try GraphValidator.validate(g)
        } catch {
            return (graph, 0)
        }
        return (g, folded)
    }

    private static func isFoldable(_ node: Node, _ g: Graph, _ isGraphOutput: Set<Int32>) -> Bool {
        var present = 0
        for id in node.inputs where id >= 0 {
            guard g.tensors[Int(id)].isConstant, g.tensors[Int(id)].fixedShape != nil else { return false }
            present += 1
        }
        guard present > 0 else { return false }
        if node.op == .identity && node.outputs.allSatisfy({ isGraphOutput.contains($0) }) { return false }
        return true
    }

    /// Runs `node` once on its constant inputs; nil when it cannot (the node then stays).
    private static func evaluate(_ node: Node, _ g: Graph, budget: Int) -> [(TensorType, TensorData)]? {
        guard let op = try? OperatorRegistry.make(node: node, graph: g) else { return nil }
        var inputs: [PlanInput] = []
        inputs.reserveCapacity(node.inputs.count)
        for id in node.inputs {
            if id < 0 { inputs.append(PlanInput(type: nil, constant: nil)); continue }
            let t = g.tensors[Int(id)]
            guard let shape = t.fixedShape, let data = t.data else { return nil }
            inputs.append(PlanInput(type: TensorType(t.dtype, shape), constant: data))
        }
        guard let outTypes = try? op.outputTypes(inputs), outTypes.count == node.outputs.count else { return nil }
        var total = 0
        for (k, t) in outTypes.enumerated() {
            let declared = g.tensors[Int(node.outputs[k])]
            guard t.dtype == declared.dtype, declared.shape.count == t.shape.count else { return nil }
            for (d, dim) in declared.shape.enumerated() {
                if let v = dim.fixedValue, v != t.shape[d] { return nil }
            }
            guard let count = checkedElementCount(t.shape) else { return nil }
            total += count * t.dtype.byteSize
            guard total <= maxFoldedBytes, total <= budget else { return nil }
        }
        guard let kernel = try? op.makeKernel(inputs: inputs, outputs: outTypes) else { return nil }
        guard kernel.scratchByteCount >= 0, kernel.scratchByteCount <= maxFoldedBytes else { return nil }

        // Output blobs, allocated before anything runs so a failure leaks nothing.
        var blobs: [Blob] = []
        for t in outTypes {
            guard let blob = alignedBlob(byteCount: t.byteCount) else { return nil }
            blobs.append(blob)
        }
        var scratch: UnsafeMutableRawPointer?
        if kernel.scratchByteCount > 0 {
            guard posix_memalign(&scratch, 64, kernel.scratchByteCount) == 0, scratch != nil else { return nil }
        }
        defer { free(scratch) }

        // A slots table holding just this node's tensors: inputs at 0..<n, outputs after them.
        let n = node.inputs.count, m = node.outputs.count
        let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: n + m)
        slots.initialize(repeating: nil, count: n + m)
        defer { slots.deallocate() }
        let ids = UnsafeMutablePointer<Int32>.allocate(capacity: n + m)
        defer { ids.deallocate() }
        // A zero-byte constant may have no address; kernels unwrap every slot they read.
        guard let emptyBlob = alignedBlob(byteCount: 64), let emptyAddress = emptyBlob.bytes.baseAddress else { return nil }
        for k in 0 ..< n {
            if let data = inputs[k].constant {
                slots[k] = UnsafeMutableRawPointer(mutating: data.bytes.baseAddress ?? emptyAddress)
                ids[k] = Int32(k)
            } else {
                ids[k] = -1
            }
        }
        for k in 0 ..< m {
            slots[n + k] = UnsafeMutableRawPointer(mutating: blobs[k].bytes.baseAddress)
            ids[n + k] = Int32(n + k)
        }
        withExtendedLifetime(emptyBlob) {
            kernel.run(KernelIO(slots: slots, inputIDs: UnsafePointer(ids), outputIDs: UnsafePointer(ids + n),
                                scratch: scratch, workers: Workers.inline))
        }
        return zip(outTypes, blobs).map { ($0, TensorData(blob: $1, offset: 0, byteCount: $0.byteCount)) }
    }

    /// A zeroed, 64-byte aligned heap blob of `byteCount` bytes (at least one byte is allocated,
    /// so the address is never nil); nil when memory runs out.
    private static func alignedBlob(byteCount: Int) -> Blob? {
        var p: UnsafeMutableRawPointer?
        guard posix_memalign(&p, 64, Swift.max(byteCount, 1)) == 0, let p else { return nil }
        memset(p, 0, Swift.max(byteCount, 1))
        return Blob(bytes: UnsafeRawBufferPointer(start: p, count: byteCount)) { b in
            free(UnsafeMutableRawPointer(mutating: b.baseAddress))
        }
    }
}
