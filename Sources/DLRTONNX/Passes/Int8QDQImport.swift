import DLRTModel

/// Import of already-quantized ONNX models (docs/QUANTIZATION.md, "Quantized ONNX input").
///
/// Runs on the imported graph before anything else:
/// 1. QLinearConv / QLinearMatMul are expanded to DequantizeLinear → Conv / MatMul →
///    QuantizeLinear (their int32 bias becomes a float bias: B · x_scale · w_scale);
/// 2. DequantizeLinear of constants (int8 / uint8 / int32 weights and biases, per tensor or per
///    axis) is folded into float32 constants;
/// 3. each QuantizeLinear → DequantizeLinear pair on an activation (what onnxruntime's QDQ
///    quantizer emits) is removed, and the range it encodes — [(q_min − zero) · scale,
///    (q_max − zero) · scale] — is recorded for the float tensor it quantized.
/// The converter then quantizes the weights again (symmetric per channel; for onnxruntime's
/// symmetric per-channel int8 weights this gives back the same integers) and uses the recorded
/// ranges as static-mode calibration, so the model runs with QuantizedConv / QuantizedMatMul.
///
/// Refused with a message: QuantizeLinear / DequantizeLinear left over (on graph inputs or
/// outputs, unpaired, per-axis activation parameters, non-constant parameters, float8 / int4 /
/// 16-bit types), and DynamicQuantizeLinear / MatMulInteger / ConvInteger that `IntegerImport`
/// (run before this pass) did not replace.
enum QDQImport {
    static let opNames: Set<String> = ["QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
                                       "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"]

