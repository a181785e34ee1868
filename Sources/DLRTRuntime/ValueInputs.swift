import DLRTModel

/// An operator that reads the VALUES of some inputs when it plans (a Reshape shape, …): those
/// inputs are constants, or graph inputs whose bytes key the plan ("value inputs",
/// docs/ARCHITECTURE.md "Operands fed at run time").
protocol ValueInputConsumer {
    /// Input positions whose values `outputTypes` / `makeKernel` read through `PlanInput.constant`.
    var valueInputPositions: [Int] { get }
}

/// The graph inputs of a model that are value inputs: small tensors of fixed shape whose bytes a
/// plan is built for. Found and validated once at load.
struct ValueInputs: Sendable {
    /// At most this many elements per value input.
    static let maxElements = 64

    /// Positions in `graph.inputs`, ascending.
    let positions: [Int]
    /// Byte count of each (fixed shape).
    let byteCounts: [Int]

    init(graph: Graph, operators: [any Operator]) throws {
        var chosen = Set<Int>()
        let inputPosition = Dictionary(graph.inputs.enumerated().map { (Int($1), $0) }, uniquingKeysWith: { a, _ in a })
        for (index, node) in graph.nodes.enumerated() {
            guard let consumer = operators[index] as? ValueInputConsumer else { continue }
            for k in consumer.valueInputPositions where k < node.inputs.count && node.inputs[k] >= 0 {
                let id = Int(node.inputs[k])
                let tensor = graph.tensors[id]
                if tensor.data != nil { continue }
                guard let p = inputPosition[id] else {
                    throw OpError(node, "input \(k) ('\(tensor.name)') is neither a constant nor a graph input; dlrt reads it when planning",
                                  kind: .unsupported)
                }
                guard [.int64, .int32, .float32].contains(tensor.dtype), let shape = tensor.fixedShape, shape.count <= 1,
                      shape.reduce(1, *) <= Self.maxElements else {
                    throw OpError(node, "input \(k) ('\(tensor.name)') is \(tensor.dtype)\(describe(tensor.shape)); a value input must be int64, int32 or float32 of fixed rank ≤ 1 with at most \(Self.maxElements) elements",
                                  kind: .unsupported)
                }
                chosen.insert(p)
            }
        }
        positions = chosen.sorted()
        byteCounts = positions.map { p in
            let t = graph.tensors[Int(graph.inputs[p])]
            return (t.fixedShape ?? []).reduce(1, *) * t.dtype.byteSize
        }
    }

    var isEmpty: Bool { positions.isEmpty }
}
