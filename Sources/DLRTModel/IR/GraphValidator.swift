/// Structural validation of a `Graph`, shared by the reader (every loaded file) and the writer /
/// converter (graphs built in memory). It checks what every consumer relies on:
///
/// - tensors: fixed dims >= 0, symbolic dims named; constants have fixed shapes and exactly
///   element-count × dtype-size bytes inside their blob; quantization scale / zero-point counts
///   agree with the axis; names contain no NUL byte (they cross the C API as C strings);
/// - nodes (in topological order): op version supported, at least one output, input ids -1 or in
///   range, output ids in range; every input is a graph input, a constant or an output of an
///   EARLIER node (which rules out cycles); each tensor is produced at most once, never a graph
///   input or constant;
/// - graph inputs: in range, not constants, not produced by nodes, distinct non-empty names;
/// - graph outputs: in range and produced by a node.
///
/// Messages name the tensor (id and name), the node (name, index, op) and the source.
public enum GraphValidator {
    public static func validate(_ graph: Graph) throws {
        try validate(graph, source: nil)
    }

    static func validate(_ graph: Graph, source: String?) throws {
        let prefix = (source ?? "graph") + ": "
        func fail(_ message: String) -> ModelError { ModelError(.invalidModel, prefix + message) }
        func fail(_ kind: ModelError.Kind, _ message: String) -> ModelError { ModelError(kind, prefix + message) }
        let tensors = graph.tensors
        let n = tensors.count
        guard n <= Int(Int32.max) else { throw fail("\(n) tensors exceed the format's limit of 2^31-1") }
        func tensorLabel(_ id: Int) -> String { "tensor \(id) '\(tensors[id].name)'" }

        for i in 0 ..< n {
            if let p = tensorProblem(tensors[i], id: i) { throw fail(p.kind, p.message) }
        }

        // 0 = not defined yet, 1 = graph input, 2 = constant, 3 = produced by a node.
        var state = [UInt8](repeating: 0, count: n)
        var producer = [Int](repeating: -1, count: n)
        for i in 0 ..< n where tensors[i].isConstant { state[i] = 2 }

        var inputNames = Set<String>()
        for (k, raw) in graph.inputs.enumerated() {
            let id = Int(raw)
            guard id >= 0, id < n else {
                throw fail("graph input \(k): tensor id \(raw) is out of range (the graph has \(n) tensors)")
            }
            let t = tensors[id]
            if state[id] == 1 { throw fail("graph input \(k): \(tensorLabel(id)) is listed twice") }
            if t.isConstant { throw fail("graph input \(k): \(tensorLabel(id)) is a constant") }
            if t.name.isEmpty { throw fail("graph input \(k): tensor \(id) has an empty name") }
            if !inputNames.insert(t.name).inserted {
                throw fail("graph input \(k): duplicate graph input name '\(t.name)' (tensor \(id))")
            }
            state[id] = 1
        }

        for (i, node) in graph.nodes.enumerated() {
            let where_ = "node '\(node.name)' (index \(i), \(node.op.name))"
            if let p = nodeProblem(node, index: i, tensorCount: n) { throw fail(p.kind, p.message) }
            for (k, raw) in node.inputs.enumerated() where raw != -1 {
                let id = Int(raw)
                if state[id] == 0 {
                    var later = ""
                    if let j = graph.nodes.indices.first(where: { $0 > i && graph.nodes[$0].outputs.contains(raw) }) {
                        later = " (it is produced later by node '\(graph.nodes[j].name)' (index \(j)); nodes must be in topological order)"
                    } else {
                        later = " (no node produces it and it is neither a graph input nor a constant)"
                    }
                    throw fail("\(where_): input \(k) uses \(tensorLabel(id)) before it is defined\(later)")
                }
            }
            for (k, raw) in node.outputs.enumerated() {
                let id = Int(raw)
                switch state[id] {
                case 1: throw fail("\(where_): output \(k) writes \(tensorLabel(id)), which is a graph input")
                case 2: throw fail("\(where_): output \(k) writes \(tensorLabel(id)), which is a constant")
                case 3:
                    let j = producer[id]
                    let other = j >= 0 ? "node '\(graph.nodes[j].name)' (index \(j))" : "another node"
                    throw fail("\(where_): output \(k): \(tensorLabel(id)) is already produced by \(other)")
                default:
                    state[id] = 3
                    producer[id] = i
                }
            }
        }

        for (k, raw) in graph.outputs.enumerated() {
            let id = Int(raw)
            guard id >= 0, id < n else {
                throw fail("graph output \(k): tensor id \(raw) is out of range (the graph has \(n) tensors)")
            }
            guard state[id] == 3 else {
                throw fail("graph output \(k): \(tensorLabel(id)) is not produced by any node")
            }
            if tensors[id].name.isEmpty { throw fail("graph output \(k): tensor \(id) has an empty name") }
        }

        for (k, entry) in graph.metadata.enumerated() {
            if entry.key.utf8.contains(0) || entry.value.utf8.contains(0) {
                throw fail("metadata entry \(k) ('\(entry.key)') contains a NUL byte")
            }
        }
    }

