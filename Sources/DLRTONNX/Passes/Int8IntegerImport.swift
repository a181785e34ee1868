import DLRTModel

/// Import of ONNX's integer ops as onnxruntime's `quantize_dynamic` writes them
/// (docs/QUANTIZATION.md, "Quantized ONNX input"):
///
///     x ─ DynamicQuantizeLinear ─┬ x_q ──────┐
///                                ├ x_scale ─ Mul(x_scale, w_scale) = s ──────┐
///                                └ x_zero ───┤                               │
///     w_q (constant), w_zero (constant) ─ MatMulInteger / ConvInteger ─ Cast(float) ─ Mul(·, s) ─ y
///
/// computes y = Float(Σ (x_q − x_zero) · (w_q − w_zero)) · (x_scale · w_scale): exactly what
/// dlrt's DynamicQuantizeMatMul (100) / DynamicQuantizeConv (101) compute with per-tensor u8
/// activations (`per_row` = 0) and the int8 weights w_q − w_zero with scales w_scale. The chain is
/// replaced by a float MatMul / Conv reading x and the dequantized weight (w_q − w_zero) · w_scale;
/// the weight's integers and scales are kept as a preset (`Int8Presets`) that `Int8Weights` stores
/// as they are instead of quantizing the float weight again.
///
/// Accepted: w_q int8 or uint8 with every w_q − w_zero in [−128, 127] (onnxruntime's symmetric
/// int8 weights, reduce_range or not; uint8 weights with zero point 128); w_scale / w_zero one
/// value, or one per output column (MatMul, shape [N]) / output channel (Conv, shape [M] or
/// [M, 1, …]); the scales Mul in either operand order, or a constant scale product. Anything
/// else that leaves DynamicQuantizeLinear / MatMulInteger / ConvInteger in the graph (another
/// shape of chain, weights − zero outside int8, non-constant weights or zero points) folds when
/// every input is constant, or runs on the run-time integer ops 112–114 (Ops/Integer.swift).
struct Int8Presets {
    struct Weight {
        /// Row-major like the float weight it stands for ([K, N] MatMul B, [M, C/g, kH, kW] Conv W).
        var q: [Int8]
        var scales: [Float]
        /// 1 for MatMul B (per column), 0 for Conv W (per output channel).
        var axis: Int
    }
    /// Dequantized weight constant name → its integers and scales.
    var weights: [String: Weight] = [:]
    /// Number of integer-op chains imported.
    var imported = 0
    var isEmpty: Bool { imported == 0 }
}

enum IntegerImport {
    static func run(_ g: inout WGraph) throws -> Int8Presets {
        var presets = Int8Presets()
        guard g.nodes.contains(where: { ["MatMulInteger", "ConvInteger"].contains($0.op) && QDQImport.isDefaultDomain($0) }) else {
            return presets
        }
        var k = 0
        while k < g.nodes.count {
            let node = g.nodes[k]
            if QDQImport.isDefaultDomain(node), node.op == "MatMulInteger" || node.op == "ConvInteger" {
                try importChain(&g, k, &presets)
            }
            k += 1
        }
        removeDeadQuantOps(&g)
        return presets
    }

    /// The single node reading `tensor`, when exactly one reads it and it is not a graph output.
    static func soleReader(_ g: WGraph, _ tensor: String) -> Int? {
        guard !g.outputs.contains(tensor) else { return nil }
        let readers = g.nodes.indices.filter { g.nodes[$0].inputs.contains(tensor) }
        return readers.count == 1 ? readers[0] : nil
    }

