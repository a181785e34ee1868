import DLRTModel
import Glibc

// Runtime lowering of the ops transformer graphs need. Ops that other files already define for
// folding (Gather, Cast, Slice, Where, Expand, Equal, Less, Greater, Pow, Neg, Sqrt, Squeeze,
// Unsqueeze) keep their inference and folding there; `lowered` adds the dlrt op and attributes.
// `transformerCanonicalizers` turn constant operand inputs into the attributes the dlrt op takes.
extension OpTable {
    /// The definition `name` from `defs`, now lowering to `code` with `lower`.
    static func lowered(_ defs: [OpDef], _ name: String, _ code: OpCode,
                        _ lower: @escaping (WNode, WGraph) throws -> [String: AttributeValue] = { _, _ in [:] }) -> OpDef {
        var d = defs.first { $0.name == name } ?? OpDef(name: name, code: nil, infer: { n, g in [sameAs(n, g)] })
        d.code = code
        d.lower = lower
        return d
    }

    /// Fails unless inputs `from…` are absent (their constants were turned into attributes).
    static func requireMoved(_ n: WNode, _ names: [String], from: Int = 1) throws {
        for (k, name) in names.enumerated() where !n.input(from + k).isEmpty {
            throw n.unsupported("input '\(name)' ('\(n.input(from + k))') must be a constant (dlrt takes it as an attribute)")
        }
    }

    static func intAttrs(_ n: WNode, _ names: [String]) -> [String: AttributeValue] {
        var out: [String: AttributeValue] = [:]
        for k in names { if let v = n.ints(k) { out[k] = .ints(v) } }
        return out
    }

    /// Reduce axes: the attribute, or nil when an `axes` input is present but not constant.
    static func reduceAxes(_ n: WNode, _ g: WGraph) -> [Int64]? {
        if let a = n.ints("axes") { return a }
        if n.input(1).isEmpty { return [] }
        return g.constInts(n.input(1))
    }

