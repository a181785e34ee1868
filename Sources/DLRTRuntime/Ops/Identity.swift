import DLRTModel

/// Identity: copies its input (any dtype).
final class IdentityOperator: Operator {
    static var opCode: OpCode { .identity }

    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [try ElemCheck.input(node, inputs, 0)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}
