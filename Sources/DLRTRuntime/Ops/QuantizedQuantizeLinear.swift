import CDLRTSupport
import DLRTKernels
import DLRTModel

/// QuantizeLinear (104): Y = saturate(round_half_even(X / scale) + zero_point) as uint8 or int8
/// (`to`), per tensor or per index of `axis`; NaN → zero_point. X float32.
final class QuantizeLinearOperator: Operator {
    static let opCode = OpCode.quantizeLinear

    let node: Node
    let to: DType
    let params: LinearQuantization

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 1)
        self.node = node
        let tag = try a.int("to", default: Int(DType.uint8.rawValue))
        guard tag == Int(DType.uint8.rawValue) || tag == Int(DType.int8.rawValue), let t = DType(rawValue: UInt8(tag)) else {
            throw a.error("attribute 'to' is \(tag), expected \(DType.uint8.rawValue) (uint8) or \(DType.int8.rawValue) (int8)")
        }
        to = t
        params = try LinearQuantization(node: node, quantized: to)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try denseFloatInput(inputs, 0, "X", DenseAttributes(node))
        _ = try params.blocks(x, node)
        return [TensorType(to, x)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try denseFloatInput(inputs, 0, "X", DenseAttributes(node))
        return QuantizeLinearKernel(blocks: try params.blocks(x, node), params: params, signed: to == .int8)
    }
}

final class QuantizeLinearKernel: Kernel {
    let blocks: (outer: Int, channels: Int, inner: Int)
    let params: LinearQuantization
    let signed: Bool

    init(blocks: (outer: Int, channels: Int, inner: Int), params: LinearQuantization, signed: Bool) {
        self.blocks = blocks
        self.params = params
        self.signed = signed
    }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.rawOutput(0)
        var at = 0
        for _ in 0 ..< blocks.outer {
            for c in 0 ..< blocks.channels {
                let s = params.scales[c], z = params.zeros[c]
                if signed {
                    let q = y.assumingMemoryBound(to: Int8.self)
                    for i in at ..< at + blocks.inner {
                        let v = x[i]
                        let r = v.isNaN ? Float(z) : min(max((v / s).rounded(.toNearestOrEven) + Float(z), -128), 127)
                        q[i] = Int8(r)
                    }
                } else {
                    cdlrt_quantize_u8(x + at, blocks.inner, s, z, y.assumingMemoryBound(to: UInt8.self) + at)
                }
                at += blocks.inner
            }
        }
    }
}
