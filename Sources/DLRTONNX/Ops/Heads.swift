import DLRTModel
import Glibc

// Softplus, HardSigmoid, HardSwish, PRelu, Selu, Mish, Gelu, Softsign, Floor, Ceil, Round, Sign,
// LogSoftmax, Min, Max, Mean, Sum, ArgMax, ArgMin, TopK (dlrt op codes 60–79; docs/OPS.md).
// Every lowering refuses input types the runtime op does not compute, naming node and tensor.
extension OpTable {
    /// Fails unless the inputs `indices` (when present and typed) have one of `allowed` types.
    static func requireTypes(_ n: WNode, _ g: WGraph, _ indices: [Int], _ allowed: [EType]) throws {
        for k in indices where !n.input(k).isEmpty {
            if let t = g.typeOf(n.input(k)), !allowed.contains(t) {
                throw n.unsupported("input '\(n.input(k))' is \(t); dlrt's \(n.op) computes \(allowed.map(\.description).joined(separator: ", "))")
            }
        }
    }

    /// A float32 unary op whose attributes are the floats `attrs` (with their defaults).
    static func floatUnary(_ name: String, _ code: OpCode, attrs: [String: Float] = [:], _ f: ((Float) -> Float)? = nil) -> OpDef {
        var d = unary(name, code, attrs: attrs, f)
        let lower = d.lower
        d.lower = { n, g in
            try requireTypes(n, g, [0], [.float])
            return try lower?(n, g) ?? [:]
        }
        return d
    }

