import DLRTModel

/// The operator table: op code → implementation. Each op lives in its own file under `Ops/`;
/// the groups below are listed in the files that own them.
enum OperatorRegistry {
    static let all: [any Operator.Type] = denseOperators + elementwiseOperators + layoutOperators + transformerOperators
        + headOperators + visionOperators + recurrentOperators + quantizedOperators + integerOperators

    static let byCode: [OpCode: any Operator.Type] = {
        var table: [OpCode: any Operator.Type] = [:]
        for t in all { table[t.opCode] = t }
        return table
    }()

    /// Creates the operator for `node`, or fails naming the op when this build lacks it.
    static func make(node: Node, graph: Graph) throws -> any Operator {
        guard let type = byCode[node.op] else {
            throw OpError(node, "op \(node.op.name) is not implemented by this runtime", kind: .unsupported)
        }
        return try type.init(node: node, graph: graph)
    }
}

extension CompiledModel {
    /// The ops this runtime build implements, in op-code order.
    public static var supportedOps: [OpCode] { OperatorRegistry.all.map { $0.opCode }.sorted { $0.rawValue < $1.rawValue } }
}