    static func reduce(_ name: String, _ code: OpCode) -> OpDef {
        OpDef(name: name, code: code, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            guard let x = g.shapeOf(n.input(0)) else { return [info] }
            guard let axes = reduceAxes(n, g) else {
                // Axes fed at run time (a value input): the rank is known, the dims are not.
                guard let k = fixedDims(g.shapeOf(n.input(1))), k.count == 1 else { return [info] }
                let keep = (n.int("keepdims") ?? 1) != 0
                let rank = keep ? x.count : (k[0] == 0 ? ((n.int("noop_with_empty_axes") ?? 0) != 0 ? x.count : 0) : x.count - k[0])
                guard rank >= 0 else { return [info] }
                info.shape = (0 ..< rank).map { g.unknownDim(n.output(0), $0) }
                return [info]
            }
            let keep = (n.int("keepdims") ?? 1) != 0
            var red = Set(try axes.map { try normalizeAxis($0, rank: x.count, n, "axes") })
            if axes.isEmpty && (n.int("noop_with_empty_axes") ?? 0) == 0 { red = Set(x.indices) }
            info.shape = x.indices.compactMap { red.contains($0) ? (keep ? .fixed(1) : nil) : x[$0] }
            return [info]
        }, lower: { n, g in
            if !n.input(1).isEmpty {
                // Not a constant (those became the attribute): a value input read when planning.
                try requireValueInput(n, g, 1, "axes", types: [.int64])
            }
            try checkKnownAttrs(n, ["axes", "keepdims", "noop_with_empty_axes"])
            var out = intAttrs(n, ["axes"])
            out["keepdims"] = .int((n.int("keepdims") ?? 1) != 0 ? 1 : 0)
            out["noop_with_empty_axes"] = .int((n.int("noop_with_empty_axes") ?? 0) != 0 ? 1 : 0)
            return out
        })
    }

    static let transformerOps: [OpDef] = [
        lowered(shapeOps, "Gather", .gather) { n, _ in
            try checkKnownAttrs(n, ["axis"])
            return ["axis": .int(n.int("axis") ?? 0)]
        },
        lowered(shapeOps, "Cast", .cast) { n, _ in
            try checkKnownAttrs(n, ["to", "saturate"])
            let code = n.int("to") ?? 0
            guard let t = EType(rawValue: Int32(truncatingIfNeeded: code))?.dtype else {
                throw n.unsupported("attribute 'to' = \(code) (\(EType.named(Int32(truncatingIfNeeded: code)))) is not supported")
            }
            return ["to": .int(Int64(t.rawValue))]
        },
        sliceDef,
        lowered(binaryOps, "Where", .where),
        lowered(binaryOps, "Equal", .equal),
        lowered(binaryOps, "Less", .less),
        lowered(binaryOps, "Greater", .greater),
        lowered(binaryOps, "Pow", .pow),
        lowered(binaryOps, "Neg", .neg),
        lowered(binaryOps, "Sqrt", .sqrt),
        lowered(constantOps, "Expand", .expand) { n, g in
            guard let c = g.constants[n.input(1)], !c.type.isFloat, c.rank == 1 else {
                throw n.unsupported("input 'shape' ('\(n.input(1))') is not a constant; dlrt needs an Expand shape known at conversion")
            }
            return [:]
        },
        lowered(reshapeOps, "Squeeze", .squeeze) { n, g in
            try checkKnownAttrs(n, ["axes"])
            // A non-constant axes input (constants became the attribute): a value input read when planning.
            if !n.input(1).isEmpty { try requireValueInput(n, g, 1, "axes", types: [.int64]); return [:] }
            return intAttrs(n, ["axes"])
        },
        lowered(reshapeOps, "Unsqueeze", .unsqueeze) { n, g in
            try checkKnownAttrs(n, ["axes"])
            if !n.input(1).isEmpty { try requireValueInput(n, g, 1, "axes", types: [.int64]); return [:] }
            guard let a = n.ints("axes") else { throw n.invalid("axes are required") }
            return ["axes": .ints(a)]
        },
        compare("LessOrEqual", <=, <=).with(.lessOrEqual),
        compare("GreaterOrEqual", >=, >=).with(.greaterOrEqual),
        compare("And", { $0 != 0 && $1 != 0 }, { $0 != 0 && $1 != 0 }).with(.and),
        compare("Or", { $0 != 0 || $1 != 0 }, { $0 != 0 || $1 != 0 }).with(.or),
        compare("Xor", { ($0 != 0) != ($1 != 0) }, { ($0 != 0) != ($1 != 0) }).with(.xor),
        OpDef(name: "Not", code: .not, infer: { n, g in [sameAs(n, g)] }, fold: { _, c in
            guard let a = c[0], !a.type.isFloat else { return nil }
            var r = a; r.i = a.i.map { $0 == 0 ? 1 : 0 }
            return [r]
        }, lower: { _, _ in [:] }),
        OpDef(name: "IsNaN", code: .isNaN, infer: { n, g in [ValueInfo(type: .bool, shape: g.shapeOf(n.input(0)))] },
              lower: { n, _ in try checkKnownAttrs(n, []); return [:] }),
        unary("Erf", .erf) { erff($0) },
        unary("Abs", .abs) { Swift.abs($0) },
        unary("Exp", .exp) { expf($0) },
        unary("Log", .log) { logf($0) },
        unary("Reciprocal", .reciprocal) { 1 / $0 },
        OpDef(name: "LayerNormalization", code: .layerNormalization, infer: { n, g in
            var r = [sameAs(n, g)]
            // Mean / InvStdDev: X's shape with the normalized dims (axis…) set to 1.
            var stats: [Dim]? = nil
            if let x = g.shapeOf(n.input(0)), let a = try? normalizeAxis(n.int("axis") ?? -1, rank: x.count, n) {
                stats = x.enumerated().map { $0.offset < a ? $0.element : .fixed(1) }
            }
            for _ in 1 ..< Swift.max(1, n.outputs.count) { r.append(ValueInfo(type: .float, shape: stats)) }
            return r
        }, lower: { n, _ in
            if let st = n.int("stash_type"), st != 1 {
                throw n.unsupported("attribute 'stash_type' = \(st) is not supported (1: float32 statistics)")
            }
            try checkKnownAttrs(n, ["axis", "epsilon", "stash_type"])
            return ["axis": .int(n.int("axis") ?? -1), "epsilon": .float(n.float("epsilon") ?? 1e-5)]
        }),
        reduce("ReduceSum", .reduceSum), reduce("ReduceMean", .reduceMean), reduce("ReduceMax", .reduceMax),
        reduce("ReduceMin", .reduceMin), reduce("ReduceL2", .reduceL2), reduce("ReduceProd", .reduceProd),
        OpDef(name: "Split", code: .split, infer: { n, g in
            let t = g.typeOf(n.input(0))
            guard let x = g.shapeOf(n.input(0)) else { return n.outputs.map { _ in ValueInfo(type: t, shape: nil) } }
            let a = try normalizeAxis(n.int("axis") ?? 0, rank: x.count, n)
            let sizes: [Int]? = try splitSizes(n, g, dim: x[a].fixedValue)
            return n.outputs.indices.map { k in
                var s = x
                s[a] = sizes.map { .fixed($0[k]) } ?? g.unknownDim(n.outputs[k], a)
                return ValueInfo(type: t, shape: s)
            }
        }, lower: { n, g in
            // A non-constant split (constants became the attribute): a value input read when planning.
            if !n.input(1).isEmpty { try requireValueInput(n, g, 1, "split", types: [.int64]) }
            try checkKnownAttrs(n, ["axis", "split", "num_outputs"])
            var out: [String: AttributeValue] = ["axis": .int(n.int("axis") ?? 0)]
            if let s = n.ints("split") { out["split"] = .ints(s) }
            return out
        }),
        rangeDef,
        OpDef(name: "Trilu", code: .trilu, infer: { n, g in [sameAs(n, g)] }, lower: { n, g in
            try checkKnownAttrs(n, ["upper", "k"])
            if !n.input(1).isEmpty {
                // Not a constant (those became the attribute): a value input read when planning.
                try requireValueInput(n, g, 1, "k", types: [.int64])
                guard let d = fixedDims(g.shapeOf(n.input(1))), d.reduce(1, *) == 1 else {
                    throw n.unsupported("input 'k' ('\(n.input(1))') must be an int64 scalar")
                }
                return ["upper": .int((n.int("upper") ?? 1) != 0 ? 1 : 0)]
            }
            return ["upper": .int((n.int("upper") ?? 1) != 0 ? 1 : 0), "k": .int(n.int("k") ?? 0)]
        }),
    ]

    /// Slice: constant starts/ends/axes/steps become attributes; ends that are dims of a graph
    /// input (PyTorch's `mask[:, :, :seq, :seq]` with `seq = x.size(1)`) become `ends_axes`
    /// entries read from input 1 (that graph input) at run time.
    static let sliceDef: OpDef = {
        var d = lowered(shapeOps, "Slice", .slice) { n, g in
            let dynamic = n.ints("ends_axes") != nil
            let runtime = (1 ... 4).filter { !n.input($0).isEmpty }
            if !dynamic && !runtime.isEmpty {
                // Operands that are not constants (constants became attributes) stay inputs 1…4:
                // value inputs read when planning.
                let roles = ["data", "starts", "ends", "axes", "steps"]
                for k in runtime { try requireValueInput(n, g, k, roles[k], types: [.int64, .int32]) }
                try checkKnownAttrs(n, ["starts", "ends", "axes", "steps"])
                if let st = n.ints("steps"), st.contains(0) { throw n.invalid("steps \(st) has a 0 (a slice step must be nonzero)") }
                return intAttrs(n, ["starts", "ends", "axes", "steps"])
            }
            try requireMoved(n, dynamic ? ["ends", "axes", "steps"] : ["starts", "ends", "axes", "steps"], from: dynamic ? 2 : 1)
            try checkKnownAttrs(n, ["starts", "ends", "axes", "steps", "ends_axes"])
            guard n.ints("starts") != nil, n.ints("ends") != nil else { throw n.invalid("starts and ends are required") }
            if let st = n.ints("steps"), st.contains(0) { throw n.invalid("steps \(st) has a 0 (a slice step must be nonzero)") }
            return intAttrs(n, ["starts", "ends", "axes", "steps", "ends_axes"])
        }
        let constantInfer = d.infer
        d.infer = { n, g in
            guard let endsAxes = n.ints("ends_axes"), let like = g.shapeOf(n.input(1)), let x = g.shapeOf(n.input(0)),
                  let starts = n.ints("starts"), var ends = n.ints("ends"), endsAxes.count == ends.count else {
                return try constantInfer(n, g)
            }
            // Shapes as for whole-axis ends, then the dynamic axes take the graph input's dim
            // when the slice starts at 0 with step 1 (else: unknown).
            var m = n
            for k in ends.indices where endsAxes[k] >= 0 { ends[k] = Int64(Int32.max) }
            m.attrs["ends"] = .ints(ends)
            m.inputs = [n.input(0)]
            var info = try constantInfer(m, g)
            let axes = n.ints("axes") ?? starts.indices.map(Int64.init)
            for k in ends.indices where endsAxes[k] >= 0 {
                let a = try normalizeAxis(axes[k], rank: x.count, n, "axes")
                let la = try normalizeAxis(endsAxes[k], rank: like.count, n, "ends_axes")
                let unit = starts[k] == 0 && (n.ints("steps")?[k] ?? 1) == 1
                info[0].shape?[a] = unit ? like[la] : g.unknownDim(n.output(0), a)
            }
            return info
        }
        return d
    }()

    /// Range: folded when constant; lowered in the form whose limit is a dim of a graph input.
    static let rangeDef: OpDef = {
        var d = lowered(constantOps, "Range", .range) { n, _ in
            guard let axis = n.int("limit_axis"), let t = n.int("range_type"), n.inputs.count == 1 else {
                throw n.unsupported("Range needs constant start and delta and a limit that is a constant or a dim of a graph input")
            }
            let to: DType = t == Int64(EType.float.rawValue) ? .float32 : (t == Int64(EType.int32.rawValue) ? .int32 : .int64)
            return ["start": .float(n.float("start") ?? 0), "delta": .float(n.float("delta") ?? 1), "limit_axis": .int(axis),
                    "to": .int(Int64(to.rawValue))]
        }
        let folded = d.infer
        d.infer = { n, g in
            guard let t = n.int("range_type"), let axis = n.int("limit_axis"), let like = g.shapeOf(n.input(0)) else {
                return try folded(n, g)
            }
            let a = try normalizeAxis(axis, rank: like.count, n, "limit_axis")
            let dim = (n.float("start") ?? 0) == 0 && (n.float("delta") ?? 1) == 1 ? like[a] : g.unknownDim(n.output(0), 0)
            return [ValueInfo(type: EType(rawValue: Int32(truncatingIfNeeded: t)), shape: [dim])]
        }
        return d
    }()

    /// Split sizes for a dim of size `dim`: the attribute (moved from the input), or equal parts.
    static func splitSizes(_ n: WNode, _ g: WGraph, dim: Int?) throws -> [Int]? {
        let count = n.outputs.count
        if let s = n.ints("split") ?? (n.input(1).isEmpty ? nil : g.constInts(n.input(1))) {
            guard s.count == count, s.allSatisfy({ $0 >= 0 && $0 <= Int64(Int32.max) }) else {
                throw n.invalid("split \(s) does not give \(count) sizes")
            }
            if let d = dim, s.reduce(Int64(0), { Swift.min($0 + $1, Int64(1) << 50) }) != Int64(d) {
                throw n.invalid("split \(s) sums to \(s.reduce(Int64(0), { Swift.min($0 + $1, Int64(1) << 50) })), expected the split dim (\(d))")
            }
            return s.map { Int($0) }
        }
        if !n.input(1).isEmpty { return nil }
        guard let d = dim, count > 0 else { return nil }
        let part = (d + count - 1) / count
        return (0 ..< count).map { Swift.max(0, Swift.min(part, d - $0 * part)) }
    }

    /// Per op: constant inputs that become attributes (index, attribute, scalar?), and extra
    /// rewrites (a tracked Expand shape becomes constant, a non-float Pow exponent float).
    static let inputAttributes: [String: [(Int, String, Bool)]] = [
        "Slice": [(1, "starts", false), (2, "ends", false), (3, "axes", false), (4, "steps", false)],
        "Split": [(1, "split", false)], "Trilu": [(1, "k", true)],
        "ReduceSum": [(1, "axes", false)], "ReduceMean": [(1, "axes", false)], "ReduceMax": [(1, "axes", false)],
        "ReduceMin": [(1, "axes", false)], "ReduceL2": [(1, "axes", false)], "ReduceProd": [(1, "axes", false)],
        "TopK": [(1, "k", true)],
    ]

    static func canonicalizeTransformer(_ n: inout WNode, _ g: inout WGraph) {
        for (k, attr, scalar) in inputAttributes[n.op] ?? [] where !n.input(k).isEmpty {
            guard let v = g.constInts(n.input(k)) else { continue }
            if scalar { guard let s = v.first else { continue }; n.attrs[attr] = .int(s) } else { n.attrs[attr] = .ints(v) }
            n.inputs[k] = ""
        }
        if n.op == "Split", n.ints("split") == nil, n.input(1).isEmpty, let x = g.shapeOf(n.input(0)),
           let axis = n.int("axis") ?? 0 as Int64?, let a = try? normalizeAxis(axis, rank: x.count, n),
           let s = try? splitSizes(n, g, dim: x[a].fixedValue) {
            n.attrs["split"] = .ints(s.map(Int64.init))
            n.attrs["num_outputs"] = nil
        }
        if n.op == "Pow", let e = g.constants[n.input(1)], e.type != .float, g.typeOf(n.input(0)) == .float {
            let name = g.freshName(n.input(1) + "_float")
            g.constants[name] = e.cast(to: .float)
            n.inputs[1] = name
        }
        // Range(start, limit = a dim of a graph input, delta) → the dlrt form reading that dim.
        if n.op == "Range", n.inputs.count == 3, let s = g.constants[n.input(0)], let d = g.constants[n.input(2)],
           s.count == 1, d.count == 1, g.constants[n.input(1)] == nil, let lv = g.shapeValue(n.input(1)), lv.count == 1,
           let sym = lv[0], sym.fixedValue == nil,
           // The dlrt op holds start and delta as float32: integer ones must be exact in it.
           s.type.isFloat || (s.ints.allSatisfy { $0 >= -(1 << 24) && $0 <= 1 << 24 } && d.ints.allSatisfy { $0 >= -(1 << 24) && $0 <= 1 << 24 }) {
            for i in g.inputs {
                guard let shape = g.declared[i]?.shape, let axis = shape.firstIndex(of: sym) else { continue }
                n.attrs = ["start": .float(s.floats[0]), "delta": .float(d.floats[0]), "limit_axis": .int(Int64(axis)),
                           "range_type": .int(Int64(s.type.rawValue))]
                n.inputs = [i]
                return
            }
        }
        // Slice ends that are dims of a graph input → `ends_axes` read from that input.
        if n.op == "Slice", n.ints("starts") != nil, n.ints("ends") == nil, !n.input(2).isEmpty,
           n.input(3).isEmpty, n.input(4).isEmpty, let ev = g.shapeValue(n.input(2)), !ev.isEmpty {
            var ends: [Int64] = [], endsAxes: [Int64] = [], like: String?
            for d in ev {
                guard let d else { return }
                if let v = d.fixedValue { ends.append(Int64(v)); endsAxes.append(-1); continue }
                var source: (String, Int)?
                for i in g.inputs where like == nil || i == like {
                    if let axis = g.declared[i]?.shape?.firstIndex(of: d) { source = (i, axis); break }
                }
                guard let (input, axis) = source else { return }
                like = input
                ends.append(0)
                endsAxes.append(Int64(axis))
            }
            guard let like else { return }
            n.attrs["ends"] = .ints(ends)
            n.attrs["ends_axes"] = .ints(endsAxes)
            n.inputs = [n.input(0), like]
        }
        // Expand to a tracked shape: dims equal to the input's aligned dim become 1 (broadcast
        // keeps them), which makes the target constant.
        if n.op == "Expand", g.constants[n.input(1)] == nil, let sv = g.shapeValue(n.input(1)), let x = g.shapeOf(n.input(0)) {
            var target: [Int64] = []
            for (k, d) in sv.enumerated() {
                if let v = d?.fixedValue { target.append(Int64(v)); continue }
                let xi = k - (sv.count - x.count)
                guard let d, xi >= 0, x[xi] == d else { return }
                target.append(1)
            }
            let name = g.freshName(n.name + "_shape")
            g.constants[name] = .int64(target)
            n.inputs[1] = name
        }
    }
}

private extension OpDef {
    func with(_ code: OpCode) -> OpDef {
        var d = self
        d.code = code
        d.lower = { _, _ in [:] }
        return d
    }
}
