import CDLRTSupport
import DLRTKernels
import DLRTModel

/// DynamicQuantizeConv (101) / QuantizedConv (103): Conv (1-D / 2-D, groups, the attributes of
/// op 3 and a fused activation) with constant int8 weights W [M, C/group, (kH,) kW] (symmetric,
/// per tensor or per output channel).
/// - dynamic: X float32; each image is quantized to u8 per run (one scale and zero point per image;
///   with `per_image` = 0 one for the whole batch, as ONNX's DynamicQuantizeLinear does);
/// - static: X float32 quantized with `x_scale` / `x_zero_point`, or already uint8 with them;
///   Y float32, or uint8 with `y_scale` / `y_zero_point` (requantized in the epilogue).
/// Per group, u8 im2col rows (one per output pixel; padding = the zero point) × packed weights →
/// int32 → epilogue with bias and activation, written channel-major (NCHW).
final class QuantizedConvOperator<Mode: QuantizedActivationMode>: Operator {
    static var opCode: OpCode { Mode.isStatic ? .quantizedConv : .dynamicQuantizeConv }

    let node: Node
    let quantization: StaticQuantization?
    let geometry: ConvGeometry
    let weightShape: [Int]
    let activation: DenseActivation
    let weights: QPackedWeights
    /// Channels, kernel and group (the spatial fields are filled per input shape).
    let template: Conv2DShape
    /// Dynamic mode: one (scale, zero point) per image (`per_image` = 1, the default) or per batch.
    let perImage: Bool

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        quantization = Mode.isStatic ? try StaticQuantization(node: node) : nil
        perImage = Mode.isStatic ? true : try a.flag("per_image", default: true)
        let w = try Int8Weight(node: node, graph: graph, input: 1, name: "W", channelAxis: 0, ranks: 3 ... 4)
        weightShape = w.shape
        geometry = try ConvGeometry(node: node, kernelFromWeights: Array(w.shape[2...]), allowCeilMode: false)
        let group = try a.int("group", default: 1)
        guard group >= 1, w.shape[0] % group == 0 else {
            throw a.error("attribute 'group' is \(group); W \(describe(w.shape)) needs a group ≥ 1 dividing its \(w.shape[0]) output channels")
        }
        activation = try DenseActivation(node: node)
        var s = Conv2DShape()
        s.group = group
        s.inChannels = w.shape[1] * group
        s.outChannels = w.shape[0]
        s.kH = geometry.axis2D(geometry.kernel, h: true)
        s.kW = geometry.axis2D(geometry.kernel, h: false)
        template = s
        let k = s.gemmK, mg = s.outChannelsPerGroup, cg = s.channelsPerGroup, taps = s.kH * s.kW
        // Group g's B[kk, j] = W[g · Mg + j] at tap kk in the im2col order (ky, kx, c).
        var reordered = [Int8](repeating: 0, count: s.outChannels * k)
        for m in 0 ..< s.outChannels {
            for c in 0 ..< cg {
                for t in 0 ..< taps { reordered[m * k + t * cg + c] = w.values[m * k + c * taps + t] }
            }
        }
        weights = reordered.withUnsafeBufferPointer { r in
            QPackedWeights(k: k, n: mg, groups: group, scales: w.scales) { g, dst in
                cdlrt_qgemm_pack(Int32(k), Int32(mg), r.baseAddress! + g * mg * k, 1, k, dst)
            }
        }
    }

    func shape(for x: [Int]) throws -> Conv2DShape {
        let a = DenseAttributes(node)
        let r = geometry.rank
        guard x.count == r + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(r + 2) to match W \(describe(weightShape))", kind: .shape)
        }
        guard x[1] == template.inChannels else {
            throw a.error("X \(describe(x)) has \(x[1]) channels, but W \(describe(weightShape)) with group \(template.group) expects \(template.inChannels)",
                          kind: .shape)
        }
        let s = try geometry.shape(from: template, input: x, node: node)
        // Checked products first: the output geometry comes from attributes a hostile file sets.
        guard let outCount = checkedElementCount([s.outChannels, s.outH, s.outW]),
              let cols = checkedElementCount([s.outH, s.outW, s.gemmK]) else {
            throw a.error("output of X \(describe(x)) is too large", kind: .shape)
        }
        try checkInt32Sizes(node, [s.inChannels * s.inPlane, cols, outCount], "X \(describe(x))")
        guard checkedElementCount(x) != nil else { throw a.error("X \(describe(x)) is too large", kind: .shape) }
        return s
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let a = DenseAttributes(node)
        let outDType = try quantizedIO(node, inputs.first?.type, name: "X", isStatic: Mode.isStatic, output: quantization?.y)
        let x = inputs[0].type?.shape ?? []
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw a.error("B is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape == [weightShape[0]] else {
                throw a.error("B has shape \(describe(b.shape)), expected [\(weightShape[0])] (W \(describe(weightShape)))", kind: .shape)
            }
        }
        let s = try shape(for: x)
        let out = [x[0], s.outChannels] + (geometry.rank == 2 ? [s.outH, s.outW] : [s.outW])
        guard checkedElementCount(out) != nil else { throw a.error("output shape \(describe(out)) is too large", kind: .shape) }
        return [TensorType(outDType, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        _ = try outputTypes(inputs)
        let x = inputs[0].type ?? TensorType(.float32, [])
        return QuantizedConvKernel(shape: try shape(for: x.shape), weights: weights, activation: activation,
                                   quantization: quantization, inputIsU8: x.dtype == .uint8,
                                   hasBias: inputs.count > 2 && inputs[2].type != nil, perImage: perImage)
    }
}

