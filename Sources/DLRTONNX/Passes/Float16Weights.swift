import DLRTModel

/// `--weights float16`: stores the large float32 weights of a lowered dlrt graph as float16
/// constants, each followed by a `Cast` to float32 that feeds the original consumers.
///
/// The runtime folds those Casts once when the model loads (DLRTRuntime/LoadTimeFolding.swift),
/// so the file is about half the size and a run costs exactly what it costs with float32
/// weights: Conv / Gemm / MatMul still pre-pack float32 values.
///
/// Which tensors: float32 constants of at least `minElements` elements whose every consumer reads
/// them as a *weight operand* (`weightOperands`): Conv W, Gemm / MatMul A or B, Gather data
/// (embedding tables). They hold nearly all of a model's bytes (O(channels²)). Biases (Conv B,
/// Gemm C) and normalization parameters (BatchNormalization, LayerNormalization) stay float32:
/// they are O(channels) — under 1 % of the bytes — and enter the output directly, without the
/// averaging over K products that hides float16's rounding in a weight. Tensors that also feed
/// anything else, and int / shape tensors, stay as they are.
///
/// Rounding is IEEE round-to-nearest-even (Swift's `Float16(Float)`). A tensor with a finite value
/// that rounds beyond float16's range (|x| ≥ 65520; the largest float16 is 65504) stays float32,
/// with a warning naming it and its max |value|: the conversion succeeds, the tensor just does
/// not shrink. A tensor where more than 1 % of the non-zero values underflow to 0 is converted
/// with a warning.
enum Float16Weights {
    static let minElements = 16

    /// (op, input index) pairs read as weights.
    static let weightOperands: [OpCode: Set<Int>] = [
        .conv: [1],
        .gemm: [0, 1],
        .matMul: [0, 1],
        .gather: [0],
    ]

    struct Report {
        var converted = 0
        /// Bytes of the converted tensors, before (float32) and after (float16).
        var bytesBefore = 0
        var bytesAfter = 0
        var warnings: [String] = []

        var summary: String {
            "float16 weights: \(converted) tensor\(converted == 1 ? "" : "s") converted, \(bytesBefore) → \(bytesAfter) bytes of weights"
        }
    }

    static func apply(_ g: inout Graph) -> Report {
        var report = Report()
        // Consumers of each constant: (node index, input index).
        var uses: [Int32: [(node: Int, input: Int)]] = [:]
        for (n, node) in g.nodes.enumerated() {
            for (k, id) in node.inputs.enumerated() where id >= 0 && g.tensors[Int(id)].isConstant {
                uses[id, default: []].append((n, k))
            }
        }
        let graphOutputs = Set(g.outputs)
        var casts: [Node] = []
        // In tensor-id order, so the output is deterministic.
        for id in uses.keys.sorted() {
            let t = g.tensors[Int(id)]
            guard t.dtype == .float32, t.quantization == nil, let data = t.data, let shape = t.fixedShape,
                  let count = checkedElementCount(shape), count >= minElements, data.byteCount == count * 4,
                  !graphOutputs.contains(id) else { continue }
            let consumers = uses[id] ?? []
            guard consumers.allSatisfy({ weightOperands[g.nodes[$0.node].op]?.contains($0.input) ?? false }) else { continue }

            let values = data.elements(as: Float.self)
            var halves = [Float16](repeating: 0, count: count)
            var maxAbs: Float = 0, overflow = false, flushed = 0, nonzero = 0
            for i in 0 ..< count {
                let v = values[i]
                let h = Float16(v)
                if v.isFinite {
                    maxAbs = Swift.max(maxAbs, Swift.abs(v))
                    if h.isInfinite { overflow = true }
                    if v != 0 { nonzero += 1; if h == 0 { flushed += 1 } }
                }
                halves[i] = h
            }
            if overflow {
                report.warnings.append("weight '\(t.name)' \(describe(shape)) kept as float32: max |value| \(maxAbs) exceeds float16's range (65504)")
                continue
            }
            if nonzero > 0 && flushed * 100 > nonzero {
                report.warnings.append("weight '\(t.name)' \(describe(shape)): \(flushed) of \(nonzero) non-zero values are below float16's range (6e-8) and became 0")
            }

            // The float16 constant keeps the tensor's name (so `dlrt inspect` lists it); the Cast
            // writes a new float32 tensor that the consumers read instead.
            g.tensors[Int(id)] = Tensor(name: t.name, dtype: .float16, shape: t.shape, data: TensorData(blob: Blob.copying(halves)))
            let castOut = g.addTensor(Tensor(name: t.name + "/float32", dtype: .float32, shape: t.shape))
            casts.append(Node(name: t.name + "/to_float32", op: .cast, inputs: [id], outputs: [castOut],
                              attributes: ["to": .int(Int64(DType.float32.rawValue))]))
            for use in consumers { g.nodes[use.node].inputs[use.input] = castOut }
            report.converted += 1
            report.bytesBefore += count * 4
            report.bytesAfter += count * 2
        }
        // Casts read only constants: placing them first keeps the topological order.
        g.nodes.insert(contentsOf: casts, at: 0)
        return report
    }
}
