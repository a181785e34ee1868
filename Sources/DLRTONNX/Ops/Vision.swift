import DLRTModel

// ConvTranspose, Resize, Upsample, Pad, DepthToSpace, SpaceToDepth. `canonicalizeVision` (called
// by Simplify) turns the constant operand inputs of Resize / Upsample / Pad into attributes;
// `lower` then refuses what is left non-constant, naming the input.
extension OpTable {
    static let visionOps: [OpDef] = [convTransposeDef] + resizeDefs + [padDef, depthToSpaceDef, spaceToDepthDef]

    static func canonicalizeVision(_ n: inout WNode, _ g: inout WGraph) {
        switch n.op {
        case "Resize", "Upsample": canonicalizeResize(&n, g)
        case "Pad": canonicalizePad(&n, g)
        default: break
        }
    }

    // MARK: ConvTranspose

    /// Spatial kernel of a ConvTranspose: from W [C, M/group, k…] (constant) or kernel_shape.
    static func convTransposeKernel(_ n: WNode, _ g: WGraph) throws -> [Int]? {
        if let w = fixedDims(g.shapeOf(n.input(1))), w.count >= 3 { return Array(w.dropFirst(2)) }
        return try convKernel(n, g)
    }

    /// Explicit attributes of a ConvTranspose whose X spatial sizes are `spatial` (nil: unknown):
    /// output_shape becomes pads (and extra output_padding when it asks for more), auto_pad
    /// SAME_* becomes pads when the sizes are known, VALID becomes zero pads.
    static func convTransposeParams(_ n: WNode, kernel k: [Int], spatial: [Int]?) throws
        -> (strides: [Int], dilations: [Int], pads: [Int], outputPadding: [Int], autoPad: String) {
        let r = k.count
        func list(_ key: String, _ def: Int, _ count: Int, min: Int) throws -> [Int] {
            guard let v = n.ints(key) else { return [Int](repeating: def, count: count) }
            guard v.count == count else { throw n.invalid("attribute '\(key)' = \(OAttr.ints(v).describe) needs \(count) values") }
            return try v.map {
                guard let x = Int(exactly: $0), x >= min, x < 1 << 20 else { throw n.invalid("attribute '\(key)' has invalid value \($0)") }
                return x
            }
        }
        let strides = try list("strides", 1, r, min: 1), dilations = try list("dilations", 1, r, min: 1)
        var pads = try list("pads", 0, 2 * r, min: 0), outPad = try list("output_padding", 0, r, min: 0)
        var autoPad = n.string("auto_pad") ?? "NOTSET"
        if autoPad.isEmpty { autoPad = "NOTSET" }
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
            throw n.unsupported("attribute 'auto_pad' = \"\(autoPad)\" is not supported")
        }
        if autoPad == "VALID" { pads = [Int](repeating: 0, count: 2 * r); autoPad = "NOTSET" }
        var target: [Int]? = nil
        if var os = n.ints("output_shape") {
            if os.count == r + 2 { os = Array(os.dropFirst(2)) }
            guard os.count == r, os.allSatisfy({ $0 >= 0 && $0 < 1 << 30 }) else {
                throw n.invalid("attribute 'output_shape' = \(OAttr.ints(os).describe) needs \(r) sizes ≥ 0")
            }
            guard spatial != nil else {
                throw n.unsupported("attribute 'output_shape' needs X's spatial sizes known at conversion (X '\(n.input(0))' has symbolic ones)")
            }
            target = os.map { Int($0) }
        } else if autoPad != "NOTSET", let spatial {
            target = zip(spatial, strides).map { satMul($0, $1) }
        }
        if let target, let spatial {
            for i in 0 ..< r {
                // Saturating: declared sizes are unchecked here (the shape limits reject huge results later).
                let full = satAdd(satMul(strides[i], spatial[i] - 1), satAdd(outPad[i] + 1, satMul(k[i] - 1, dilations[i])))
                let total = full == .max ? 0 : full - target[i]
                if total < 0 { outPad[i] -= total; pads[i] = 0; pads[i + r] = 0; continue }
                let small = total / 2
                pads[i] = autoPad == "SAME_UPPER" ? small : total - small
                pads[i + r] = total - pads[i]
            }
            autoPad = "NOTSET"
        }
        return (strides, dilations, pads, outPad, autoPad)
    }

    static let convTransposeDef = OpDef(name: "ConvTranspose", code: .convTranspose, infer: { n, g in
        let t = g.typeOf(n.input(0)), out = n.output(0)
        guard let x = g.shapeOf(n.input(0)), x.count >= 3, let k = try convTransposeKernel(n, g), k.count == x.count - 2 else {
            return [ValueInfo(type: t, shape: nil)]
        }
        let group = Int(n.int("group") ?? 1)
        var m = g.unknownDim(out, 1)
        if let w = fixedDims(g.shapeOf(n.input(1))), w.count >= 2 { m = .fixed(satMul(w[1], group)) }
        let spatial = fixedDims(Array(x.dropFirst(2)))
        let p = try convTransposeParams(n, kernel: k, spatial: spatial)
        var s: [Dim] = [x[0], m]
        for i in 0 ..< k.count {
            guard let v = x[i + 2].fixedValue else { s.append(g.unknownDim(out, i + 2)); continue }
            if p.autoPad != "NOTSET" { s.append(.fixed(satMul(v, p.strides[i]))); continue }
            let full = satAdd(satMul(p.strides[i], v - 1), satAdd(p.outputPadding[i] + 1, satMul(k[i] - 1, p.dilations[i])))
            s.append(.fixed(max(0, full - p.pads[i] - p.pads[i + k.count])))
        }
        return [ValueInfo(type: t, shape: s)]
    }, lower: { n, g in
        try checkKnownAttrs(n, ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "output_padding",
                                "output_shape", "activation", "activation_alpha", "activation_min", "activation_max"])
        guard g.constants[n.input(1)] != nil || fixedDims(g.shapeOf(n.input(1))) != nil else {
            throw n.unsupported("weight W ('\(n.input(1))') is neither a constant nor of a shape known at conversion")
        }
        for i in n.inputs where !i.isEmpty {
            if let t = g.typeOf(i), t != .float { throw n.unsupported("input '\(i)' is \(t); dlrt's ConvTranspose computes float32 only") }
        }
        guard let k = try convTransposeKernel(n, g), k.count == 1 || k.count == 2 else {
            throw n.unsupported("only 1-D and 2-D ConvTranspose is supported (W '\(n.input(1))' has shape \(g.shapeOf(n.input(1)).map(describe) ?? "unknown"))")
        }
        let x = g.shapeOf(n.input(0))
        let p = try convTransposeParams(n, kernel: k, spatial: x.flatMap { fixedDims(Array($0.dropFirst(2))) })
        var a: [String: AttributeValue] = [
            "kernel_shape": .ints(k.map(Int64.init)), "strides": .ints(p.strides.map(Int64.init)),
            "dilations": .ints(p.dilations.map(Int64.init)), "pads": .ints(p.pads.map(Int64.init)),
            "output_padding": .ints(p.outputPadding.map(Int64.init)), "auto_pad": .string(p.autoPad),
            "group": .int(n.int("group") ?? 1),
        ]
        a.merge(fusedActivationAttrs(n)) { x, _ in x }
        return a
    })

    // MARK: Pad

    /// Pad's constant inputs (opset 11+: pads, constant_value, axes) → attributes `pads` (every
    /// axis) and `value`.
    static func canonicalizePad(_ n: inout WNode, _ g: WGraph) {
        if !n.input(1).isEmpty, let p = g.constInts(n.input(1)) {
            var full = p
            if !n.input(3).isEmpty {
                guard let axes = g.constInts(n.input(3)), let r = g.rank(n.input(0)), p.count == 2 * axes.count,
                      let norm = try? axes.map({ try normalizeAxis($0, rank: r, n, "axes") }), Set(norm).count == norm.count else { return }
                full = [Int64](repeating: 0, count: 2 * r)
                for (j, a) in norm.enumerated() { full[a] = p[j]; full[a + r] = p[j + axes.count] }
                n.inputs[3] = ""
            }
            n.attrs["pads"] = .ints(full)
            n.inputs[1] = ""
        }
        if !n.input(2).isEmpty, let c = g.constants[n.input(2)], c.count <= 1 {
            if c.count == 1 { n.attrs["value"] = c.type.isFloat ? .float(c.f[0]) : .int(c.i[0]) }
            n.inputs[2] = ""
        }
    }

    static func padAmounts(_ n: WNode, _ g: WGraph) -> [Int64]? {
        if let p = n.ints("pads") { return p }
        if n.input(3).isEmpty, let p = g.constInts(n.input(1)) { return p }
        return nil
    }

    /// A constant `value` attribute as the dlrt attribute for X's type (float or int).
    static func padValue(_ n: WNode, _ g: WGraph, _ v: OAttr) throws -> AttributeValue {
        let isFloat = g.typeOf(n.input(0))?.isFloat ?? true
        switch v {
        case .float(let f): return isFloat ? .float(f) : .int(f.isFinite ? Int64(f) : 0)
        case .int(let i): return isFloat ? .float(Float(i)) : .int(i)
        default: throw n.unsupported("attribute 'value' = \(v.describe) is not supported")
        }
    }

    static let padDef = OpDef(name: "Pad", code: .pad, infer: { n, g in
        let t = g.typeOf(n.input(0))
        guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: t, shape: nil)] }
        guard let p = padAmounts(n, g), p.count == 2 * x.count else {
            return [ValueInfo(type: t, shape: x.indices.map { g.unknownDim(n.output(0), $0) })]
        }
        let s: [Dim] = x.indices.map { k in
            let extra = satAdd(Int(clamping: p[k]), Int(clamping: p[k + x.count]))
            if let v = x[k].fixedValue { return .fixed(max(0, satAdd(v, extra))) }
            return extra == 0 ? x[k] : g.unknownDim(n.output(0), k)
        }
        return [ValueInfo(type: t, shape: s)]
    }, lower: { n, g in
        try checkKnownAttrs(n, ["mode", "pads", "value"])
        let mode = n.string("mode") ?? "constant"
        guard ["constant", "reflect", "edge", "wrap"].contains(mode) else {
            throw n.unsupported("attribute 'mode' = \"\(mode)\" is not supported (constant, reflect, edge, wrap)")
        }
        if let t = g.typeOf(n.input(0)), t.dtype == nil {
            throw n.unsupported("input '\(n.input(0))' is \(t), which dlrt does not support")
        }
        // Operands that are not constants (constants became attributes in canonicalizePad):
        // pads / axes are value inputs read when planning; constant_value is read at every run.
        if !n.input(2).isEmpty {
            if let t = g.typeOf(n.input(2)), let xt = g.typeOf(n.input(0)), t != xt {
                throw n.invalid("input 'constant_value' ('\(n.input(2))') is \(t), expected \(xt) like the data")
            }
            if let d = fixedDims(g.shapeOf(n.input(2))), d.reduce(1, *) != 1 {
                throw n.invalid("input 'constant_value' ('\(n.input(2))') has shape \(d), expected one element")
            }
        }
        if !n.input(1).isEmpty || !n.input(3).isEmpty {
            for (k, name) in [(1, "pads"), (3, "axes")] where !n.input(k).isEmpty && g.constants[n.input(k)] == nil {
                try requireValueInput(n, g, k, name, types: [.int64])
            }
            guard !n.input(1).isEmpty else { throw n.unsupported("input 'axes' needs pads as an input too") }
            var a: [String: AttributeValue] = ["mode": .string(mode)]
            if let v = n.attrs["value"], n.input(2).isEmpty { a["value"] = try padValue(n, g, v) }
            return a
        }
        guard let p = n.ints("pads") else { throw n.invalid("pads are required") }
        if let r = g.rank(n.input(0)), p.count != 2 * r {
            throw n.invalid("attribute 'pads' = \(OAttr.ints(p).describe) needs \(2 * r) values for rank \(r)")
        }
        guard p.allSatisfy({ abs($0) < 1 << 30 }) else { throw n.invalid("attribute 'pads' = \(OAttr.ints(p).describe) is out of range") }
        var a: [String: AttributeValue] = ["mode": .string(mode), "pads": .ints(p)]
        if let v = n.attrs["value"], n.input(2).isEmpty { a["value"] = try padValue(n, g, v) }
        return a
    })

    // MARK: DepthToSpace, SpaceToDepth

    static func blocksize(_ n: WNode) throws -> Int {
        guard let b = n.int("blocksize") else { throw n.invalid("attribute 'blocksize' is required") }
        guard b >= 1 && b <= 4096 else { throw n.unsupported("attribute 'blocksize' = \(b) is not supported (1…4096)") }
        return Int(b)
    }

    static let depthToSpaceDef = OpDef(name: "DepthToSpace", code: .depthToSpace, infer: { n, g in
        let t = g.typeOf(n.input(0)), o = n.output(0)
        guard let x = g.shapeOf(n.input(0)), x.count == 4, let b = try? blocksize(n) else { return [ValueInfo(type: t, shape: nil)] }
        let c: Dim = x[1].fixedValue.map { .fixed($0 / (b * b)) } ?? g.unknownDim(o, 1)
        let h: Dim = x[2].fixedValue.map { .fixed(satMul($0, b)) } ?? g.unknownDim(o, 2)
        let w: Dim = x[3].fixedValue.map { .fixed(satMul($0, b)) } ?? g.unknownDim(o, 3)
        return [ValueInfo(type: t, shape: [x[0], c, h, w])]
    }, lower: { n, g in
        try checkKnownAttrs(n, ["blocksize", "mode"])
        let b = try blocksize(n)
        let mode = n.string("mode") ?? "DCR"
        guard mode == "DCR" || mode == "CRD" else { throw n.unsupported("attribute 'mode' = \"\(mode)\" is not supported (DCR, CRD)") }
        if let c = g.shapeOf(n.input(0))?.dropFirst().first?.fixedValue, c % (b * b) != 0 {
            throw n.invalid("input '\(n.input(0))' has \(c) channels, not a multiple of blocksize² = \(b * b)")
        }
        return ["blocksize": .int(Int64(b)), "mode": .string(mode)]
    })

    static let spaceToDepthDef = OpDef(name: "SpaceToDepth", code: .spaceToDepth, infer: { n, g in
        let t = g.typeOf(n.input(0)), o = n.output(0)
        guard let x = g.shapeOf(n.input(0)), x.count == 4, let b = try? blocksize(n) else { return [ValueInfo(type: t, shape: nil)] }
        let c: Dim = x[1].fixedValue.map { .fixed(satMul($0, b * b)) } ?? g.unknownDim(o, 1)
        let h: Dim = x[2].fixedValue.map { .fixed($0 / b) } ?? g.unknownDim(o, 2)
        let w: Dim = x[3].fixedValue.map { .fixed($0 / b) } ?? g.unknownDim(o, 3)
        return [ValueInfo(type: t, shape: [x[0], c, h, w])]
    }, lower: { n, g in
        try checkKnownAttrs(n, ["blocksize", "mode"])
        let b = try blocksize(n)
        let mode = n.string("mode") ?? "DCR"
        guard mode == "DCR" || mode == "CRD" else { throw n.unsupported("attribute 'mode' = \"\(mode)\" is not supported (DCR, CRD)") }
        if let x = g.shapeOf(n.input(0)), x.count == 4 {
            for k in 2 ... 3 {
                if let v = x[k].fixedValue, v % b != 0 {
                    throw n.invalid("input '\(n.input(0))' dim \(k) is \(v), not a multiple of blocksize \(b)")
                }
            }
        }
        return ["blocksize": .int(Int64(b)), "mode": .string(mode)]
    })
}

