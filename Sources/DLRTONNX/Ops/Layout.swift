import DLRTModel

// Concat, Transpose, Identity, Dropout.
extension OpTable {
    static func transposeIndices(_ shape: [Int], _ perm: [Int]) -> (out: [Int], idx: [Int]) {
        let r = shape.count
        let out = perm.map { shape[$0] }
        var inStrides = [Int](repeating: 1, count: r)
        for k in stride(from: r - 2, through: 0, by: -1) { inStrides[k] = inStrides[k + 1] * shape[k + 1] }
        let n = dimProduct(out)
        var idx = [Int](repeating: 0, count: n)
        var coord = [Int](repeating: 0, count: r)
        for f in 0 ..< n {
            var src = 0
            for k in 0 ..< r { src += coord[k] * inStrides[perm[k]] }
            idx[f] = src
            var k = r - 1
            while k >= 0 { coord[k] += 1; if coord[k] < out[k] { break }; coord[k] = 0; k -= 1 }
        }
        return (out, idx)
    }

    static func perm(_ n: WNode, rank: Int) throws -> [Int] {
        guard let p = n.ints("perm") else { return Array((0 ..< rank).reversed()) }
        let v = try p.map { try normalizeAxis($0, rank: rank, n, "perm") }
        guard v.count == rank, Set(v).count == rank else { throw n.invalid("attribute 'perm' = \(OAttr.ints(p).describe) is not a permutation of \(rank) axes") }
        return v
    }

    static let layoutOps: [OpDef] = [
        OpDef(name: "Concat", code: .concat, infer: { n, g in
            let t = n.inputs.lazy.compactMap { g.typeOf($0) }.first
            var info = ValueInfo(type: t, shape: nil)
            let shapes = n.inputs.filter { !$0.isEmpty }.map { g.shapeOf($0) }
            if let axis = n.int("axis"), let first = shapes.first ?? nil, !shapes.contains(where: { $0 == nil }) {
                let a = try normalizeAxis(axis, rank: first.count, n)
                var s = first
                var total: Int? = 0
                for sh in shapes {
                    guard let sh, sh.count == first.count else { throw n.invalid("inputs have different ranks") }
                    if let v = sh[a].fixedValue, let t = total { total = satAdd(t, v) } else { total = nil }
                }
                s[a] = total.map { .fixed($0) } ?? g.unknownDim(n.output(0), a)
                info.shape = s
                if first.count == 1 {
                    var sv: [Dim?] = []
                    for i in n.inputs where !i.isEmpty {
                        guard let v = g.shapeValue(i) else { return [info] }
                        sv += v
                    }
                    info.shapeValue = sv
                }
            }
            return [info]
        }, fold: { n, c in
            let parts = c.compactMap { $0 }
            guard parts.count == c.count, let first = parts.first, let axis = n.int("axis") else { return nil }
            let a = try normalizeAxis(axis, rank: first.rank, n)
            var shape = first.shape
            shape[a] = 0
            for p in parts {
                guard p.rank == first.rank, p.type.isFloat == first.type.isFloat,
                      (0 ..< p.rank).allSatisfy({ $0 == a || p.shape[$0] == first.shape[$0] }) else {
                    throw n.invalid("inputs do not match")
                }
                shape[a] = satAdd(shape[a], p.shape[a])
            }
            let outer = dimProduct(first.shape[..<a])
            guard checkedElementCount(shape, limit: foldElementLimit) != nil else { return nil }
            var r = ConstTensor(type: first.type, shape: shape, i: [])
            for o in 0 ..< outer {
                for p in parts {
                    let chunk = dimProduct(p.shape[a...])
                    if first.type.isFloat { r.f += p.f[o * chunk ..< (o + 1) * chunk] } else { r.i += p.i[o * chunk ..< (o + 1) * chunk] }
                }
            }
            return [r]
        }, lower: { n, _ in
            try checkKnownAttrs(n, ["axis"])
            guard let a = n.int("axis") else { throw n.invalid("attribute 'axis' is required") }
            return ["axis": .int(a)]
        }),
        OpDef(name: "Transpose", code: .transpose, infer: { n, g in
            guard let x = g.shapeOf(n.input(0)) else { return [sameAs(n, g)] }
            return [ValueInfo(type: g.typeOf(n.input(0)), shape: try perm(n, rank: x.count).map { x[$0] })]
        }, fold: { n, c in
            guard let x = c[0] else { return nil }
            let (out, idx) = transposeIndices(x.shape, try perm(n, rank: x.rank))
            return [x.gathering(idx, shape: out)]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["perm"])
            if let p = n.ints("perm") { return ["perm": .ints(p)] }
            guard let r = g.rank(n.input(0)) else { return [:] }
            return ["perm": .ints((0 ..< r).reversed().map(Int64.init))]
        }),
        OpDef(name: "Identity", code: .identity, infer: { n, g in
            var i = sameAs(n, g); i.shapeValue = g.shapeValue(n.input(0)); return [i]
        }, fold: { _, c in c[0].map { [$0] } }, lower: { _, _ in [:] }),
        OpDef(name: "Dropout", code: nil, normalize: { n, opset in
            if opset >= 12, !n.input(2).isEmpty { n.attrs["training_mode_input"] = .string(n.input(2)) }
            if let t = n.int("is_test"), t == 0 { throw n.unsupported("attribute 'is_test' = 0 (training) is not supported") }
            for k in ["is_test", "ratio", "seed", "consumed_inputs"] { n.attrs[k] = nil }
        }, infer: { n, g in
            var i = sameAs(n, g); i.shapeValue = g.shapeValue(n.input(0))
            return n.outputs.count > 1 ? [i, ValueInfo(type: .bool, shape: i.shape)] : [i]
        }),
    ]
}
