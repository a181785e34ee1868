import DLRTKernels
import DLRTModel

/// MaxPool (1-D / 2-D, one output): padding never wins a max.
final class MaxPoolOperator: Operator {
    static let opCode = OpCode.maxPool
    let pool: DensePoolGeometry

    init(node: Node, graph: Graph) throws {
        pool = try DensePoolGeometry(node: node, allowDilations: true)
        let order = try DenseAttributes(node).int("storage_order", default: 0)
        guard order == 0 else { throw DenseAttributes(node).error("storage_order \(order) is not supported", kind: .unsupported) }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try pool.shape(inputs).1)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        DensePoolKernel(try pool.shape(inputs).0, isMax: true, countIncludePad: false)
    }
}
