import DLRTModel

/// A loaded model ready to run: the validated graph with its constant nodes folded at load
/// (`LoadTimeFolding`), one operator per remaining node (with pre-packed weights), and — when
/// every input shape is fixed — the plan, built once at load.
/// Immutable after init, so any number of threads may share it.
public final class CompiledModel: @unchecked Sendable {
    public let graph: Graph
    let operators: [any Operator]
    /// The plan for fixed input shapes, built at load and shared by every context; nil when an
    /// input has a symbolic dimension (contexts then plan for the shapes they are given).
    public private(set) var fixedPlan: Plan?

    /// Nodes folded into constants at load (see LoadTimeFolding.swift).
    public let foldedNodeCount: Int
    /// Graph inputs whose values key the plan (none for most models; then no fixed plan is built).
    let valueInputs: ValueInputs

    public init(graph: Graph) throws {
        try GraphValidator.validate(graph)
        let (folded, foldedCount) = LoadTimeFolding.fold(graph)
        self.graph = folded
        self.foldedNodeCount = foldedCount
        self.operators = try folded.nodes.map { try OperatorRegistry.make(node: $0, graph: folded) }
        self.fixedPlan = nil
        valueInputs = try ValueInputs(graph: folded, operators: operators)
        let shapes = folded.inputs.map { folded.tensors[Int($0)].fixedShape }
        if valueInputs.isEmpty && shapes.allSatisfy({ $0 != nil }) {
            // Build it now so a bad model fails at load and contexts share the plan.
            fixedPlan = try Plan(model: self, inputShapes: shapes.compactMap { $0 })
        }
    }

    public convenience init(path: String) throws {
        try self.init(graph: ModelReader.load(path: path))
    }

    public var inputs: [Tensor] { graph.inputs.map { graph.tensors[Int($0)] } }
    public var outputs: [Tensor] { graph.outputs.map { graph.tensors[Int($0)] } }
}
