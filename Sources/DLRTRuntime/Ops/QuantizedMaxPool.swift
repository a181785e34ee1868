import CDLRTSupport
import DLRTKernels
import DLRTModel

/// QuantizedMaxPool (106): MaxPool (op 4's attributes) on a uint8 tensor quantized with
/// `x_scale` / `x_zero_point`. Quantization is monotonic, so the max of the codes is the code of
/// the max. Y is uint8 with the same parameters when `y_scale` / `y_zero_point` are given (they
/// must equal x's), else float32 = (max − x_zero_point) · x_scale.
final class QuantizedMaxPoolOperator: Operator {
    static let opCode = OpCode.quantizedMaxPool

    let node: Node
    let geometry: ConvGeometry
    let quantization: StaticQuantization

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 1)
        self.node = node
        geometry = try ConvGeometry(node: node, kernelFromWeights: nil, allowCeilMode: true, allowDilations: true)
        quantization = try StaticQuantization(node: node)
        if let y = quantization.y, y != quantization.x {
            throw a.error("y_scale / y_zero_point must equal x_scale / x_zero_point (max pooling does not requantize)")
        }
        let order = try a.int("storage_order", default: 0)
        guard order == 0 else { throw a.error("storage_order \(order) is not supported", kind: .unsupported) }
    }

    func shape(_ inputs: [PlanInput]) throws -> (cdlrt_conv_geometry, planes: Int, out: [Int]) {
        let a = DenseAttributes(node)
        guard let t = inputs.first?.type else { throw a.error("input X is absent") }
        guard t.dtype == .uint8 else { throw a.error("X is \(t.dtype), expected uint8", kind: .unsupported) }
        let x = t.shape, r = geometry.rank
        guard x.count == r + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(r + 2) for kernel_shape \(describe(geometry.kernel))", kind: .shape)
        }
        let spatial = Array(x[2...])
        let (out, pads) = try geometry.resolve(spatial, node: node)
        let g = geometry
        let c = cdlrt_conv_geometry(
            h: Int32(g.axis2D(spatial, h: true)), w: Int32(g.axis2D(spatial, h: false)),
            kh: Int32(g.axis2D(g.kernel, h: true)), kw: Int32(g.axis2D(g.kernel, h: false)),
            stride_h: Int32(g.axis2D(g.strides, h: true)), stride_w: Int32(g.axis2D(g.strides, h: false)),
            pad_top: Int32(g.pad2D(pads, h: true, end: false)), pad_left: Int32(g.pad2D(pads, h: false, end: false)),
            dil_h: Int32(g.axis2D(g.dilations, h: true)), dil_w: Int32(g.axis2D(g.dilations, h: false)),
            out_h: Int32(g.axis2D(out, h: true)), out_w: Int32(g.axis2D(out, h: false)))
        guard let outCount = checkedElementCount([x[0], x[1]] + out) else {
            throw a.error("output of X \(describe(x)) is too large", kind: .shape)
        }
        try checkInt32Sizes(node, spatial + out + [outCount], "X \(describe(x))")
        return (c, x[0] * x[1], [x[0], x[1]] + out)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(quantization.y == nil ? .float32 : .uint8, try shape(inputs).out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let s = try shape(inputs)
        return QuantizedMaxPoolKernel(geometry: s.0, planes: s.planes, x: quantization.x, u8Output: quantization.y != nil)
    }
}

final class QuantizedMaxPoolKernel: Kernel {
    let geometry: cdlrt_conv_geometry
    let planes: Int
    let x: U8Params
    let u8Output: Bool

    init(geometry: cdlrt_conv_geometry, planes: Int, x: U8Params, u8Output: Bool) {
        self.geometry = geometry
        self.planes = planes
        self.x = x
        self.u8Output = u8Output
    }

    var outPlane: Int { Int(geometry.out_h) * Int(geometry.out_w) }
    /// Float output: one pooled u8 plane per call of the parallel task (at most `planes`).
    var scratchByteCount: Int { u8Output ? 0 : planes * outPlane }

    func run(_ io: KernelIO) {
        let task = QMaxPoolTask(geometry: geometry, inPlane: Int(geometry.h) * Int(geometry.w), outPlane: outPlane,
                                x: io.input(0, as: UInt8.self), u8: u8Output ? io.output(0, as: UInt8.self) : nil,
                                f32: u8Output ? nil : io.output(0, as: Float.self), scratch: io.scratch?.assumingMemoryBound(to: UInt8.self),
                                params: x)
        io.workers.parallelFor(planes, grain: max(1, 16384 / max(1, outPlane)), task)
    }
}

struct QMaxPoolTask: ParallelTask {
    var geometry: cdlrt_conv_geometry
    var inPlane: Int, outPlane: Int
    var x: UnsafePointer<UInt8>
    var u8: UnsafeMutablePointer<UInt8>?
    var f32: UnsafeMutablePointer<Float>?
    var scratch: UnsafeMutablePointer<UInt8>?
    var params: U8Params

    func run(_ range: Range<Int>) {
        var g = geometry
        for p in range {
            if let u8 {
                cdlrt_maxpool_u8(&g, x + p * inPlane, u8 + p * outPlane)
            } else if let f32, let scratch {
                cdlrt_maxpool_u8(&g, x + p * inPlane, scratch + p * outPlane)
                cdlrt_dequantize_u8(scratch + p * outPlane, outPlane, params.scale, params.zero, f32 + p * outPlane)
            }
        }
    }
}
