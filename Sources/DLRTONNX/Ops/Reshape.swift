import DLRTModel

// Reshape, Flatten, Squeeze, Unsqueeze, and the symbolic-shape arithmetic they share.
extension OpTable {
    /// Product of dims: fixed when all are fixed, the one symbolic dim when the rest are 1.
    static func product(_ dims: ArraySlice<Dim>) -> Dim? {
        var p = 1
        var sym: Dim? = nil
        for d in dims {
            if let v = d.fixedValue { p = satMul(p, v) } else if sym == nil { sym = d } else { return nil }
        }
        if let sym { return p == 1 ? sym : nil }
        return .fixed(p)
    }

    /// Turns a Reshape target whose elements are known ints, symbolic dims or unknown into a
    /// constant target: a symbolic element equal to the data's dim at the same index becomes 0
    /// ("copy"), a single remaining unknown becomes -1. nil when that is not possible.
    static func resolveReshapeTarget(_ target: [Dim?], data: [Dim]?, allowzero: Bool) -> [Int64]? {
        var out: [Int64] = []
        var unresolved: [Int] = []
        for (k, e) in target.enumerated() {
            if let v = e?.fixedValue { out.append(Int64(v)); continue }
            if let e, !allowzero, let data, k < data.count, data[k] == e { out.append(0); continue }
            out.append(-1)
            unresolved.append(k)
        }
        if unresolved.isEmpty { return out }
        if unresolved.count == 1 && out.filter({ $0 == -1 }).count == 1 { return out }
        return nil
    }

    /// Output shape of Reshape(data, target); target elements: fixed (0 = copy, -1 = infer),
    /// symbolic, or unknown.
    static func reshapeOutput(data: [Dim]?, target: [Dim?], allowzero: Bool, out: String, g: WGraph) -> [Dim] {
        var res: [Dim?] = []
        var copied = Set<Int>()
        var inferAt: Int? = nil
        for (k, e) in target.enumerated() {
            if let v = e?.fixedValue {
                if v == 0 && !allowzero, let data, k < data.count { res.append(data[k]); copied.insert(k); continue }
                if v == -1 { inferAt = k; res.append(nil); continue }
                res.append(.fixed(v))
            } else {
                res.append(e)
            }
        }
        if let at = inferAt, let data {
            var remaining: [Dim] = []
            for (k, d) in data.enumerated() where !copied.contains(k) { remaining.append(d) }
            var known = 1, ok = true
            var others: [Dim] = []
            for (k, d) in res.enumerated() where k != at && !copied.contains(k) {
                guard let d else { ok = false; break }
                if let v = d.fixedValue { known = satMul(known, v) } else { others.append(d) }
            }
            // Cancel symbolic dims present on both sides.
            for o in others {
                if let idx = remaining.firstIndex(of: o) { remaining.remove(at: idx) } else { ok = false }
            }
            let fixedPart = dimProduct(remaining.compactMap(\.fixedValue))
            let symbolic = remaining.filter { $0.fixedValue == nil }
            if ok, known > 0 {
                if symbolic.isEmpty, fixedPart % known == 0 { res[at] = .fixed(fixedPart / known) }
                else if symbolic.count == 1, fixedPart == known { res[at] = symbolic[0] }
            }
        }
        return res.enumerated().map { $1 ?? g.unknownDim(out, $0) }
    }

    /// Flatten's axis lies in [-r, r]; negative counts from the end.
    static func flattenAxis(_ n: WNode, rank r: Int) throws -> Int {
        let a = n.int("axis") ?? 1
        guard a >= -Int64(r), a <= Int64(r) else { throw n.invalid("attribute 'axis' = \(a) is out of range for rank \(r)") }
        return Int(a < 0 ? a + Int64(r) : a)
    }

    static func axesOf(_ n: WNode, _ g: WGraph) -> [Int64]? {
        if let a = n.ints("axes") { return a }
        if n.input(1).isEmpty { return nil }
        return g.constInts(n.input(1))
    }

    static func passShapeValue(_ n: WNode, _ g: WGraph, _ info: inout ValueInfo) {
        if let sv = g.shapeValue(n.input(0)) { info.shapeValue = sv }
    }

