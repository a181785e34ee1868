import DLRTKernels
import DLRTModel

/// AveragePool (1-D / 2-D) with ceil_mode and count_include_pad.
final class AveragePoolOperator: Operator {
    static let opCode = OpCode.averagePool
    let pool: DensePoolGeometry
    let countIncludePad: Bool

    init(node: Node, graph: Graph) throws {
        pool = try DensePoolGeometry(node: node, allowDilations: true)
        countIncludePad = try DenseAttributes(node).flag("count_include_pad", default: false)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try pool.shape(inputs).1)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        DensePoolKernel(try pool.shape(inputs).0, isMax: false, countIncludePad: countIncludePad)
    }
}
