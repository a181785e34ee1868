import DLRTKernels
import DLRTModel

/// Conv (1-D and 2-D, groups, depthwise) with fused bias and activation. A constant W is packed
/// once here for the GEMM (or copied for the depthwise kernel); a W fed at run time (fixed shape)
/// is packed into scratch on every run, same kernels.
final class ConvOperator: Operator {
    static let opCode = OpCode.conv

    let node: Node
    let geometry: ConvGeometry
    let group: Int
    let weightShape: [Int]
    let activation: DenseActivation
    /// nil when W is not a constant (packed per run into scratch).
    let packedWeights: DenseBuffer?
    /// The shape template used for packing (channels, kernel, group).
    let packShape: Conv2DShape

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        let w = a.constantInput(1, graph: graph)
        let wTensor = graph.tensors[Int(node.inputs[1])]
        guard let wShape = w?.shape ?? wTensor.fixedShape else {
            throw a.error("W (input 1) is not a constant and its shape \(describe(wTensor.shape)) is not fixed", kind: .unsupported)
        }
        guard (w?.dtype ?? wTensor.dtype) == .float32 else {
            throw a.error("W is \(w?.dtype ?? wTensor.dtype), expected float32", kind: .unsupported)
        }
        guard wShape.count == 3 || wShape.count == 4 else {
            throw a.error("W has shape \(describe(wShape)), expected [M, C/group, k] or [M, C/group, kH, kW]",
                          kind: wShape.count > 4 ? .unsupported : .invalidModel)
        }
        guard let count = checkedElementCount(wShape), count * 4 <= (w?.data.byteCount ?? count * 4), count < 1 << 40 else {
            throw a.error("W \(describe(wShape)) needs more bytes than its \(w?.data.byteCount ?? 0)")
        }
        weightShape = wShape
        geometry = try ConvGeometry(node: node, kernelFromWeights: Array(wShape[2...]), allowCeilMode: false)
        group = try a.int("group", default: 1)
        guard group >= 1 else { throw a.error("attribute 'group' is \(group), expected ≥ 1") }
        guard wShape[0] % group == 0 else {
            throw a.error("W \(describe(wShape)) has \(wShape[0]) output channels, not a multiple of group \(group)")
        }
        activation = try DenseActivation(node: node)
        var s = Conv2DShape()
        s.group = group
        s.inChannels = wShape[1] * group
        s.outChannels = wShape[0]
        s.kH = geometry.axis2D(geometry.kernel, h: true)
        s.kW = geometry.axis2D(geometry.kernel, h: false)
        packShape = s
        if let w {
            guard let base = w.data.bytes.baseAddress else { throw a.error("W has no data") }
            packedWeights = count == 0 ? DenseBuffer(count: 0) : conv2dPackWeights(s, base.assumingMemoryBound(to: Float.self))
        } else {
            packedWeights = nil
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
        return try geometry.shape(from: packShape, input: x, node: node)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let a = DenseAttributes(node)
        let x = try denseFloatInput(inputs, 0, "X", a)
        guard try denseFloatInput(inputs, 1, "W", a) == weightShape else {
            throw a.error("W has shape \(describe(inputs[1].type?.shape ?? [])), expected \(describe(weightShape))", kind: .shape)
        }
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
        // mbv2: depthwise with a constant W on AVX-512 → DepthwiseConv.swift
        if let dw = DepthwiseConvKernel.make(shape: try shape(for: x), weights: packedWeights, hasBias: hasBias, activation: activation) {
            return dw
        }
        return ConvKernel(shape: try shape(for: x), weights: packedWeights, hasBias: hasBias, activation: activation)
    }
}

final class ConvKernel: Kernel {
    let s: Conv2DShape
    /// nil: W is input 1, packed per run into scratch after the forward pass's own scratch.
    let weights: DenseBuffer?
    let hasBias: Bool
    let activation: DenseActivation
    let serial: Bool

    init(shape: Conv2DShape, weights: DenseBuffer?, hasBias: Bool, activation: DenseActivation) {
        s = shape
        self.weights = weights
        self.hasBias = hasBias
        self.activation = activation
        serial = s.batch * s.outChannels * s.outPlane * s.gemmK < 1 << 15
    }

    /// Floats of the forward pass's own scratch (the run-time W's pack follows it).
    var forwardCount: Int { roundUp16(blocked ? DepthwiseBlocked.scratchCount(s) : s.scratchCount) }

    var packCount: Int { weights == nil ? s.packedWeightCount : 0 }

    var scratchByteCount: Int { forwardCount + packCount == 0 ? 0 : (forwardCount + packCount) * 4 }

    /// Depthwise layers with strided or short rows take the channel-blocked kernel.
    var blocked: Bool { DepthwiseBlocked.isPreferred(for: s) }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self)
        let y = io.output(0, as: Float.self)
        let bias: UnsafePointer<Float>? = hasBias ? io.input(2, as: Float.self) : nil
        let scratch = io.scratch?.assumingMemoryBound(to: Float.self)
        let w: UnsafePointer<Float>
        if let weights {
            w = UnsafePointer(weights.pointer)
        } else {
            guard let scratch else { return }
            let dst = scratch + forwardCount
            if packCount > 0 { conv2dPackWeights(s, io.input(1, as: Float.self), into: dst) }
            w = UnsafePointer(dst)
        }
        if blocked, let scratch {
            depthwiseBlockedForward(s, x: x, weights: w, bias: bias, activation: activation, y: y,
                                    scratch: scratch, parallel: denseParallel(io, serial: serial))
            return
        }
        conv2dForward(s, x: x, weights: w, bias: bias, activation: activation, y: y,
                      scratch: scratch, parallel: denseParallel(io, serial: serial))
    }
}

@inline(__always) private func roundUp16(_ n: Int) -> Int { (n + 15) / 16 * 16 }
