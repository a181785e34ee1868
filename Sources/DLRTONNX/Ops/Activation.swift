import DLRTModel
import Glibc

// Relu, LeakyRelu, Elu, Sigmoid, Tanh, Clip, Softmax.
extension OpTable {
    static func unary(_ name: String, _ code: OpCode, attrs: [String: Float] = [:],
                      _ f: ((Float) -> Float)? = nil) -> OpDef {
        OpDef(name: name, code: code, infer: { n, g in [sameAs(n, g)] }, fold: { n, c in
            guard let f, let x = c[0], x.type == .float else { return nil }
            let a = n.float("alpha") ?? attrs["alpha"] ?? 0
            return [.float(x.f.map { name == "LeakyRelu" ? ($0 < 0 ? a * $0 : $0) : f($0) }, shape: x.shape)]
        }, lower: { n, _ in
            try checkKnownAttrs(n, Set(attrs.keys))
            var out: [String: AttributeValue] = [:]
            for (k, d) in attrs { out[k] = .float(n.float(k) ?? d) }
            return out
        })
    }

    static let activationOps: [OpDef] = [
        unary("Relu", .relu) { max($0, 0) },
        unary("LeakyRelu", .leakyRelu, attrs: ["alpha": 0.01]) { $0 },
        unary("Elu", .elu, attrs: ["alpha": 1.0]),
        unary("Sigmoid", .sigmoid) { 1 / (1 + (-$0).exp) },
        unary("Tanh", .tanh),
        OpDef(name: "Clip", code: .clip, normalize: { n, opset in
            // opset < 11: `min` / `max` attributes (kept as they are); opset 11+: optional inputs
            // 1 and 2, turned into the attributes once they are constant (see Canonicalize).
            if opset >= 11 { n.attrs["min"] = nil; n.attrs["max"] = nil }
        }, infer: { n, g in [sameAs(n, g)] }, fold: { n, c in
            guard let x = c[0], x.type == .float, n.inputs.count <= 1 else { return nil }
            let lo = n.float("min") ?? -.infinity, hi = n.float("max") ?? .infinity
            return [.float(x.f.map { Swift.min(Swift.max($0, lo), hi) }, shape: x.shape)]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["min", "max"])
            // Bounds that are not constants (constants became the attributes) stay inputs 1 / 2:
            // one-element float32 tensors the runtime reads at the start of every run.
            let runtime = n.inputs.indices.dropFirst().filter { !n.inputs[$0].isEmpty }
            guard runtime.isEmpty else {
                for k in runtime {
                    let role = k == 1 ? "min" : "max"
                    if let t = g.typeOf(n.input(k)), t != .float {
                        throw n.unsupported("input '\(role)' ('\(n.input(k))') is \(t); a run-time Clip bound must be float32")
                    }
                    if let d = fixedDims(g.shapeOf(n.input(k))), d.reduce(1, *) != 1 {
                        throw n.invalid("input '\(role)' ('\(n.input(k))') has shape \(d), expected one element")
                    }
                }
                return [:]
            }
            return ["min": .float(n.float("min") ?? -.infinity), "max": .float(n.float("max") ?? .infinity)]
        }),
        OpDef(name: "Softmax", code: .softmax, normalize: { n, opset in
            // opset < 13: axis default 1 and the input is coerced to 2-D at `axis`;
            // opset 13+: axis default -1, softmax along that one axis.
            if opset < 13 {
                n.attrs["axis"] = .int(n.int("axis") ?? 1)
                n.attrs["coerce_2d"] = .int(1)
            } else {
                n.attrs["axis"] = .int(n.int("axis") ?? -1)
                n.attrs["coerce_2d"] = .int(0)
            }
        }, infer: { n, g in [sameAs(n, g)] }, lower: { n, g in
            try checkKnownAttrs(n, ["axis", "coerce_2d"])
            var axis = n.int("axis") ?? -1
            var coerce = n.int("coerce_2d") ?? 0
            if let r = g.rank(n.input(0)) {
                let a = try normalizeAxis(axis, rank: r, n)
                // Coercing at the last axis is the same as a plain softmax over it.
                if a == r - 1 { axis = -1; coerce = 0 }
            }
            return ["axis": .int(axis), "coerce_2d": .int(coerce)]
        }),
    ]
}

private extension Float {
    var exp: Float { Glibc.expf(self) }
}
