import DLRTModel

// LSTM, GRU, RNN (dlrt codes 90–92) and Einsum (lowered to MatMul / Transpose / Reshape /
// ReduceSum / Mul / Unsqueeze in Einsum.swift).
extension OpTable {
    static let recurrentOps: [OpDef] = [
        recurrent("LSTM", .lstm, gates: 4, activations: ["Sigmoid", "Tanh", "Tanh"], extra: ["input_forget"]),
        recurrent("GRU", .gru, gates: 3, activations: ["Sigmoid", "Tanh"], extra: ["linear_before_reset"]),
        recurrent("RNN", .rnn, gates: 1, activations: ["Tanh"], extra: []),
        { var d = einsumDef; d.rewrittenAs = "MatMul, Transpose, ReduceSum, Mul, Reshape, Unsqueeze"; return d }(),
    ]

    /// dlrt codes of the recurrent activations (the runtime's `RecurrentActivation`).
    static let recurrentActivationCodes: [String: Int64] = ["Sigmoid": 0, "Tanh": 1, "Relu": 2]

    /// Inputs X, W, R, B?, sequence_lens?, initial_h?, initial_c?, P?; outputs Y?, Y_h?, Y_c?.
    static func recurrent(_ name: String, _ code: OpCode, gates: Int, activations defaults: [String],
                          extra: Set<String>) -> OpDef {
        OpDef(name: name, code: code, infer: { n, g in
            let layout = n.int("layout") ?? 0
            let dirs = n.string("direction") == "bidirectional" ? 2 : 1
            var hidden: Dim? = n.int("hidden_size").flatMap { $0 >= 1 && $0 <= 1 << 20 ? .fixed(Int($0)) : nil }
            if hidden == nil, let r = g.shapeOf(n.input(2)), r.count == 3 { hidden = r[2] }
            guard let x = g.shapeOf(n.input(0)), x.count == 3, let hs = hidden else {
                return Array(repeating: ValueInfo(type: g.typeOf(n.input(0)), shape: nil), count: gates == 4 ? 3 : 2)
            }
            let (seq, batch) = layout == 1 ? (x[1], x[0]) : (x[0], x[1])
            let y: [Dim] = layout == 1 ? [batch, seq, .fixed(dirs), hs] : [seq, .fixed(dirs), batch, hs]
            let state: [Dim] = layout == 1 ? [batch, .fixed(dirs), hs] : [.fixed(dirs), batch, hs]
            let t = g.typeOf(n.input(0))
            return [ValueInfo(type: t, shape: y), ValueInfo(type: t, shape: state), ValueInfo(type: t, shape: state)]
        }, lower: { n, g in
            for k in ["activation_alpha", "activation_beta"] where n.attrs[k] != nil {
                throw n.unsupported("attribute '\(k)' is not supported (dlrt's recurrent activations Sigmoid, Tanh, Relu take no parameters)")
            }
            try checkKnownAttrs(n, Set(["hidden_size", "direction", "layout", "clip", "activations"]).union(extra))
            if let t = g.typeOf(n.input(0)), t != .float { throw n.unsupported("input X is \(t); dlrt's \(name) computes float32 only") }
            // W, R, B, P: constants (packed at load) or run-time inputs of fixed shape (packed per run).
            var shapes: [Int: [Int]] = [:]
            for (k, what) in [(1, "W"), (2, "R"), (3, "B"), (7, "P")] where !n.input(k).isEmpty {
                if let c = g.constants[n.input(k)] {
                    guard c.type == .float else { throw n.unsupported("input \(what) is \(c.type); dlrt's \(name) takes float32 weights") }
                    shapes[k] = c.shape
                } else {
                    guard let dims = fixedDims(g.shapeOf(n.input(k))) else {
                        throw n.unsupported("input \(what) ('\(n.input(k))') is neither a constant nor of fixed shape; dlrt packs run-time \(name) weights of fixed shape only")
                    }
                    if let t = g.typeOf(n.input(k)), t != .float { throw n.unsupported("input \(what) is \(t); dlrt's \(name) takes float32 weights") }
                    shapes[k] = dims
                }
            }
            if !n.input(4).isEmpty, let t = g.typeOf(n.input(4)), t != .int32 {
                throw n.unsupported("input sequence_lens is \(t), expected int32")
            }
            for k in [5, 6] where !n.input(k).isEmpty {
                if let t = g.typeOf(n.input(k)), t != .float { throw n.unsupported("input '\(n.input(k))' is \(t), expected float32") }
            }
            guard let wShape = shapes[1], wShape.count == 3, let rShape = shapes[2], rShape.count == 3 else {
                throw n.invalid("W and R must be rank-3 tensors of known shape")
            }
            let direction = n.string("direction") ?? "forward"
            guard ["forward", "reverse", "bidirectional"].contains(direction) else {
                throw n.unsupported("attribute 'direction' = \"\(direction)\" is not supported (forward, reverse or bidirectional)")
            }
            let dirs = direction == "bidirectional" ? 2 : 1
            let hidden = n.int("hidden_size") ?? Int64(rShape[2])
            guard hidden >= 1, hidden <= 1 << 20 else { throw n.unsupported("attribute 'hidden_size' = \(hidden) is not supported (1…2^20)") }
            guard rShape == [dirs, gates * Int(hidden), Int(hidden)], wShape[0] == dirs, wShape[1] == gates * Int(hidden) else {
                throw n.invalid("W \(wShape) and R \(rShape) do not match hidden_size \(hidden), \(gates) gates, \(dirs) direction(s)")
            }
            var out: [String: AttributeValue] = ["hidden_size": .int(hidden), "direction": .string(direction)]
            let layout = n.int("layout") ?? 0
            guard layout == 0 || layout == 1 else { throw n.unsupported("attribute 'layout' = \(layout) is not supported (0 or 1)") }
            out["layout"] = .int(layout)
            if let c = n.float("clip") {
                guard c > 0, c.isFinite else { throw n.unsupported("attribute 'clip' = \(c) is not supported (a finite value > 0)") }
                out["clip"] = .float(c)
            }
            if let names = n.attrs["activations"] {
                guard case .strings(let list) = names else { throw n.invalid("attribute 'activations' is \(names.describe), expected strings") }
                var acts = list
                if acts.count == defaults.count && dirs == 2 { acts += acts }
                guard acts.count == dirs * defaults.count else {
                    throw n.invalid("attribute 'activations' has \(list.count) names, expected \(dirs * defaults.count)")
                }
                out["activations"] = .ints(try acts.map {
                    guard let code = recurrentActivationCodes[$0] else {
                        throw n.unsupported("attribute 'activations' holds '\($0)'; dlrt supports Sigmoid, Tanh and Relu")
                    }
                    return code
                })
            }
            for k in extra {
                let v = n.int(k) ?? 0
                guard v == 0 || v == 1 else { throw n.unsupported("attribute '\(k)' = \(v) is not supported (0 or 1)") }
                out[k] = .int(v)
            }
            return out
        })
    }