    /// Activation ranges by tensor name; empty when the model has no quantization ops.
    static func run(_ g: inout WGraph) throws -> [String: ClosedRange<Float>] {
        guard g.nodes.contains(where: { opNames.contains($0.op) && isDefaultDomain($0) }) else { return [:] }
        // Integer ops outside quantize_dynamic's chain are left to the constant folder (all inputs
        // constant) or lowered to dlrt's run-time integer ops (Ops/Integer.swift).
        try expandQLinear(&g)
        try foldConstantDequantize(&g)
        let ranges = try stripPairs(&g)
        for k in g.nodes.indices where isDefaultDomain(g.nodes[k]) && ["QuantizeLinear", "DequantizeLinear"].contains(g.nodes[k].op) {
            try standalone(&g.nodes[k], g)
        }
        if let left = g.nodes.first(where: { opNames.contains($0.op) && isDefaultDomain($0)
                && !["QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "MatMulInteger", "ConvInteger"].contains($0.op) }) {
            let readers = g.nodes.filter { $0.inputs.contains(left.output(0)) }.map { "'\($0.name)' (\($0.domain.isEmpty ? "" : $0.domain + ".")\($0.op))" }
            throw left.unsupported("only QuantizeLinear → DequantizeLinear pairs on float activations and DequantizeLinear of constants are imported"
                                   + (readers.isEmpty ? " (this one reads '\(left.input(0))')" : "; its output feeds \(readers.joined(separator: ", ")), which dlrt does not import (operator-format models: use onnxruntime's QDQ format)"))
        }
        return ranges
    }

    static func isDefaultDomain(_ n: WNode) -> Bool { n.domain.isEmpty || n.domain == "ai.onnx" }

    /// A quantization parameter: its constant values (scale as floats, zero point as ints).
    static func constant(_ g: WGraph, _ node: WNode, _ k: Int, _ what: String) throws -> ConstTensor? {
        let name = node.input(k)
        if name.isEmpty { return nil }
        guard let c = g.constants[name] else { throw node.unsupported("\(what) '\(name)' is not a constant") }
        return c
    }

    /// real = (q − zero) · scale along `axis` (scale and zero: one value, or one per index of axis).
    static func dequantize(_ x: ConstTensor, scale: ConstTensor, zero: ConstTensor?, axis: Int, _ node: WNode) throws -> ConstTensor {
        guard [.int8, .uint8, .int32].contains(x.type) else {
            throw node.unsupported("DequantizeLinear of \(x.type) is not supported (int8, uint8, int32)")
        }
        let s = scale.floats, z = zero?.ints ?? [0]
        guard s.count == 1 || (x.rank > 0 && s.count == x.shape[axis]), z.count == 1 || z.count == s.count else {
            throw node.unsupported("scale \(scale.shape) / zero point do not match x \(x.shape) along axis \(axis)")
        }
        let inner = s.count == 1 ? 1 : x.shape[(axis + 1)...].reduce(1, *)
        var out = [Float](repeating: 0, count: x.count)
        let q = x.ints
        for i in 0 ..< q.count {
            let c = s.count == 1 ? 0 : (i / inner) % s.count
            out[i] = Float(q[i] - z[z.count == 1 ? 0 : c]) * s[c]
        }
        return ConstTensor(type: .float, shape: x.shape, f: out)
    }

    static func axis(_ node: WNode, rank: Int) throws -> Int {
        let a = node.int("axis") ?? 1
        return rank == 0 ? 0 : try normalizeAxis(a, rank: rank, node)
    }

    static func foldConstantDequantize(_ g: inout WGraph) throws {
        var kept: [WNode] = []
        for node in g.nodes {
            guard node.op == "DequantizeLinear", isDefaultDomain(node), let x = g.constants[node.input(0)] else {
                kept.append(node)
                continue
            }
            guard node.int("block_size") ?? 0 == 0 else { throw node.unsupported("blocked quantization (block_size) is not supported") }
            guard let scale = try constant(g, node, 1, "x_scale") else { throw node.invalid("x_scale is required") }
            g.constants[node.output(0)] = try dequantize(x, scale: scale, zero: try constant(g, node, 2, "x_zero_point"),
                                                         axis: scale.count == 1 ? 0 : try axis(node, rank: x.rank), node)
        }
        g.nodes = kept
    }

    /// Removes QuantizeLinear → DequantizeLinear pairs on activations, recording their ranges.
    static func stripPairs(_ g: inout WGraph) throws -> [String: ClosedRange<Float>] {
        var ranges: [String: ClosedRange<Float>] = [:]
        let producer = g.producerIndex()
        var removed = Set<Int>()
        var clips: [WNode] = []
        var clipAfter: [Int] = []  // per clip: index of the node producing its input (−1: a graph input)
        for (d, dq) in g.nodes.enumerated() where dq.op == "DequantizeLinear" && isDefaultDomain(dq) {
            guard let p = producer[dq.input(0)], g.nodes[p].op == "QuantizeLinear", isDefaultDomain(g.nodes[p]) else { continue }
            let q = g.nodes[p]
            // Per-axis pairs stay as runtime QuantizeLinear / DequantizeLinear.
            guard let s = try constant(g, q, 1, "y_scale"), s.count == 1, let ds = try constant(g, dq, 1, "x_scale"), ds.count == 1 else {
                continue
            }
            let zq = try constant(g, q, 2, "y_zero_point"), zd = try constant(g, dq, 2, "x_zero_point")
            let type = zq?.type ?? .uint8
            guard type == .uint8 || type == .int8 else { throw q.unsupported("\(type) activations are not supported (uint8, int8)") }
            let zero = Float(zq?.ints.first ?? 0)
            guard ds.floats[0] == s.floats[0], Float(zd?.ints.first ?? 0) == zero else {
                throw dq.unsupported("its parameters differ from those of the QuantizeLinear it reads ('\(q.name)')")
            }
            let (lo, hi): (Float, Float) = type == .uint8 ? (0, 255) : (-128, 127)
            let scale = s.floats[0]
            guard scale.isFinite, scale > 0 else { throw q.invalid("y_scale is \(scale), expected a finite value > 0") }
            let x = q.input(0)
            // A pair that ends the graph becomes a Clip writing the graph output.
            let endsGraph = g.outputs.contains(dq.output(0))
            // The pair clamps to its range (quantizers drop a Relu / Relu6 whose range the pair
            // already enforces): a Clip keeps that when the value stays float; it fuses into
            // the producing Conv / Gemm / MatMul.
            let r = ((lo - zero) * scale) ... ((hi - zero) * scale)
            ranges[x] = ranges[x].map { min($0.lowerBound, r.lowerBound) ... max($0.upperBound, r.upperBound) } ?? r
            // Only where the range starts at 0 (the trace of an elided Relu / Relu6; other ranges
            // clamp only outliers beyond the calibration data).
            if !endsGraph && r.lowerBound < 0 {
                g.replaceUses(of: dq.output(0), with: x)
                removed.insert(d)
                continue
            }
            let clipped = endsGraph ? dq.output(0) : g.freshName(x + "/qdq_clip")
            let bounds = (g.freshName(x + "/qdq_min"), g.freshName(x + "/qdq_max"))
            g.constants[bounds.0] = ConstTensor(type: .float, shape: [], f: [r.lowerBound])
            g.constants[bounds.1] = ConstTensor(type: .float, shape: [], f: [r.upperBound])
            clips.append(WNode(name: clipped, op: "Clip", domain: "", inputs: [x, bounds.0, bounds.1], outputs: [clipped], attrs: [:]))
            clipAfter.append(producer[x] ?? -1)
            ranges[clipped] = r
            if !endsGraph { g.replaceUses(of: dq.output(0), with: clipped) }
            removed.insert(d)
        }
        // Each Clip goes right after its input's producer (graph inputs: first), keeping the order topological.
        var kept: [WNode] = []
        for (k, c) in clips.enumerated() where clipAfter[k] < 0 { kept.append(c) }
        for (i, node) in g.nodes.enumerated() {
            if !removed.contains(i) { kept.append(node) }
            for (k, c) in clips.enumerated() where clipAfter[k] == i { kept.append(c) }
        }
        g.nodes = kept
        // QuantizeLinear nodes whose outputs nothing reads any more.
        let uses = g.useCounts()
        g.nodes.removeAll { $0.op == "QuantizeLinear" && isDefaultDomain($0) && (uses[$0.output(0)] ?? 0) == 0 && !g.outputs.contains($0.output(0)) }
        return ranges
    }

    /// A QuantizeLinear / DequantizeLinear that stays in the graph (runtime ops 104 / 105): its
    /// constant scale and zero point become the attributes `scales`, `zero_points` (and `to`,
    /// the quantized type, for QuantizeLinear); `axis` stays for Lowering to normalize.
    static func standalone(_ n: inout WNode, _ g: WGraph) throws {
        guard n.int("block_size") ?? 0 == 0 else { throw n.unsupported("blocked quantization (block_size) is not supported") }
        let quantize = n.op == "QuantizeLinear"
        guard let scale = try constant(g, n, 1, quantize ? "y_scale" : "x_scale") else { throw n.invalid("the scale input is required") }
        let zero = try constant(g, n, 2, quantize ? "y_zero_point" : "x_zero_point")
        let type = zero?.type ?? (quantize ? .uint8 : (g.typeOf(n.input(0)) ?? .uint8))
        guard type == .uint8 || type == .int8 || (!quantize && type == .int32) else {
            throw n.unsupported("\(type) quantized values are not supported (uint8, int8\(quantize ? "" : ", int32"))")
        }
        let scales = scale.floats, zeros = zero?.ints ?? [Int64](repeating: 0, count: scales.count)
        guard !scales.isEmpty, zeros.count == scales.count else { throw n.invalid("scale and zero point sizes differ") }
        guard scales.allSatisfy({ $0.isFinite && $0 > 0 }) else { throw n.unsupported("scales must be finite and > 0") }
        n.attrs["scales"] = .floats(scales)
        n.attrs["zero_points"] = .ints(zeros)
        if quantize { n.attrs["to"] = .int(Int64((type == .int8 ? DType.int8 : DType.uint8).rawValue)) }
        n.attrs["saturate"] = nil
        n.inputs = [n.input(0)]
    }

    /// QLinearConv / QLinearMatMul → DequantizeLinear → Conv / MatMul → QuantizeLinear.
    static func expandQLinear(_ g: inout WGraph) throws {
        var out: [WNode] = []
        for node in g.nodes {
            guard isDefaultDomain(node), node.op == "QLinearConv" || node.op == "QLinearMatMul" else { out.append(node); continue }
            let conv = node.op == "QLinearConv"
            // Inputs: x, x_scale, x_zero, w, w_scale, w_zero, y_scale, y_zero[, B].
            func dq(_ k: Int, axis: Int?) -> String {
                let o = g.freshName(node.name + "/dq\(k)")
                var attrs: [String: OAttr] = [:]
                if let axis { attrs["axis"] = .int(Int64(axis)) }
                out.append(WNode(name: o, op: "DequantizeLinear", domain: "", inputs: [node.input(k), node.input(k + 1), node.input(k + 2)],
                                 outputs: [o], attrs: attrs))
                return o
            }
            let x = dq(0, axis: nil)
            let wRank = g.constants[node.input(3)]?.rank ?? 2
            let w = dq(3, axis: conv ? 0 : wRank - 1)
            var inputs = [x, w]
            if conv, !node.input(8).isEmpty {
                guard let b = g.constants[node.input(8)], let xs = try constant(g, node, 1, "x_scale"),
                      let ws = try constant(g, node, 4, "w_scale") else { throw node.unsupported("B, x_scale and w_scale must be constants") }
                let s = ws.floats, bi = b.ints
                guard s.count == 1 || s.count == bi.count else { throw node.invalid("w_scale has \(s.count) values for \(bi.count) biases") }
                let bias = g.freshName(node.name + "/bias")
                g.constants[bias] = ConstTensor(type: .float, shape: b.shape,
                                                f: bi.indices.map { Float(bi[$0]) * (xs.floats[0] * s[s.count == 1 ? 0 : $0]) })
                inputs.append(bias)
            }
            let y = g.freshName(node.name + "/float")
            var attrs = node.attrs
            if !conv { attrs = [:] }
            out.append(WNode(name: node.name, op: conv ? "Conv" : "MatMul", domain: "", inputs: inputs, outputs: [y], attrs: attrs))
            out.append(WNode(name: node.name + "/q", op: "QuantizeLinear", domain: "", inputs: [y, node.input(6), node.input(7)],
                             outputs: [node.output(0)], attrs: [:]))
        }
        g.nodes = out
    }
}