    /// Checks one tensor on its own. Used by the reader too (which adds the byte offset).
    static func tensorProblem(_ t: Tensor, id: Int) -> (kind: ModelError.Kind, message: String)? {
        let label = "tensor \(id) '\(t.name)'"
        if t.name.utf8.contains(0) { return (.invalidModel, "tensor \(id): name contains a NUL byte") }
        for (k, d) in t.shape.enumerated() {
            switch d {
            case .fixed(let v):
                if v < 0 { return (.invalidModel, "\(label): dimension \(k) is \(v); fixed dimensions must be >= 0") }
            case .symbolic(let s):
                if s.isEmpty { return (.invalidModel, "\(label): symbolic dimension \(k) has an empty name") }
                if s.utf8.contains(0) { return (.invalidModel, "\(label): symbolic dimension \(k) name contains a NUL byte") }
            }
        }
        if let data = t.data {
            guard let dims = t.fixedShape else {
                return (.invalidModel, "\(label): constant with symbolic shape \(describe(t.shape)); constants need fixed shapes")
            }
            guard let count = checkedElementCount(dims) else {
                return (.invalidModel, "\(label): element count of shape \(describe(dims)) overflows")
            }
            let (expected, overflow) = count.multipliedReportingOverflow(by: t.dtype.byteSize)
            if overflow { return (.invalidModel, "\(label): byte size of shape \(describe(dims)) overflows") }
            if data.byteCount != expected {
                return (.invalidModel, "\(label): constant has \(data.byteCount) bytes but \(t.dtype) \(describe(dims)) needs \(expected)")
            }
            let (dataEnd, o2) = data.offset.addingReportingOverflow(data.byteCount)
            if data.offset < 0 || o2 || dataEnd > data.blob.bytes.count {
                return (.invalidModel, "\(label): constant data [\(data.offset), +\(data.byteCount)) lies outside its \(data.blob.bytes.count)-byte blob")
            }
        }
        if let q = t.quantization {
            if q.scales.count != q.zeroPoints.count {
                return (.invalidModel, "\(label): quantization has \(q.scales.count) scales but \(q.zeroPoints.count) zero points")
            }
            if let axis = q.axis {
                guard axis >= 0, axis < t.shape.count, axis <= Int(Int32.max) else {
                    return (.invalidModel, "\(label): quantization axis \(axis) is out of range for rank \(t.shape.count)")
                }
                if q.scales.isEmpty { return (.invalidModel, "\(label): per-axis quantization has no scales") }
                if case .fixed(let d) = t.shape[axis], d != q.scales.count {
                    return (.invalidModel, "\(label): quantization axis \(axis) has \(d) channels but \(q.scales.count) scales")
                }
            } else if q.scales.count != 1 {
                return (.invalidModel, "\(label): per-tensor quantization needs exactly 1 scale, found \(q.scales.count)")
            }
            if let bad = q.scales.firstIndex(where: { !$0.isFinite }) {
                return (.invalidModel, "\(label): quantization scale \(bad) is \(q.scales[bad])")
            }
        }
        return nil
    }

    /// Checks one node on its own (ids in range, version, names). Used by the reader too.
    static func nodeProblem(_ node: Node, index: Int, tensorCount n: Int) -> (kind: ModelError.Kind, message: String)? {
        let label = "node '\(node.name)' (index \(index), \(node.op.name))"
        if node.name.utf8.contains(0) { return (.invalidModel, "node \(index): name contains a NUL byte") }
        let maxVersion = Layout.maxOpVersion(node.op)
        if node.version == 0 { return (.invalidModel, "\(label): op version 0 is invalid") }
        if node.version > maxVersion {
            return (.unsupported, "\(label): op version \(node.version) is newer than the supported version \(maxVersion)")
        }
        if node.outputs.isEmpty { return (.invalidModel, "\(label): has no outputs") }
        for (k, id) in node.inputs.enumerated() where id != -1 {
            if id < 0 || Int(id) >= n {
                return (.invalidModel, "\(label): input \(k) is tensor id \(id), out of range (the graph has \(n) tensors; -1 marks an absent optional input)")
            }
        }
        for (k, id) in node.outputs.enumerated() {
            if id < 0 || Int(id) >= n {
                return (.invalidModel, "\(label): output \(k) is tensor id \(id), out of range (the graph has \(n) tensors)")
            }
        }
        for (key, value) in node.attributes {
            if key.isEmpty { return (.invalidModel, "\(label): attribute with an empty name") }
            if key.utf8.contains(0) { return (.invalidModel, "\(label): attribute name contains a NUL byte") }
            if case .string(let s) = value, s.utf8.contains(0) {
                return (.invalidModel, "\(label): attribute '\(key)' contains a NUL byte")
            }
        }
        return nil
    }
}
