import DLRTKernels
import DLRTModel

/// ConvTranspose (1-D and 2-D, groups) with fused bias and activation. W [C, M/group, k…] must be
/// a constant; it is packed once here as the GEMM's A operand (Wgᵀ per group). Output size per
/// axis: stride·(in − 1) + output_padding + (k − 1)·dilation + 1 − pad_begin − pad_end; auto_pad
/// SAME_UPPER / SAME_LOWER give in·stride (the extra pad at the end / the beginning).
final class ConvTransposeOperator: Operator {
    static let opCode = OpCode.convTranspose

    let node: Node
    let rank: Int
    let kernel: [Int], strides: [Int], dilations: [Int], outputPadding: [Int]
    /// Explicit pads [begin…, end…] (ignored unless auto_pad is NOTSET).
    let pads: [Int]
    let autoPad: ConvGeometry.AutoPad
    let group: Int
    let weightShape: [Int]
    let activation: DenseActivation
    let packedWeights: DenseBuffer
    /// W as stored (read in place by the path for at most 4 input positions).
    let rawWeights: TensorData
    /// Channels, kernel and group (the per-shape fields are filled by `shape(for:)`).
    let packShape: ConvTranspose2DShape

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        guard let w = a.constantInput(1, graph: graph) else {
            throw a.error("W (input 1) is not a constant; only constant weights are supported", kind: .unsupported)
        }
        guard w.dtype == .float32 else { throw a.error("W is \(w.dtype), expected float32", kind: .unsupported) }
        guard w.shape.count == 3 || w.shape.count == 4 else {
            throw a.error("W has shape \(describe(w.shape)), expected [C, M/group, k] or [C, M/group, kH, kW]",
                          kind: w.shape.count > 4 ? .unsupported : .invalidModel)
        }
        guard let count = checkedElementCount(w.shape), count * 4 <= w.data.byteCount else {
            throw a.error("W \(describe(w.shape)) needs more bytes than its \(w.data.byteCount)")
        }
        weightShape = w.shape
        rank = w.shape.count - 2
        kernel = Array(w.shape[2...])
        if let k = try a.ints("kernel_shape"), k != kernel {
            throw a.error("kernel_shape \(describe(k)) does not match W's spatial dims \(describe(kernel))")
        }
        func list(_ name: String, _ def: Int, _ n: Int, min: Int) throws -> [Int] {
            let v = try a.ints(name) ?? [Int](repeating: def, count: n)
            guard v.count == n else { throw a.error("attribute '\(name)' has \(v.count) values, expected \(n)") }
            guard v.allSatisfy({ $0 >= min && $0 < 1 << 20 }) else {
                throw a.error("attribute '\(name)' \(describe(v)) has a value outside \(min)…\((1 << 20) - 1)")
            }
            return v
        }
        strides = try list("strides", 1, rank, min: 1)
        dilations = try list("dilations", 1, rank, min: 1)
        outputPadding = try list("output_padding", 0, rank, min: 0)
        pads = try list("pads", 0, 2 * rank, min: 0)
        let ap = try a.string("auto_pad", default: "NOTSET")
        guard let autoPad = ConvGeometry.AutoPad(rawValue: ap) else {
            throw a.error("attribute 'auto_pad' is \"\(ap)\", expected NOTSET, SAME_UPPER, SAME_LOWER or VALID")
        }
        self.autoPad = autoPad
        group = try a.int("group", default: 1)
        guard group >= 1 && group <= w.shape[0] && w.shape[0] % group == 0 else {
            throw a.error("attribute 'group' is \(group); W \(describe(w.shape)) has \(w.shape[0]) input channels, which must be a multiple of it")
        }
        guard w.shape[1] >= 1, kernel.allSatisfy({ $0 >= 1 }) else {
            throw a.error("W \(describe(w.shape)) has an empty output-channel or kernel dim")
        }
        activation = try DenseActivation(node: node)
        var s = ConvTranspose2DShape()
        s.group = group
        s.inChannels = w.shape[0]
        s.outChannels = w.shape[1] * group
        s.kH = rank == 2 ? kernel[0] : 1
        s.kW = kernel[rank - 1]
        packShape = s
        guard let base = w.data.bytes.baseAddress else { throw a.error("W has no data") }
        packedWeights = convTranspose2DPackWeights(s, base.assumingMemoryBound(to: Float.self))
        rawWeights = w.data
    }

    /// Output spatial sizes and begin pads for input spatial sizes `spatial`.
    func resolve(_ spatial: [Int]) throws -> (out: [Int], begin: [Int]) {
        var out: [Int] = [], begin: [Int] = []
        for i in 0 ..< rank {
            let ext = (kernel[i] - 1) * dilations[i] + 1
            let full = strides[i] * (spatial[i] - 1) + outputPadding[i] + ext
            switch autoPad {
            case .notSet, .valid:
                let p = autoPad == .valid ? (0, 0) : (pads[i], pads[i + rank])
                out.append(full - p.0 - p.1)
                begin.append(p.0)
            case .sameUpper, .sameLower:
                let o = spatial[i] * strides[i]
                let total = Swift.max(0, full - o)
                out.append(o)
                begin.append(autoPad == .sameUpper ? total / 2 : total - total / 2)
            }
            guard out[i] >= 0 else {
                throw OpError(node, "output size \(out[i]) on spatial axis \(i) is negative (input \(spatial[i]), pads \(describe(pads)))",
                              kind: .shape)
            }
        }
        return (out, begin)
    }

    func shape(for x: [Int]) throws -> ConvTranspose2DShape {
        let a = DenseAttributes(node)
        guard x.count == rank + 2 else {
            throw a.error("X has shape \(describe(x)), expected rank \(rank + 2) to match W \(describe(weightShape))", kind: .shape)
        }
        guard x[1] == packShape.inChannels else {
            throw a.error("X \(describe(x)) has \(x[1]) channels, but W \(describe(weightShape)) expects \(packShape.inChannels)", kind: .shape)
        }
        guard x[2...].allSatisfy({ $0 >= 1 }) else {
            throw a.error("X \(describe(x)) has an empty spatial dim", kind: .shape)
        }
        let spatial = Array(x[2...])
        let (out, begin) = try resolve(spatial)
        var s = packShape
        s.batch = x[0]
        s.inH = rank == 2 ? spatial[0] : 1; s.inW = spatial[rank - 1]
        s.outH = rank == 2 ? out[0] : 1; s.outW = out[rank - 1]
        s.strideH = rank == 2 ? strides[0] : 1; s.strideW = strides[rank - 1]
        s.dilationH = rank == 2 ? dilations[0] : 1; s.dilationW = dilations[rank - 1]
        s.padTop = rank == 2 ? begin[0] : 0; s.padLeft = begin[rank - 1]
        return s
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let a = DenseAttributes(node)
        let x = try denseFloatInput(inputs, 0, "X", a)
        let m = packShape.outChannels
        if inputs.count > 2, let b = inputs[2].type {
            guard b.dtype == .float32 else { throw a.error("B is \(b.dtype), expected float32", kind: .unsupported) }
            guard b.shape == [m] else {
                throw a.error("B has shape \(describe(b.shape)), expected [\(m)] (W \(describe(weightShape)), group \(group))", kind: .shape)
            }
        }
        let s = try shape(for: x)
        let out = [x[0], m] + (rank == 2 ? [s.outH, s.outW] : [s.outW])
        guard let n = checkedElementCount(out), checkedElementCount([s.scratchCount, 4]) != nil,
              n < 1 << 40 else { throw a.error("output shape \(describe(out)) is too large", kind: .shape) }
        return [TensorType(.float32, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try denseFloatInput(inputs, 0, "X", DenseAttributes(node))
        let hasBias = inputs.count > 2 && inputs[2].type != nil
        return ConvTransposeKernel(shape: try shape(for: x), weights: packedWeights, rawWeights: rawWeights, hasBias: hasBias,
                                   activation: activation)
    }
}

final class ConvTransposeKernel: Kernel {
    let s: ConvTranspose2DShape
    let weights: DenseBuffer
    let rawWeights: TensorData
    let hasBias: Bool
    let activation: DenseActivation
    let serial: Bool

    init(shape: ConvTranspose2DShape, weights: DenseBuffer, rawWeights: TensorData, hasBias: Bool, activation: DenseActivation) {
        s = shape
        self.weights = weights
        self.rawWeights = rawWeights
        self.hasBias = hasBias
        self.activation = activation
        serial = s.batch * s.columnRows * s.inPlane * s.inChannelsPerGroup < 1 << 15
    }

    var scratchByteCount: Int { s.batch * s.outPlane == 0 ? 0 : s.scratchCount * 4 }

    func run(_ io: KernelIO) {
        if s.batch * s.outChannels * s.outPlane == 0 { return }
        guard let scratch = io.scratch?.assumingMemoryBound(to: Float.self) else { return }
        let bias: UnsafePointer<Float>? = hasBias ? io.input(2, as: Float.self) : nil
        guard let raw = rawWeights.bytes.baseAddress?.assumingMemoryBound(to: Float.self) else { return }
        convTranspose2DForward(s, x: io.input(0, as: Float.self), weights: weights.pointer, rawWeights: raw, bias: bias,
                               activation: activation, y: io.output(0, as: Float.self), scratch: scratch,
                               parallel: denseParallel(io, serial: serial))
    }
}
