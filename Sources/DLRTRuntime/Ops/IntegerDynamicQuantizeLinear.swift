import DLRTModel

/// DynamicQuantizeLinear (112): X float32 (any shape) → Y uint8 (X's shape), Y_scale float32 [],
/// Y_zero_point uint8 []. As onnxruntime computes it: lo = min(0, min X), hi = max(0, max X)
/// over the non-NaN values; scale = (hi − lo) / 255, or 1 when hi = lo; zero =
/// clamp(round_half_even(0 − lo / scale), 0, 255); Y = clamp(round_half_even(X / scale) + zero,
/// 0, 255), NaN → 0.
final class DynamicQuantizeLinearOperator: Operator {
    static let opCode = OpCode.dynamicQuantizeLinear
    let node: Node

    init(node: Node, graph: Graph) throws {
        try DenseAttributes(node).checkArity(inputs: 1, outputs: 3)
        self.node = node
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try denseFloatInput(inputs, 0, "x", DenseAttributes(node))
        return [TensorType(.uint8, x), TensorType(.float32, []), TensorType(.uint8, [])]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        DynamicQuantizeLinearKernel(count: try denseFloatInput(inputs, 0, "x", DenseAttributes(node)).reduce(1, *))
    }
}

final class DynamicQuantizeLinearKernel: Kernel {
    let count: Int
    init(count: Int) { self.count = count }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.output(0, as: UInt8.self)
        let params = dynamicQuantizeParameters(x, count)
        io.output(1, as: Float.self).pointee = params.scale
        io.output(2, as: UInt8.self).pointee = UInt8(params.zero)
        for i in 0 ..< count {
            let v = (x[i] / params.scale).rounded(.toNearestOrEven) + params.zero
            y[i] = v.isNaN ? 0 : UInt8(Swift.min(Swift.max(v, 0), 255))
        }
    }
}

/// DynamicQuantizeLinear's scale and zero point (as a Float holding an integer 0…255) of `count` floats.
func dynamicQuantizeParameters(_ x: UnsafePointer<Float>, _ count: Int) -> (scale: Float, zero: Float) {
    var lo: Float = 0, hi: Float = 0
    for i in 0 ..< count where !x[i].isNaN {
        lo = Swift.min(lo, x[i])
        hi = Swift.max(hi, x[i])
    }
    let scale: Float = hi == lo ? 1 : (hi - lo) / 255
    let z = (0 - lo / scale).rounded(.toNearestOrEven)
    return (scale, z.isNaN ? 0 : Swift.min(Swift.max(z, 0), 255))
}
