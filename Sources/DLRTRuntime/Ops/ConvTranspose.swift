import DLRTKernels
import DLRTModel

/// ConvTranspose (1-D and 2-D, groups) with fused bias and activation. A constant W [C, M/group, k…]
/// is packed once here as the GEMM's A operand (Wgᵀ per group); a W fed at run time (fixed
/// shape) is packed into scratch on every run. Output size per
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
    /// Packed W and W as stored (read in place by the path for at most 4 input positions); nil
    /// when W is not a constant.
    let packedWeights: DenseBuffer?
    let rawWeights: TensorData?
    /// Channels, kernel and group (the per-shape fields are filled by `shape(for:)`).
    let packShape: ConvTranspose2DShape

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        let w = a.constantInput(1, graph: graph)
        let wTensor = graph.tensors[Int(node.inputs[1])]
        guard let wShape = w?.shape ?? wTensor.fixedShape else {
            throw a.error("W (input 1) is not a constant and its shape \(describe(wTensor.shape)) is not fixed", kind: .unsupported)
        }
        guard wTensor.dtype == .float32 else { throw a.error("W is \(wTensor.dtype), expected float32", kind: .unsupported) }
        guard wShape.count == 3 || wShape.count == 4 else {
            throw a.error("W has shape \(describe(wShape)), expected [C, M/group, k] or [C, M/group, kH, kW]",
                          kind: wShape.count > 4 ? .unsupported : .invalidModel)
        }
        guard let count = checkedElementCount(wShape), count * 4 <= (w?.data.byteCount ?? count * 4) else {
            throw a.error("W \(describe(wShape)) needs more bytes than its \(w?.data.byteCount ?? 0)")
        }
        weightShape = wShape
        rank = wShape.count - 2
        kernel = Array(wShape[2...])
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
        guard group >= 1 && group <= wShape[0] && wShape[0] % group == 0 else {
            throw a.error("attribute 'group' is \(group); W \(describe(wShape)) has \(wShape[0]) input channels, which must be a multiple of it")
        }
        guard wShape[1] >= 1, kernel.allSatisfy({ $0 >= 1 }) else {
            throw a.error("W \(describe(wShape)) has an empty output-channel or kernel dim")
        }
        activation = try DenseActivation(node: node)
        var s = ConvTranspose2DShape()
        s.group = group
        s.inChannels = wShape[0]
        s.outChannels = wShape[1] * group
        s.kH = rank == 2 ? kernel[0] : 1
        s.kW = kernel[rank - 1]
        // Planes of fewer than 2·NR positions known from the graph (DCGAN's 1×1 and 4×4 inputs):
        // the transposed GEMM, W packed as its B operand (ConvTranspose2DShape.transposedGEMM).
        // Other shapes at run time still work that way, only slower.
        let xDims = graph.tensors[Int(node.inputs[0])].shape
        if xDims.count == rank + 2, let plane = checkedElementCount(xDims[2...].map { $0.fixedValue ?? 0 }),
           plane >= 1 && plane < 2 * sgemmNR && s.columnRows >= 64 {
            s.transposedGEMM = true
        }
        packShape = s
        if let w {
            guard let base = w.data.bytes.baseAddress else { throw a.error("W has no data") }
            packedWeights = convTranspose2DPackWeights(s, base.assumingMemoryBound(to: Float.self))
            rawWeights = w.data
        } else {
            packedWeights = nil
            rawWeights = nil
        }
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
        guard try denseFloatInput(inputs, 1, "W", a) == weightShape else {
            throw a.error("W has shape \(describe(inputs[1].type?.shape ?? [])), expected \(describe(weightShape))", kind: .shape)
        }
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
    let weights: DenseBuffer?
    let rawWeights: TensorData?
    let hasBias: Bool
    let activation: DenseActivation
    let serial: Bool

    init(shape: ConvTranspose2DShape, weights: DenseBuffer?, rawWeights: TensorData?, hasBias: Bool, activation: DenseActivation) {
        s = shape
        self.weights = weights
        self.rawWeights = rawWeights
        self.hasBias = hasBias
        self.activation = activation
        serial = s.batch * s.columnRows * s.inPlane * s.inChannelsPerGroup < 1 << 15
    }

    /// Floats of scratch for packing a W fed at run time (after the forward pass's own scratch).
    var packCount: Int { weights == nil ? roundUp16(s.packedWeightCount) : 0 }

    var scratchByteCount: Int { s.batch * s.outPlane == 0 ? 0 : (roundUp16(s.scratchCount) + packCount) * 4 }

    func run(_ io: KernelIO) {
        if s.batch * s.outChannels * s.outPlane == 0 { return }
        guard let scratch = io.scratch?.assumingMemoryBound(to: Float.self) else { return }
        let bias: UnsafePointer<Float>? = hasBias ? io.input(2, as: Float.self) : nil
        let raw: UnsafePointer<Float>, packed: UnsafePointer<Float>
        if let weights, let base = rawWeights?.bytes.baseAddress {
            raw = base.assumingMemoryBound(to: Float.self)
            packed = UnsafePointer(weights.pointer)
        } else {
            raw = io.input(1, as: Float.self)
            let dst = scratch + roundUp16(s.scratchCount)
            convTranspose2DPackWeights(s, raw, into: dst)
            packed = UnsafePointer(dst)
        }
        convTranspose2DForward(s, x: io.input(0, as: Float.self), weights: packed, rawWeights: raw, bias: bias,
                               activation: activation, y: io.output(0, as: Float.self), scratch: scratch,
                               parallel: denseParallel(io, serial: serial))
    }
}

@inline(__always) private func roundUp16(_ n: Int) -> Int { (n + 15) / 16 * 16 }