    /// Min, Max, Mean, Sum: 1…N inputs, numpy broadcasting.
    static func nary(_ name: String, _ code: OpCode, types: [EType],
                     _ ff: @escaping (Float, Float) -> Float, _ fi: @escaping (Int64, Int64) -> Int64) -> OpDef {
        OpDef(name: name, code: code, normalize: { n, _ in n.attrs["consumed_inputs"] = nil }, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: g.shapeOf(n.input(0)))
            for i in n.inputs.dropFirst() {
                guard let s = g.shapeOf(i), let acc = info.shape else { info.shape = nil; break }
                info.shape = broadcastShapes(acc, s, out: n.output(0), g: g)
            }
            return [info]
        }, fold: { n, c in
            let present = n.inputs.indices.filter { !n.inputs[$0].isEmpty }
            guard !present.isEmpty, var acc = c[present[0]] else { return nil }
            for k in present.dropFirst() {
                guard let x = c[k], let r = broadcastFold(acc, x, ff: ff, fi: fi) else { return nil }
                acc = r
            }
            if name == "Mean" {
                guard acc.type.isFloat else { return nil }
                acc.f = acc.f.map { $0 / Float(present.count) }
            }
            return [acc]
        }, lower: { n, g in
            try checkKnownAttrs(n, [])
            if n.inputs.isEmpty || n.inputs.contains(where: \.isEmpty) {
                throw n.invalid("needs 1 or more inputs, none absent (has \(n.inputs.count))")
            }
            try requireTypes(n, g, Array(n.inputs.indices), types)
            let t = g.typeOf(n.input(0))
            if let k = n.inputs.indices.first(where: { g.typeOf(n.inputs[$0]) != t }) {
                throw n.unsupported("input '\(n.inputs[k])' is \(g.typeOf(n.inputs[k]).map(\.description) ?? "untyped"), input '\(n.input(0))' is \(t.map(\.description) ?? "untyped"): all inputs must have one type")
            }
            let shapes = n.inputs.compactMap { fixedDims(g.shapeOf($0)) }
            if shapes.count == n.inputs.count {
                var acc: [Int] = []
                for s in shapes {
                    guard let b = broadcastShapes(acc, s) else {
                        throw n.invalid("input shapes \(shapes.map { describe($0) }.joined(separator: ", ")) do not broadcast")
                    }
                    acc = b
                }
            }
            return [:]
        })
    }

    /// ArgMax, ArgMin: `axis` checked against the input's rank at conversion.
    static func argReduce(_ name: String, _ code: OpCode) -> OpDef {
        OpDef(name: name, code: code, infer: { n, g in
            guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: .int64, shape: nil)] }
            let a = try normalizeAxis(n.int("axis") ?? 0, rank: x.count, n)
            var s = x
            if (n.int("keepdims") ?? 1) != 0 { s[a] = .fixed(1) } else { s.remove(at: a) }
            return [ValueInfo(type: .int64, shape: s)]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["axis", "keepdims", "select_last_index"])
            try requireTypes(n, g, [0], [.float, .int32, .int64])
            var axis = n.int("axis") ?? 0
            if let x = g.shapeOf(n.input(0)) {
                let a = try normalizeAxis(axis, rank: x.count, n)
                if x[a] == .fixed(0) { throw n.invalid("axis \(a) of input '\(n.input(0))' is empty: no index to return") }
                axis = Int64(a)
            }
            return ["axis": .int(axis), "keepdims": .int((n.int("keepdims") ?? 1) != 0 ? 1 : 0),
                    "select_last_index": .int((n.int("select_last_index") ?? 0) != 0 ? 1 : 0)]
        })
    }

    /// TopK's k: the attribute (opset < 10, or moved from a constant K input), else the constant K.
    static func topKValue(_ n: WNode, _ g: WGraph) -> Int64? {
        if let k = n.int("k") { return k }
        guard !n.input(1).isEmpty, let v = g.constInts(n.input(1)), v.count == 1 else { return nil }
        return v[0]
    }

    static let topKDef = OpDef(name: "TopK", code: .topK, infer: { n, g in
        let t = g.typeOf(n.input(0))
        guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: t, shape: nil), ValueInfo(type: .int64, shape: nil)] }
        let a = try normalizeAxis(n.int("axis") ?? -1, rank: x.count, n)
        var s = x
        if let k = topKValue(n, g) {
            if k < 0 { throw n.invalid("K = \(k) is negative") }
            if let d = x[a].fixedValue, k > Int64(d) {
                throw n.invalid("K = \(k) is larger than axis \(a) of input '\(n.input(0))' (\(d) elements)")
            }
            s[a] = .fixed(Int(k))
        } else {
            s[a] = g.unknownDim(n.output(0), a)
        }
        return [ValueInfo(type: t, shape: s), ValueInfo(type: .int64, shape: s)]
    }, lower: { n, g in
        try checkKnownAttrs(n, ["axis", "k", "largest", "sorted"])
        try requireTypes(n, g, [0], [.float, .int32, .int64])
        var out: [String: AttributeValue] = [:]
        if !n.input(1).isEmpty {
            // Not a constant (those became the attribute): a value input read when planning.
            try requireValueInput(n, g, 1, "K", types: [.int64])
            guard fixedDims(g.shapeOf(n.input(1))) == [1] else { throw n.unsupported("input 'K' ('\(n.input(1))') must have shape [1]") }
        } else {
            guard let k = n.int("k") else { throw n.unsupported("K is not known at conversion; dlrt needs a constant K") }
            out["k"] = .int(k)
        }
        var axis = n.int("axis") ?? -1
        if let r = g.rank(n.input(0)) { axis = Int64(try normalizeAxis(axis, rank: r, n)) }
        out["axis"] = .int(axis)
        out["largest"] = .int((n.int("largest") ?? 1) != 0 ? 1 : 0)
        out["sorted"] = .int((n.int("sorted") ?? 1) != 0 ? 1 : 0)
        return out
    })

    static let headOps: [OpDef] = [
        floatUnary("Softplus", .softplus) { $0 > 0 ? $0 + log1pf(expf(-$0)) : log1pf(expf($0)) },
        floatUnary("HardSigmoid", .hardSigmoid, attrs: ["alpha": 0.2, "beta": 0.5]),
        floatUnary("HardSwish", .hardSwish) { $0 * Swift.max(0, Swift.min(1, $0 / 6 + 0.5)) },
        OpDef(name: "PRelu", code: .pRelu, normalize: { n, _ in n.attrs["consumed_inputs"] = nil },
              infer: { n, g in [sameAs(n, g)] }, lower: { n, g in
            try checkKnownAttrs(n, [])
            try requireTypes(n, g, [0, 1], [.float])
            if let x = fixedDims(g.shapeOf(n.input(0))), let s = fixedDims(g.shapeOf(n.input(1))), broadcastShapes(x, s) != x {
                throw n.invalid("slope '\(n.input(1))' \(describe(s)) does not broadcast to X '\(n.input(0))' \(describe(x)) (unidirectional broadcasting)")
            }
            return [:]
        }),
        floatUnary("Selu", .selu, attrs: ["alpha": 1.673_263_192_176_818_847_656_25, "gamma": 1.050_701_022_148_132_324_218_75]),
        floatUnary("Mish", .mish),
        OpDef(name: "Gelu", code: .gelu, infer: { n, g in [sameAs(n, g)] }, lower: { n, g in
            try checkKnownAttrs(n, ["approximate"])
            try requireTypes(n, g, [0], [.float])
            let a = n.string("approximate") ?? "none"
            guard a == "none" || a == "tanh" else { throw n.unsupported("attribute 'approximate' = \"\(a)\" is not supported (\"none\" or \"tanh\")") }
            return ["approximate": .string(a)]
        }),
        floatUnary("Softsign", .softsign) { $0 / (1 + Swift.abs($0)) },
        floatUnary("Floor", .floor) { $0.rounded(.down) },
        floatUnary("Ceil", .ceil) { $0.rounded(.up) },
        floatUnary("Round", .round) { $0.rounded(.toNearestOrEven) },
        floatUnary("Sign", .sign) { $0.isNaN ? $0 : ($0 > 0 ? 1 : ($0 < 0 ? -1 : 0)) },
        OpDef(name: "LogSoftmax", code: .logSoftmax, normalize: { n, opset in
            // As Softmax: opset < 13 coerces the input to 2-D at `axis` (default 1).
            n.attrs["axis"] = .int(n.int("axis") ?? (opset < 13 ? 1 : -1))
            n.attrs["coerce_2d"] = .int(opset < 13 ? 1 : 0)
        }, infer: { n, g in [sameAs(n, g)] }, lower: { n, g in
            try checkKnownAttrs(n, ["axis", "coerce_2d"])
            try requireTypes(n, g, [0], [.float])
            var axis = n.int("axis") ?? -1
            var coerce = n.int("coerce_2d") ?? 0
            if let r = g.rank(n.input(0)) {
                let a = try normalizeAxis(axis, rank: r, n)
                axis = Int64(a)
                if a == r - 1 { axis = -1; coerce = 0 }
            }
            return ["axis": .int(axis), "coerce_2d": .int(coerce)]
        }),
        nary("Min", .min, types: [.float, .int32, .int64, .int8, .uint8], { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }, { Swift.min($0, $1) }),
        nary("Max", .max, types: [.float, .int32, .int64, .int8, .uint8], { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }, { Swift.max($0, $1) }),
        nary("Mean", .mean, types: [.float], +, { $0 &+ $1 }),
        nary("Sum", .sum, types: [.float], +, { $0 &+ $1 }),
        argReduce("ArgMax", .argMax),
        argReduce("ArgMin", .argMin),
        topKDef,
    ]
}