/// One group of one image: im2col of a block of output pixels (from the HWC image), then their
/// GEMM rows.
struct QConvTask: ParallelTask {
    var geometry: cdlrt_conv_geometry
    var image: UnsafePointer<UInt8>
    var inChannels: Int32, channel0: Int32, channels: Int32
    var zero: UInt8
    var cols: UnsafeMutablePointer<UInt8>
    var gemm: QGemmTask
    static let rowsPerUnit = 32

    func run(_ range: Range<Int>) {
        let r0 = range.lowerBound * Self.rowsPerUnit, r1 = min(gemm.m, range.upperBound * Self.rowsPerUnit)
        var g = geometry
        cdlrt_im2col_u8(&g, image, inChannels, channel0, channels, zero, Int32(r0), Int32(r1), cols + r0 * gemm.lda, gemm.lda)
        var e = gemm.e
        cdlrt_qgemm(qgemmISA, Int32(r0), Int32(r1), 0, Int32.max, Int32(gemm.n), Int32(gemm.k), gemm.a, gemm.lda,
                    gemm.packed, &e)
    }
}

/// One image, group 1, AVX-512 VNNI: implicit GEMM over blocks of 32 output pixels, the taps read
/// from the HWC image through pointers (no im2col copy; the same bytes as QConvTask).
struct QConvIndirectTask: ParallelTask {
    var geometry: cdlrt_conv_geometry
    var image: UnsafePointer<UInt8>
    var inChannels: Int32
    /// inChannels bytes of the zero point (the padding taps).
    var pad: UnsafePointer<UInt8>
    var m: Int, n: Int
    var packed: UnsafeRawPointer
    var e: cdlrt_qepilogue
    static let rowsPerUnit = 32

    func run(_ range: Range<Int>) {
        var g = geometry, e = e
        cdlrt_qconv_indirect(qgemmISA, &g, image, inChannels, pad, Int32(range.lowerBound * Self.rowsPerUnit),
                             Int32(min(m, range.upperBound * Self.rowsPerUnit)), Int32(n), packed, &e)
    }

    func dispatch(_ parallel: any ParallelLoop) {
        parallel.parallelFor((m + Self.rowsPerUnit - 1) / Self.rowsPerUnit, grain: 1, self)
    }
}

final class QuantizedConvKernel: Kernel {
    let s: Conv2DShape
    let weights: QPackedWeights
    let activation: DenseActivation
    /// nil: dynamic.
    let quantization: StaticQuantization?
    let inputIsU8: Bool
    let hasBias: Bool
    let serial: Bool
    /// Dynamic mode with one (scale, zero point) for the whole batch: the batch is quantized at once.
    let perBatch: Bool

    init(shape: Conv2DShape, weights: QPackedWeights, activation: DenseActivation, quantization: StaticQuantization?,
         inputIsU8: Bool, hasBias: Bool, perImage: Bool = true) {
        s = shape
        self.weights = weights
        self.activation = activation
        self.quantization = quantization
        self.inputIsU8 = inputIsU8
        self.hasBias = hasBias
        perBatch = quantization == nil && !inputIsU8 && !perImage && shape.batch > 1
        serial = s.outChannels * s.outPlane * s.gemmK < 1 << 16
    }

    var imageBytes: Int { inputIsU8 ? 0 : ((perBatch ? s.batch : 1) * s.inChannels * s.inPlane + 63) / 64 * 64 }
    var hwcBytes: Int { (s.inChannels * s.inPlane + 63) / 64 * 64 }
    /// 1×1, stride 1, unpadded, one group: the HWC image is the GEMM's A as it is.
    var direct: Bool { s.isPointwise && s.group == 1 }
    /// Group 1 on AVX-512 VNNI with channels a multiple of 4: no im2col rows (QConvIndirectTask).
    var indirect: Bool {
        !direct && s.group == 1 && cdlrt_qconv_indirect_supported(qgemmISA, Int32(s.inChannels), Int32(s.kH * s.kW)) != 0
    }

    /// Scratch: scale and zero point (64 bytes), the u8 CHW image (unless X is u8), the image in
    /// HWC order, then the u8 im2col rows of one group (unless `direct`), or for `indirect` one row
    /// of inChannels zero points.
    var scratchByteCount: Int {
        64 + imageBytes + hwcBytes + (direct ? 0 : indirect ? (s.inChannels + 63) / 64 * 64 : s.outPlane * s.gemmK)
    }

