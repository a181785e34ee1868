import DLRTKernels
import DLRTModel

/// Conv (1-D and 2-D, groups, depthwise) with fused bias and activation. W must be a constant;
/// it is packed once here for the GEMM (or copied for the depthwise kernel).
final class ConvOperator: Operator {
    static let opCode = OpCode.conv

    let node: Node
    let geometry: ConvGeometry
    let group: Int
    let weightShape: [Int]
    let activation: DenseActivation
    let packedWeights: DenseBuffer
    /// The shape template used for packing (channels, kernel, group).
    let packShape: Conv2DShape

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        guard let w = a.constantInput(1, graph: graph) else {
            throw a.error("W (input 1) is not a constant; only constant weights are supported", kind: .unsupported)
        }
        guard w.dtype == .float32 else { throw a.error("W is \(w.dtype), expected float32", kind: .unsupported) }
        guard w.shape.count == 3 || w.shape.count == 4 else {
            throw a.error("W has shape \(describe(w.shape)), expected [M, C/group, k] or [M, C/group, kH, kW]",
                          kind: w.shape.count > 4 ? .unsupported : .invalidModel)
        }
        guard let count = checkedElementCount(w.shape), count * 4 <= w.data.byteCount else {
            throw a.error("W \(describe(w.shape)) needs more bytes than its \(w.data.byteCount)")
        }
        weightShape = w.shape
        geometry = try ConvGeometry(node: node, kernelFromWeights: Array(w.shape[2...]), allowCeilMode: false)
        group = try a.int("group", default: 1)
        guard group >= 1 else { throw a.error("attribute 'group' is \(group), expected ≥ 1") }
        guard w.shape[0] % group == 0 else {
            throw a.error("W \(describe(w.shape)) has \(w.shape[0]) output channels, not a multiple of group \(group)")
        }
        activation = try DenseActivation(node: node)
        var s = Conv2DShape()
        s.group = group
        s.inChannels = w.shape[1] * group
        s.outChannels = w.shape[0]
        s.kH = geometry.axis2D(geometry.kernel, h: true)
        s.kW = geometry.axis2D(geometry.kernel, h: false)
        packShape = s
        guard let base = w.data.bytes.baseAddress else { throw a.error("W has no data") }
        if count == 0 {
            packedWeights = DenseBuffer(count: 0)
        } else {
            packedWeights = conv2dPackWeights(s, base.assumingMemoryBound(to: Float.self))
        }
    }

    /// The full 2-D geometry for input shape `x`.
    func shape(for x: [Int]) throws -> Conv2DShape {
        let a = DenseAttributes(node)
        let r = geometry.rank
        guard x.count == r + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(r + 2) to match W \(describe(weightShape))", kind: .shape)
        }
        guard x[1] == packShape.inChannels else {
            throw a.error("X \(describe(x)) has \(x[1]) channels, but W \(describe(weightShape)) with group \(group) expects \(packShape.inChannels)",
                          kind: .shape)
        }
        let spatial = Array(x[2...])
        let (out, pads) = try geometry.resolve(spatial, node: node)
        var s = packShape
        s.batch = x[0]
        s.inH = geometry.axis2D(spatial, h: true); s.inW = geometry.axis2D(spatial, h: false)
        s.outH = geometry.axis2D(out, h: true); s.outW = geometry.axis2D(out, h: false)
        s.strideH = geometry.axis2D(geometry.strides, h: true); s.strideW = geometry.axis2D(geometry.strides, h: false)
        s.dilationH = geometry.axis2D(geometry.dilations, h: true); s.dilationW = geometry.axis2D(geometry.dilations, h: false)
        s.padTop = geometry.pad2D(pads, h: true, end: false); s.padLeft = geometry.pad2D(pads, h: false, end: false)
        return s
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let a = DenseAttributes(node)
        let x = try denseFloatInput(inputs, 0, "X", a)
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw a.error("B is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape.count == 1 && b.shape[0] == weightShape[0] else {
                throw a.error("B has shape \(describe(b.shape)), expected [\(weightShape[0])] (W \(describe(weightShape)))", kind: .shape)
            }
        }
        let s = try shape(for: x)
        let out = [x[0], s.outChannels] + (geometry.rank == 2 ? [s.outH, s.outW] : [s.outW])
        guard checkedElementCount(out) != nil else { throw a.error("output shape \(describe(out)) is too large", kind: .shape) }
        return [TensorType(.float32, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try denseFloatInput(inputs, 0, "X", DenseAttributes(node))
        let hasBias = inputs.count > 2 && inputs[2].type != nil
        return ConvKernel(shape: try shape(for: x), weights: packedWeights, hasBias: hasBias, activation: activation)
    }
}

final class ConvKernel: Kernel {
    let s: Conv2DShape
    let weights: DenseBuffer
    let hasBias: Bool
    let activation: DenseActivation
    let serial: Bool

    init(shape: Conv2DShape, weights: DenseBuffer, hasBias: Bool, activation: DenseActivation) {
        s = shape
        self.weights = weights
        self.hasBias = hasBias
        self.activation = activation
        serial = s.batch * s.outChannels * s.outPlane * s.gemmK < 1 << 15
    }

    var scratchByteCount: Int { (blocked ? DepthwiseBlocked.scratchCount(s) : s.scratchCount) * 4 }

    /// Depthwise layers with strided or short rows take the channel-blocked kernel.
    var blocked: Bool { DepthwiseBlocked.isPreferred(for: s) }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.output(0, as: Float.self)
        let bias: UnsafePointer<Float>? = hasBias ? io.input(2, as: Float.self) : nil
        let scratch = io.scratch?.assumingMemoryBound(to: Float.self)
        if blocked, let scratch {
            depthwiseBlockedForward(s, x: x, weights: weights.pointer, bias: bias, activation: activation, y: y,
                                    scratch: scratch, parallel: denseParallel(io, serial: serial))
            return
        }
        conv2dForward(s, x: x, weights: weights.pointer, bias: bias, activation: activation, y: y,
                      scratch: scratch, parallel: denseParallel(io, serial: serial))
    }
}
