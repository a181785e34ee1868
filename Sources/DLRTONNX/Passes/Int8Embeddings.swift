import DLRTModel

/// `--weights int8`: embedding tables. A Gather along axis 0 of a constant float32 table of rank
/// ≥ 2 becomes `QuantizedGather` (op 118, docs/OPS.md) reading the table as int8 with one
/// symmetric scale per row (scale = max|row| / 127, 1 for an all-zero row; q = round half even,
/// clamped to −127…127), stored as the tensor's quantization record (axis 0). The runtime
/// dequantizes only the gathered rows.
///
/// Left float32 (with a note in the report): tables with a non-finite value, fewer than
/// `minimumElements` values (not worth it), and tables some other node also reads as float32
/// (quantizing them would keep both copies in the file).
extension Int8Weights {
    static let minimumEmbeddingElements = 1024

    static func gather(_ g: inout Graph, _ n: Int, memo: inout [Int32: Int32], readers: [Int32: Int],
                       _ r: inout Report) throws {
        let node = g.nodes[n]
        var axis: Int64 = 0
        if case .int(let v)? = node.attributes["axis"] { axis = v }
        let tableID = node.inputs[0]
        guard tableID >= 0, g.tensors[Int(tableID)].isConstant else { return }  // a gather of activations
        let (w, shape) = try floatConstant(g, tableID, "table")
        guard shape.count >= 2, axis == 0 || axis == -Int64(shape.count) else {
            throw Skip(reason: "table \(describe(shape)) gathered along axis \(axis); only axis 0 of rank ≥ 2 is quantized")
        }
        let count = shape.reduce(1, *)
        guard count >= minimumEmbeddingElements else { return }
        guard readers[tableID] == 0 else {
            throw Skip(reason: "table \(g.tensors[Int(tableID)].name) is also read as float32 by \(readers[tableID] ?? 0) other node(s)")
        }
        let shared = memo[tableID] != nil
        let (q, scales, err) = quantize(w, channels: shape[0], channelsFirst: true)
        let id = memo[tableID] ?? store(&g, name: g.tensors[Int(tableID)].name, q: q, shape: shape, scales: scales, axis: 0)
        memo[tableID] = id
        g.nodes[n] = Node(name: node.name, op: .quantizedGather, inputs: [id, node.inputs[1]], outputs: node.outputs)
        record(&r, node, "Gather", shape, scales, err, shared: shared)
    }

    /// For each constant: how many nodes read it other than as input 0 of a Gather.
    static func nonGatherReaders(_ g: Graph) -> [Int32: Int] {
        var readers: [Int32: Int] = [:]
        for node in g.nodes {
            for (k, id) in node.inputs.enumerated() where id >= 0 && g.tensors[Int(id)].isConstant {
                readers[id, default: 0] += node.op == .gather && k == 0 ? 0 : 1
            }
        }
        for id in g.outputs { readers[id, default: 0] += 1 }
        return readers
    }
}