    func run(_ io: KernelIO) {
        guard let scratch = io.scratch, s.outPlane > 0, s.outChannels > 0 else { return }
        let scale = scratch.assumingMemoryBound(to: Float.self)
        let zero = (scratch + 4).assumingMemoryBound(to: Int32.self)
        let hwc = (scratch + 64 + imageBytes).assumingMemoryBound(to: UInt8.self)
        let cols = (scratch + 64 + imageBytes + hwcBytes).assumingMemoryBound(to: UInt8.self)
        let geometry = cdlrt_conv_geometry(
            h: Int32(s.inH), w: Int32(s.inW), kh: Int32(s.kH), kw: Int32(s.kW), stride_h: Int32(s.strideH),
            stride_w: Int32(s.strideW), pad_top: Int32(s.padTop), pad_left: Int32(s.padLeft), dil_h: Int32(s.dilationH),
            dil_w: Int32(s.dilationW), out_h: Int32(s.outH), out_w: Int32(s.outW))
        let inCount = s.inChannels * s.inPlane, outPlane = s.outPlane
        let mg = s.outChannelsPerGroup, cg = s.channelsPerGroup, k = s.gemmK
        let bias: UnsafePointer<Float>? = hasBias ? io.input(2, as: Float.self) : nil
        let parallel = denseParallel(io, serial: serial)
        if let q = quantization { _ = writeParams(scratch, q.x) }
        let indirect = indirect
        if perBatch {
            cdlrt_quantize_dynamic(io.input(0, as: Float.self), Int32(s.batch), Int32(inCount), inCount, 0,
                                   (scratch + 64).assumingMemoryBound(to: UInt8.self), inCount, scale, zero)
        }
        for b in 0 ..< s.batch {
            let image: UnsafePointer<UInt8>
            if inputIsU8 {
                image = io.input(0, as: UInt8.self) + b * inCount
            } else if perBatch {
                image = UnsafePointer((scratch + 64).assumingMemoryBound(to: UInt8.self) + b * inCount)
            } else {
                let x = io.input(0, as: Float.self) + b * inCount
                let u8 = (scratch + 64).assumingMemoryBound(to: UInt8.self)
                if let q = quantization {
                    cdlrt_quantize_u8(x, inCount, q.x.scale, q.x.zero, u8)
                } else {
                    cdlrt_quantize_dynamic(x, 1, Int32(inCount), inCount, 0, u8, inCount, scale, zero)
                }
                image = UnsafePointer(u8)
            }
            cdlrt_transpose_u8(image, Int32(s.inChannels), Int32(s.inPlane), hwc)
            for g in 0 ..< s.group {
                var e = qepilogue(activation)
                e.a_zero = UnsafePointer(zero); e.a_zero_stride = 0
                e.a_scale = UnsafePointer(scale); e.a_scale_stride = 0
                e.b_scale = UnsafePointer(weights.scales + g * mg); e.b_scale_stride = 1
                e.bias = bias.map { $0 + g * mg }
                let offset = (b * s.outChannels + g * mg) * outPlane
                if let y = quantization?.y {
                    e.y_u8 = io.output(0, as: UInt8.self) + offset
                    e.y_scale = y.scale; e.y_zero = y.zero
                } else {
                    e.y_f32 = io.output(0, as: Float.self) + offset
                }
                e.y_row_stride = 1; e.y_col_stride = outPlane
                if direct {
                    QGemmTask(m: outPlane, n: mg, k: k, a: UnsafePointer(hwc), lda: k, packed: weights.group(g), e: e)
                        .dispatch(parallel)
                    continue
                }
                if indirect {
                    // The zero point may change per image (dynamic mode): refill the padding row.
                    cols.update(repeating: UInt8(truncatingIfNeeded: zero.pointee), count: s.inChannels)
                    QConvIndirectTask(geometry: geometry, image: UnsafePointer(hwc), inChannels: Int32(s.inChannels),
                                      pad: UnsafePointer(cols), m: outPlane, n: mg, packed: weights.group(g), e: e)
                        .dispatch(parallel)
                    continue
                }
                let gemm = QGemmTask(m: outPlane, n: mg, k: k, a: UnsafePointer(cols), lda: k, packed: weights.group(g), e: e)
                let task = QConvTask(geometry: geometry, image: UnsafePointer(hwc), inChannels: Int32(s.inChannels),
                                     channel0: Int32(g * cg), channels: Int32(cg),
                                     zero: UInt8(truncatingIfNeeded: zero.pointee), cols: cols, gemm: gemm)
                parallel.parallelFor((outPlane + QConvTask.rowsPerUnit - 1) / QConvTask.rowsPerUnit, grain: 1, task)
            }
        }
    }
}
