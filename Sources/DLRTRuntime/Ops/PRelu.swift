import DLRTKernels
import DLRTModel

/// PRelu(X, slope): float32; slope unidirectionally broadcast to X (the output has X's shape).
/// Rows of a two-operand broadcast plan; a per-channel [C, 1, 1] slope becomes one value per
/// row of H·W (vectorised).
final class PReluOperator: Operator {
    static var opCode: OpCode { .pRelu }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
    }

    func plan(_ inputs: [PlanInput]) throws -> NaryBroadcastPlan {
        let x = try ElemCheck.floatInput(node, inputs, 0, "X"), s = try ElemCheck.floatInput(node, inputs, 1, "slope")
        let p = try broadcastPlan(node, [x.shape, s.shape])
        guard p.outputShape == x.shape else {
            throw OpError(node, "slope \(describe(s.shape)) does not broadcast to X \(describe(x.shape)) (unidirectional broadcasting)", kind: .shape)
        }
        return p
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try plan(inputs).outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        BroadcastRowKernel(plan: try plan(inputs)) { io in PReluRow(x: io.input(0), slope: io.input(1), y: io.output(0)) }
    }
}
