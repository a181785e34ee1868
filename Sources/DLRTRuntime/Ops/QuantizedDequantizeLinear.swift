import CDLRTSupport
import DLRTKernels
import DLRTModel

/// DequantizeLinear (105): Y = (X − zero_point) · scale as float32, X uint8, int8 or int32, per
/// tensor or per index of `axis`.
final class DequantizeLinearOperator: Operator {
    static let opCode = OpCode.dequantizeLinear

    let node: Node
    let paramsByType: [DType: LinearQuantization]

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 1)
        self.node = node
        // The zero points' valid range depends on X's type, known at plan time.
        var table: [DType: LinearQuantization] = [:]
        for t in [DType.uint8, .int8, .int32] { table[t] = try? LinearQuantization(node: node, quantized: t) }
        if table[.int32] == nil { _ = try LinearQuantization(node: node, quantized: .int32) }  // throws the message
        paramsByType = table
    }

    func params(_ inputs: [PlanInput]) throws -> (LinearQuantization, TensorType) {
        guard let x = inputs.first?.type else { throw OpError(node, "input X is absent") }
        guard let p = paramsByType[x.dtype] else {
            throw OpError(node, "X is \(x.dtype), expected uint8, int8 or int32 (with zero points in its range)", kind: .unsupported)
        }
        return (p, x)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (p, x) = try params(inputs)
        _ = try p.blocks(x.shape, node)
        return [TensorType(.float32, x.shape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (p, x) = try params(inputs)
        return DequantizeLinearKernel(blocks: try p.blocks(x.shape, node), params: p, dtype: x.dtype)
    }
}

final class DequantizeLinearKernel: Kernel {
    let blocks: (outer: Int, channels: Int, inner: Int)
    let params: LinearQuantization
    let dtype: DType

    init(blocks: (outer: Int, channels: Int, inner: Int), params: LinearQuantization, dtype: DType) {
        self.blocks = blocks
        self.params = params
        self.dtype = dtype
    }

    func run(_ io: KernelIO) {
        let x = io.rawInput(0), y = io.output(0, as: Float.self)
        var at = 0
        for _ in 0 ..< blocks.outer {
            for c in 0 ..< blocks.channels {
                let s = params.scales[c], z = params.zeros[c]
                switch dtype {
                case .uint8:
                    cdlrt_dequantize_u8(x.assumingMemoryBound(to: UInt8.self) + at, blocks.inner, s, z, y + at)
                case .int8:
                    let q = x.assumingMemoryBound(to: Int8.self)
                    for i in at ..< at + blocks.inner { y[i] = Float(Int32(q[i]) - z) * s }
                default:
                    let q = x.assumingMemoryBound(to: Int32.self)
                    for i in at ..< at + blocks.inner { y[i] = Float(Int64(q[i]) - Int64(z)) * s }
                }
                at += blocks.inner
            }
        }
    }
}