    /// Replaces the chain around the integer op at `k` when it has the documented shape; leaves
    /// it (to be refused later) otherwise.
    static func importChain(_ g: inout WGraph, _ k: Int, _ presets: inout Int8Presets) throws {
        let op = g.nodes[k]
        let conv = op.op == "ConvInteger"
        let producer = g.producerIndex()
        // A from DynamicQuantizeLinear, with its zero point.
        guard let d = producer[op.input(0)], g.nodes[d].op == "DynamicQuantizeLinear", QDQImport.isDefaultDomain(g.nodes[d]),
              op.input(2) == g.nodes[d].output(2) else { return }
        let dql = g.nodes[d]
        // B and its zero point constant.
        guard let w = g.constants[op.input(1)], w.type == .int8 || w.type == .uint8 else { return }
        let wZero = op.input(3).isEmpty ? nil : g.constants[op.input(3)]
        if !op.input(3).isEmpty && wZero == nil { return }
        // Cast(to float) → Mul(cast, s) with s = x_scale · w_scale.
        guard let c = soleReader(g, op.output(0)), g.nodes[c].op == "Cast", g.nodes[c].int("to") == 1,
              let m = soleReader(g, g.nodes[c].output(0)), g.nodes[m].op == "Mul" else { return }
        let mul = g.nodes[m]
        let s = mul.input(0) == g.nodes[c].output(0) ? mul.input(1) : mul.input(0)
        guard let wScale = scaleOf(g, s, xScale: dql.output(1), producer) else { return }

        let channels = conv ? (w.rank >= 3 ? w.shape[0] : 0) : (w.rank == 2 ? w.shape[1] : 0)
        guard channels > 0 else {
            throw op.unsupported("weight of shape \(w.shape) is not supported (MatMulInteger: a [K, N] matrix; ConvInteger: [M, C/group, k…])")
        }
        // Per-output-channel vectors: one value, or [channels] / [channels, 1, …] (Conv).
        // A zero point is 1-D; the scale broadcasts against the output ([N] for MatMul, [M, 1, …]
        // against N × M × spatial for Conv).
        func perChannel(_ t: ConstTensor, _ what: String, broadcast: Bool) throws -> [Int] {
            let n = t.count
            let shaped = !broadcast || !conv ? t.shape.last == channels && t.shape.dropLast().allSatisfy { $0 == 1 }
                : t.shape.first == channels && t.rank == w.rank - 1 && t.shape.dropFirst().allSatisfy { $0 == 1 }
            let ok = n == 1 || (n == channels && shaped)
            guard ok else { throw op.unsupported("\(what) of shape \(t.shape) is neither one value nor one per output \(conv ? "channel" : "column") (\(channels))") }
            return (0 ..< channels).map { n == 1 ? 0 : $0 }
        }
        let scaleIndex = try perChannel(wScale, "the weight scale", broadcast: true)
        let zeroIndex = try wZero.map { try perChannel($0, "w_zero_point", broadcast: false) } ?? [Int](repeating: 0, count: channels)
        let scales = scaleIndex.map { wScale.floats[$0] }
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw op.unsupported("weight scales must be finite and > 0") }
        let zeros = zeroIndex.map { wZero?.ints[$0] ?? 0 }
        let qw = w.ints
        let per = qw.count / channels
        func channel(_ i: Int) -> Int { conv ? i / per : i % channels }
        var q = [Int8](repeating: 0, count: qw.count)
        var f = [Float](repeating: 0, count: qw.count)
        for i in 0 ..< qw.count {
            let v = qw[i] - zeros[channel(i)]
            // Outside int8 (e.g. uint8 weights with another zero point than 128): the chain stays as
            // it is and runs on the run-time integer ops (Ops/Integer.swift).
            guard let b = Int8(exactly: v) else { return }
            q[i] = b
            f[i] = Float(b) * scales[channel(i)]
        }
        let name = g.freshName(op.input(1) + "/dequantized")
        g.constants[name] = ConstTensor(type: .float, shape: w.shape, f: f)
        presets.weights[name] = Int8Presets.Weight(q: q, scales: scales, axis: conv ? 0 : 1)
        presets.imported += 1
        var attrs = op.attrs
        if !conv { attrs = [:] }
        // The float node takes the final Mul's place (x and the weight are defined before it).
        g.nodes[m] = WNode(name: op.name.isEmpty ? mul.name : op.name, op: conv ? "Conv" : "MatMul", domain: "",
                           inputs: [dql.input(0), name], outputs: [mul.output(0)], attrs: attrs)
    }

    /// The weight scale of s when s = x_scale · w_scale (a Mul with a constant, either order).
    static func scaleOf(_ g: WGraph, _ s: String, xScale: String, _ producer: [String: Int]) -> ConstTensor? {
        guard let p = producer[s], g.nodes[p].op == "Mul", QDQImport.isDefaultDomain(g.nodes[p]) else { return nil }
        let n = g.nodes[p]
        if n.input(0) == xScale { return g.constants[n.input(1)] }
        if n.input(1) == xScale { return g.constants[n.input(0)] }
        return nil
    }

    /// Removes nodes none of whose outputs is read any more (the integer ops, Casts, scale Muls
    /// and DynamicQuantizeLinear nodes the import replaced).
    static func removeDeadQuantOps(_ g: inout WGraph) {
        let ops: Set<String> = ["DynamicQuantizeLinear", "MatMulInteger", "ConvInteger", "Cast", "Mul"]
        while true {
            let uses = g.useCounts()
            let before = g.nodes.count
            g.nodes.removeAll { ops.contains($0.op) && QDQImport.isDefaultDomain($0) && $0.outputs.allSatisfy { (uses[$0] ?? 0) == 0 } }
            if g.nodes.count == before { return }
        }
    }
}