extension Fusion {
    /// BatchNormalization after a ConvTranspose: W [C, M/group, k…] scaled along axis 1 (output
    /// channel g·M/group + j of input-channel row c in group g = c / (C/group)), bias b·s + t.
    static func foldIntoConvTranspose(_ conv: WNode, _ bn: WNode, _ g: inout WGraph) -> WNode? {
        guard let w = g.constants[conv.input(1)], w.type == .float, w.rank >= 3, w.shape[0] > 0, w.shape[1] > 0 else { return nil }
        let group = Int(conv.int("group") ?? 1)
        guard group >= 1, w.shape[0] % group == 0 else { return nil }
        let c = w.shape[0], mg = w.shape[1], m = mg * group, cg = c / group
        guard let (s, t) = bnAffine(bn, g, channels: m) else { return nil }
        var bias = [Float](repeating: 0, count: m)
        if !conv.input(2).isEmpty {
            guard let b = g.constants[conv.input(2)], b.type == .float, b.count == m else { return nil }
            bias = b.f
        }
        let per = w.count / (c * mg)
        var nw = w
        for ci in 0 ..< c {
            for j in 0 ..< mg {
                let o = (ci / cg) * mg + j
                for q in 0 ..< per { nw.f[(ci * mg + j) * per + q] *= s[o] }
            }
        }
        var n = conv
        let wName = g.freshName(conv.input(1) + "_bn"), bName = g.freshName(bn.name + "_bias")
        g.constants[wName] = nw
        g.constants[bName] = .float((0 ..< m).map { bias[$0] * s[$0] + t[$0] }, shape: [m])
        n.inputs = [conv.input(0), wName, bName]
        return n
    }
}
