import CDLRTSupport
import DLRTKernels
import DLRTModel

/// QuantizedDepthwiseConv (110): depthwise Conv (group = C = M, W [C, 1, (kH,) kW] constant int8,
/// symmetric, per channel or per tensor) with static activation parameters, so a calibrated
/// MobileNet stays u8 through its depthwise layers. Attributes: op 3's (strides, pads, dilations,
/// auto_pad, group), a fused activation, `x_scale`, `x_zero_point` (required), `y_scale`,
/// `y_zero_point` (both or neither). X float32 (quantized with the x parameters) or uint8; Y uint8
/// (with the y parameters) or float32. Exact int32 accumulation of (x − x_zero) · w (padding taps
/// add 0), then the int8 GEMM's epilogue (docs/QUANTIZATION.md); kernels in
/// CDLRTSupport/qdepthwise.c, reference `QuantizedDepthwiseReference`.
final class QuantizedDepthwiseConvOperator: Operator {
    static let opCode = OpCode.quantizedDepthwiseConv

    let node: Node
    let quantization: StaticQuantization
    let geometry: ConvGeometry
    let weightShape: [Int]
    let activation: DenseActivation
    let packed: QDepthwiseWeights
    /// Channels and kernel (the spatial fields are filled per input shape).
    let template: Conv2DShape

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        quantization = try StaticQuantization(node: node)
        let w = try Int8Weight(node: node, graph: graph, input: 1, name: "W", channelAxis: 0, ranks: 3 ... 4)
        weightShape = w.shape
        geometry = try ConvGeometry(node: node, kernelFromWeights: Array(w.shape[2...]), allowCeilMode: false)
        let group = try a.int("group", default: 1)
        guard w.shape[1] == 1, group == w.shape[0], group >= 1 else {
            throw a.error("W \(describe(w.shape)) with group \(group) is not depthwise (expected W [C, 1, …] and group = C)")
        }
        activation = try DenseActivation(node: node)
        var s = Conv2DShape()
        s.group = group
        s.inChannels = group
        s.outChannels = group
        s.kH = geometry.axis2D(geometry.kernel, h: true)
        s.kW = geometry.axis2D(geometry.kernel, h: false)
        try checkInt32Sizes(node, [s.kH * s.kW, group], "W \(describe(w.shape))")
        template = s
        packed = QDepthwiseWeights(channels: group, taps: s.kH * s.kW, values: w.values, scales: w.scales,
                                   xScale: quantization.x.scale)
    }

    func shape(for x: [Int]) throws -> Conv2DShape {
        let a = DenseAttributes(node)
        guard x.count == geometry.rank + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(geometry.rank + 2) to match W \(describe(weightShape))", kind: .shape)
        }
        guard x[1] == template.inChannels else {
            throw a.error("X \(describe(x)) has \(x[1]) channels, but W \(describe(weightShape)) expects \(template.inChannels)", kind: .shape)
        }
        let s = try geometry.shape(from: template, input: x, node: node)
        // The padded plane of one block of 16 channels (int32) must fit the C kernel's sizes.
        let ph = (s.outH - 1) * s.strideH + (s.kH - 1) * s.dilationH + 1
        let pw = (s.outW - 1) * s.strideW + (s.kW - 1) * s.dilationW + 1
        guard let image = checkedElementCount([s.inChannels, s.inH, s.inW]), let outCount = checkedElementCount([s.outChannels, s.outH, s.outW]),
              let plane = checkedElementCount([max(ph, 1), max(pw, 1), 64]), checkedElementCount(x) != nil else {
            throw a.error("X \(describe(x)) is too large", kind: .shape)
        }
        try checkInt32Sizes(node, [image, outCount, plane, ph, pw], "X \(describe(x))")
        return s
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let a = DenseAttributes(node)
        let outDType = try quantizedIO(node, inputs.first?.type, name: "X", isStatic: true, output: quantization.y)
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw a.error("B is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape == [weightShape[0]] else {
                throw a.error("B has shape \(describe(b.shape)), expected [\(weightShape[0])] (W \(describe(weightShape)))", kind: .shape)
            }
        }
        let x = inputs[0].type?.shape ?? []
        let s = try shape(for: x)
        return [TensorType(outDType, [x[0], s.outChannels] + (geometry.rank == 2 ? [s.outH, s.outW] : [s.outW]))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        _ = try outputTypes(inputs)
        let x = inputs[0].type ?? TensorType(.float32, [])
        return QuantizedDepthwiseConvKernel(shape: try shape(for: x.shape), weights: packed, activation: activation,
                                            quantization: quantization, inputIsU8: x.dtype == .uint8,
                                            hasBias: inputs.count > 2 && inputs[2].type != nil)
    }
}

/// Weights laid out once for `cdlrt_qdepthwise`: [blocks][taps][16] int32 (zero past C) and the
/// per-channel multipliers x_scale · w_scale[c] ([blocks · 16]). Immutable; shared by contexts.
final class QDepthwiseWeights: @unchecked Sendable {
    static let lanes = Int(CDLRT_QDW_LANES)
    let blocks: Int
    let weights: UnsafeMutablePointer<Int32>
    let multipliers: UnsafeMutablePointer<Float>

