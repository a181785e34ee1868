import DLRTModel

/// Flatten to 2-D at `axis` (default 1; negative counts from the end; 0 gives [1, total]).
final class FlattenOperator: Operator {
    static var opCode: OpCode { .flatten }

    let node: Node
    let axis: Int64

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: 1) ?? 1
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let t = try ElemCheck.input(node, inputs, 0)
        let a = try ElemCheck.axis(node, "axis", axis, rank: t.shape.count, inclusiveEnd: true, shape: t.shape)
        return [TensorType(t.dtype, [t.shape[..<a].reduce(1, *), t.shape[a...].reduce(1, *)])]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}