    static let reshapeOps: [OpDef] = [
        OpDef(name: "Reshape", code: .reshape, normalize: { n, _ in n.attrs["consumed_inputs"] = nil }, infer: { n, g in
            let t = g.typeOf(n.input(0))
            guard let target = g.shapeValue(n.input(1)) else {
                if let r = fixedDims(g.shapeOf(n.input(1))), r.count == 1 {
                    return [ValueInfo(type: t, shape: (0 ..< r[0]).map { g.unknownDim(n.output(0), $0) })]
                }
                return [ValueInfo(type: t, shape: nil)]
            }
            var info = ValueInfo(type: t, shape: reshapeOutput(data: g.shapeOf(n.input(0)), target: target,
                                                               allowzero: (n.int("allowzero") ?? 0) != 0, out: n.output(0), g: g))
            passShapeValue(n, g, &info)
            return [info]
        }, fold: { n, c in
            guard let x = c[0], let t = c[1] else { return nil }
            let s = reshapeOutput(data: x.shape.map { .fixed($0) }, target: t.ints.map { Int(exactly: $0).map { .fixed($0) } },
                                  allowzero: (n.int("allowzero") ?? 0) != 0, out: "", g: WGraph())
            guard let f = fixedDims(s), checkedElementCount(f) == x.count else {
                throw n.invalid("cannot reshape \(describe(x.shape)) to \(t.ints)")
            }
            return [x.reshaped(f)]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["allowzero"])
            if g.constants[n.input(1)] == nil {
                // A value input: dlrt reads it when planning (docs/ARCHITECTURE.md, "Operands fed at run time").
                try requireValueInput(n, g, 1, "shape", types: [.int64])
            } else {
                guard let c = g.constants[n.input(1)], c.type == .int64 || c.type == .int32, c.rank == 1 else {
                    throw n.unsupported("input 'shape' ('\(n.input(1))') is not a constant int64 tensor; dlrt needs a constant Reshape shape")
                }
            }
            return ["allowzero": .int((n.int("allowzero") ?? 0) != 0 ? 1 : 0)]
        }),
        OpDef(name: "Flatten", code: .flatten, infer: { n, g in
            let t = g.typeOf(n.input(0))
            guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: t, shape: nil)] }
            let a = try flattenAxis(n, rank: x.count)
            let out = n.output(0)
            return [ValueInfo(type: t, shape: [product(x[..<a]) ?? g.unknownDim(out, 0), product(x[a...]) ?? g.unknownDim(out, 1)])]
        }, fold: { n, c in
            guard let x = c[0] else { return nil }
            let a = try flattenAxis(n, rank: x.rank)
            return [x.reshaped([dimProduct(x.shape[..<a]), dimProduct(x.shape[a...])])]
        }, lower: { n, _ in
            try checkKnownAttrs(n, ["axis"])
            return ["axis": .int(n.int("axis") ?? 1)]
        }),
        OpDef(name: "Squeeze", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            passShapeValue(n, g, &info)
            guard let x = g.shapeOf(n.input(0)) else { return [info] }
            if let axes = axesOf(n, g) {
                let ax = Set(try axes.map { try normalizeAxis($0, rank: x.count, n, "axes") })
                info.shape = x.enumerated().filter { !ax.contains($0.offset) }.map(\.element)
            } else if n.input(1).isEmpty, !x.contains(where: { $0.fixedValue == nil }) {
                info.shape = x.filter { $0 != .fixed(1) }
            } else if let k = fixedDims(g.shapeOf(n.input(1))), k.count == 1, k[0] <= x.count {
                // Axes fed at run time (a value input): the rank is known, the dims are not.
                info.shape = (0 ..< x.count - k[0]).map { g.unknownDim(n.output(0), $0) }
            }
            return [info]
        }, fold: { n, c in
            guard let x = c[0] else { return nil }
            let axes = n.ints("axes") ?? c[1]?.ints
            let ax = try Set((axes ?? []).map { try normalizeAxis($0, rank: x.rank, n, "axes") })
            if let bad = ax.first(where: { x.shape[$0] != 1 }) { throw n.invalid("cannot squeeze axis \(bad) of size \(x.shape[bad])") }
            return [x.reshaped(x.shape.enumerated().filter { axes == nil ? $0.element != 1 : !ax.contains($0.offset) }.map(\.element))]
        }),
        OpDef(name: "Unsqueeze", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            passShapeValue(n, g, &info)
            guard let x = g.shapeOf(n.input(0)) else { return [info] }
            guard let axes = axesOf(n, g) else {
                // Axes fed at run time (a value input): the rank is known, the dims are not.
                if let k = fixedDims(g.shapeOf(n.input(1))), k.count == 1 {
                    info.shape = (0 ..< x.count + k[0]).map { g.unknownDim(n.output(0), $0) }
                }
                return [info]
            }
            let r = x.count + axes.count
            let ax = Set(try axes.map { try normalizeAxis($0, rank: r, n, "axes") })
            var it = x.makeIterator()
            info.shape = (0 ..< r).map { ax.contains($0) ? .fixed(1) : (it.next() ?? .fixed(1)) }
            return [info]
        }, fold: { n, c in
            guard let x = c[0], let axes = n.ints("axes") ?? c[1]?.ints else { return nil }
            let r = x.rank + axes.count
            let ax = Set(try axes.map { try normalizeAxis($0, rank: r, n, "axes") })
            var it = x.shape.makeIterator()
            return [x.reshaped((0 ..< r).map { ax.contains($0) ? 1 : (it.next() ?? 1) })]
        }),
    ]
}

/// A non-constant operand the runtime reads when planning ("value input"): accepted when it is a
/// graph input of one of `types`, fixed rank ≤ 1 and at most 64 elements; refused otherwise.
func requireValueInput(_ n: WNode, _ g: WGraph, _ k: Int, _ role: String, types: Set<EType>) throws {
    let name = n.input(k)
    guard g.inputs.contains(name) else {
        throw n.unsupported("input '\(role)' ('\(name)') is computed in the graph; dlrt reads a non-constant \(role) only from a graph input")
    }
    guard let t = g.typeOf(name), types.contains(t) else {
        throw n.unsupported("input '\(role)' ('\(name)') is \(g.typeOf(name).map { "\($0)" } ?? "of unknown type"), expected \(types.map { "\($0)" }.sorted().joined(separator: " or "))")
    }
    guard let dims = fixedDims(g.shapeOf(name)), dims.count <= 1, dims.reduce(1, *) <= 64 else {
        throw n.unsupported("input '\(role)' ('\(name)') must have a fixed shape of rank ≤ 1 with at most 64 elements to be read at plan time")
    }
}