    init(channels: Int, taps: Int, values: UnsafePointer<Int8>, scales: [Float], xScale: Float) {
        let L = Self.lanes
        blocks = (channels + L - 1) / L
        weights = .allocate(capacity: max(1, blocks * taps * L))
        weights.initialize(repeating: 0, count: max(1, blocks * taps * L))
        multipliers = .allocate(capacity: max(1, blocks * L))
        multipliers.initialize(repeating: 0, count: max(1, blocks * L))
        for c in 0 ..< channels {
            let (b, l) = c.quotientAndRemainder(dividingBy: L)
            for t in 0 ..< taps { weights[(b * taps + t) * L + l] = Int32(values[c * taps + t]) }
            multipliers[c] = xScale * scales[c]
        }
    }

    deinit {
        weights.deallocate()
        multipliers.deallocate()
    }
}

/// One image at a time; the channel blocks are split over at most `maxSlots` workers, each with
/// its own block scratch (every block is computed by the same code whatever the split).
final class QuantizedDepthwiseConvKernel: Kernel {
    static let maxSlots = 4
    let s: Conv2DShape
    let weights: QDepthwiseWeights
    let activation: DenseActivation
    let quantization: StaticQuantization
    let inputIsU8: Bool
    let hasBias: Bool
    let geometry: cdlrt_conv_geometry
    let slots: Int
    let slotBytes: Int

    init(shape: Conv2DShape, weights: QDepthwiseWeights, activation: DenseActivation, quantization: StaticQuantization,
         inputIsU8: Bool, hasBias: Bool) {
        s = shape
        self.weights = weights
        self.activation = activation
        self.quantization = quantization
        self.inputIsU8 = inputIsU8
        self.hasBias = hasBias
        geometry = cdlrt_conv_geometry(
            h: Int32(s.inH), w: Int32(s.inW), kh: Int32(s.kH), kw: Int32(s.kW), stride_h: Int32(s.strideH),
            stride_w: Int32(s.strideW), pad_top: Int32(s.padTop), pad_left: Int32(s.padLeft), dil_h: Int32(s.dilationH),
            dil_w: Int32(s.dilationW), out_h: Int32(s.outH), out_w: Int32(s.outW))
        var g = geometry
        slotBytes = cdlrt_qdw_scratch_bytes(&g)
        let serial = s.outChannels * s.outPlane * s.kH * s.kW < 1 << 16
        slots = serial ? 1 : max(1, min(weights.blocks, Self.maxSlots))
    }

    var imageBytes: Int { inputIsU8 ? 0 : (s.inChannels * s.inPlane + 63) / 64 * 64 }
    var biasBytes: Int { hasBias ? (weights.blocks * QDepthwiseWeights.lanes * 4 + 63) / 64 * 64 : 0 }
    /// Scratch: the bias padded to whole blocks, the u8 image (unless X is u8), one block scratch per slot.
    var scratchByteCount: Int { s.outPlane == 0 || s.batch == 0 ? 0 : biasBytes + imageBytes + slots * slotBytes }

    func run(_ io: KernelIO) {
        guard let scratch = io.scratch, s.outPlane > 0, s.outChannels > 0 else { return }
        let C = s.inChannels, inCount = C * s.inPlane, outCount = C * s.outPlane
        var bias: UnsafePointer<Float>? = nil
        if hasBias {
            let b = scratch.assumingMemoryBound(to: Float.self)
            b.update(from: io.input(2, as: Float.self), count: C)
            (b + C).update(repeating: 0, count: weights.blocks * QDepthwiseWeights.lanes - C)
            bias = UnsafePointer(b)
        }
        let u8 = (scratch + biasBytes).assumingMemoryBound(to: UInt8.self)
        var args = cdlrt_qdw_args()
        args.g = geometry
        args.channels = Int32(C)
        args.x_zero = quantization.x.zero
        args.weights = UnsafePointer(weights.weights)
        args.multiplier = UnsafePointer(weights.multipliers)
        args.bias = bias
        args.activation = Int32(activation.kind.rawValue)
        args.act_alpha = activation.alpha
        args.act_min = activation.min
        args.act_max = activation.max
        args.y_scale = quantization.y?.scale ?? 1
        args.y_zero = quantization.y?.zero ?? 0
        let parallel: any ParallelLoop = slots == 1 ? SerialLoop() : io.workers
        for b in 0 ..< s.batch {
            if inputIsU8 {
                args.x = io.input(0, as: UInt8.self) + b * inCount
            } else {
                cdlrt_quantize_u8(io.input(0, as: Float.self) + b * inCount, inCount, quantization.x.scale, quantization.x.zero, u8)
                args.x = UnsafePointer(u8)
            }
            if quantization.y != nil {
                args.y_u8 = io.output(0, as: UInt8.self) + b * outCount
            } else {
                args.y_f32 = io.output(0, as: Float.self) + b * outCount
            }
            parallel.parallelFor(slots, grain: 1, QDepthwiseTask(args: args, blocks: weights.blocks, slots: slots,
                                                                 scratch: scratch + biasBytes + imageBytes, slotBytes: slotBytes))
        }
    }
}

struct QDepthwiseTask: ParallelTask {
    var args: cdlrt_qdw_args
    let blocks: Int, slots: Int
    let scratch: UnsafeMutableRawPointer
    let slotBytes: Int

    func run(_ range: Range<Int>) {
        var a = args
        for slot in range {
            cdlrt_qdepthwise(qgemmISA, &a, Int32(blocks * slot / slots), Int32(blocks * (slot + 1) / slots),
                             scratch + slot * slotBytes)
        }
    }
}