    /// Graph rewrites of this group, called from `Simplify.canonicalize`: recurrent nodes get names
    /// for unused outputs before a used one and lose a sequence_lens equal to the sequence length;
    /// Einsum becomes existing dlrt ops.
    static func canonicalizeRecurrent(_ n: inout WNode, _ g: inout WGraph) throws {
        switch n.op {
        case "LSTM", "GRU", "RNN":
            for j in n.outputs.indices where n.outputs[j].isEmpty {
                // Deterministic, so the pass reaches a fixed point.
                var name = "\(n.name)__\(["Y", "Y_h", "Y_c"][min(j, 2)])_unused"
                while g.constants[name] != nil || g.inputs.contains(name) || g.declared[name] != nil { name += "_" }
                n.outputs[j] = name
            }
            if !n.input(4).isEmpty, let lens = g.constInts(n.input(4)), let x = g.shapeOf(n.input(0)), x.count == 3,
               let seq = x[(n.int("layout") ?? 0) == 1 ? 1 : 0].fixedValue, lens.allSatisfy({ $0 == Int64(seq) }) {
                n.inputs[4] = ""
            }
        case "Einsum":
            try lowerEinsum(&n, &g)
        default:
            break
        }
    }
}

/// `--weights int8` on LSTM / GRU / RNN: after `Int8Weights` made W and R int8 (each read through
/// a DequantizeLinear of an int8 constant, folded at load), the node gets `int8_weights` = 1 so
/// the runtime computes both GEMMs as int8 GEMMs with dynamically quantized u8 activations
/// (docs/QUANTIZATION.md). A node whose W or R stayed float32 keeps the float32 recurrence.
enum RecurrentInt8Marking {
    static func run(_ g: inout Graph) {
        var producer: [Int32: Int] = [:]
        for (i, node) in g.nodes.enumerated() { for o in node.outputs { producer[o] = i } }
        func isInt8Weight(_ id: Int32) -> Bool {
            guard let p = producer[id], g.nodes[p].op == .dequantizeLinear, let q = g.nodes[p].inputs.first, q >= 0 else { return false }
            return g.tensors[Int(q)].dtype == .int8 && g.tensors[Int(q)].data != nil
        }
        for n in g.nodes.indices where [.lstm, .gru, .rnn].contains(g.nodes[n].op) {
            let inputs = g.nodes[n].inputs
            guard inputs.count > 2, isInt8Weight(inputs[1]), isInt8Weight(inputs[2]) else { continue }
            g.nodes[n].attributes["int8_weights"] = .int(1)
        }
    }
}
