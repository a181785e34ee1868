import DLRTModel

// Add, Sub, Mul, Div (dlrt ops); Equal, Less, Greater, Where, Pow, Neg, Sqrt (folded only).
extension OpTable {
    /// Applies `fi` / `ff` elementwise with numpy broadcasting; nil when too large or mismatched.
    static func broadcastFold(_ a: ConstTensor, _ b: ConstTensor, outType: EType? = nil,
                              ff: (Float, Float) -> Float, fi: (Int64, Int64) -> Int64) -> ConstTensor? {
        guard a.type.isFloat == b.type.isFloat, let s = broadcastShapes(a.shape, b.shape),
              let n = checkedElementCount(s, limit: foldElementLimit) else { return nil }
        let ia = broadcastIndices(from: a.shape, to: s), ib = broadcastIndices(from: b.shape, to: s)
        let t = outType ?? a.type
        if a.type.isFloat {
            let r = (0 ..< n).map { ff(a.f[ia[$0]], b.f[ib[$0]]) }
            return t.isFloat ? ConstTensor(type: t, shape: s, f: r) : ConstTensor(type: t, shape: s, i: r.map { Int64($0) })
        }
        return ConstTensor(type: t, shape: s, i: (0 ..< n).map { fi(a.i[ia[$0]], b.i[ib[$0]]) })
    }

    /// Integer Div truncates toward zero; division by zero gives 0 (dlrt's rule, see OPS.md).
    static func idiv(_ x: Int64, _ y: Int64) -> Int64 {
        y == 0 || (x == .min && y == -1) ? 0 : x / y
    }

    static func arith(_ name: String, _ code: OpCode, _ ff: @escaping (Float, Float) -> Float,
                      _ fi: @escaping (Int64, Int64) -> Int64) -> OpDef {
        OpDef(name: name, code: code, normalize: { n, opset in
            // opset < 7: explicit `broadcast` flag with an optional `axis` for B's alignment.
            if (n.int("broadcast") ?? 0) != 0, let ax = n.int("axis") { n.attrs["legacy_axis"] = .int(ax) }
            n.attrs["broadcast"] = nil; n.attrs["axis"] = nil; n.attrs["consumed_inputs"] = nil
        }, infer: { n, g in
            let t = g.typeOf(n.input(0)) ?? g.typeOf(n.input(1))
            var info = ValueInfo(type: t, shape: nil)
            if let a = g.shapeOf(n.input(0)), let b = g.shapeOf(n.input(1)) {
                info.shape = broadcastShapes(a, b, out: n.output(0), g: g)
            }
            // Arithmetic on tracked shape values (e.g. batch * 1, 3 * 4).
            if let sa = g.shapeValue(n.input(0)), let sb = g.shapeValue(n.input(1)),
               sa.count == sb.count || sa.count == 1 || sb.count == 1 {
                let len = max(sa.count, sb.count)
                info.shapeValue = (0 ..< len).map { k -> Dim? in
                    let x = sa[sa.count == 1 ? 0 : k], y = sb[sb.count == 1 ? 0 : k]
                    if let xv = x?.fixedValue, let yv = y?.fixedValue {
                        return Int(exactly: fi(Int64(xv), Int64(yv))).map { .fixed($0) }
                    }
                    let neutral = (name == "Mul" || name == "Div") ? 1 : 0
                    if y?.fixedValue == neutral { return x }
                    if x?.fixedValue == neutral, name == "Mul" || name == "Add" { return y }
                    return nil
                }
            }
            return [info]
        }, fold: { n, c in
            guard let a = c[0], let b = c[1] else { return nil }
            return broadcastFold(a, b, ff: ff, fi: fi).map { [$0] }
        }, lower: { n, g in
            if let ax = n.int("legacy_axis"), let ra = g.rank(n.input(0)), let rb = g.rank(n.input(1)),
               (try? normalizeAxis(ax, rank: ra, n)) != ra - rb {
                throw n.unsupported("attribute 'axis' = \(ax) (opset < 7 broadcast aligned at an inner axis) is not supported")
            }
            return [:]
        })
    }

    static func compare(_ name: String, _ ff: @escaping (Float, Float) -> Bool, _ fi: @escaping (Int64, Int64) -> Bool) -> OpDef {
        OpDef(name: name, code: nil, infer: { n, g in
            var info = ValueInfo(type: .bool, shape: nil)
            if let a = g.shapeOf(n.input(0)), let b = g.shapeOf(n.input(1)) {
                info.shape = broadcastShapes(a, b, out: n.output(0), g: g)
            }
            return [info]
        }, fold: { n, c in
            guard let a = c[0], let b = c[1] else { return nil }
            return broadcastFold(a, b, outType: .bool, ff: { ff($0, $1) ? 1 : 0 }, fi: { fi($0, $1) ? 1 : 0 }).map { [$0] }
        })
    }

    static let binaryOps: [OpDef] = [
        arith("Add", .add, +, { $0 &+ $1 }),
        arith("Sub", .sub, -, { $0 &- $1 }),
        arith("Mul", .mul, *, { $0 &* $1 }),
        arith("Div", .div, /, idiv),
        compare("Equal", ==, ==),
        compare("Less", <, <),
        compare("Greater", >, >),
        OpDef(name: "Pow", code: nil, infer: { n, g in [sameAs(n, g)] }, fold: { n, c in
            guard let a = c[0], let b = c[1], a.type == .float else { return nil }
            return broadcastFold(a, b.cast(to: .float), ff: { Float(pow(Double($0), Double($1))) }, fi: { x, _ in x }).map { [$0] }
        }),
        OpDef(name: "Neg", code: nil, infer: { n, g in [sameAs(n, g)] }, fold: { _, c in
            guard let a = c[0] else { return nil }
            var r = a
            if a.type.isFloat { r.f = a.f.map { -$0 } } else { r.i = a.i.map { 0 &- $0 } }
            return [r]
        }),
        OpDef(name: "Sqrt", code: nil, infer: { n, g in [sameAs(n, g)] }, fold: { _, c in
            guard let a = c[0], a.type.isFloat else { return nil }
            var r = a; r.f = a.f.map { $0.squareRoot() }
            return [r]
        }),
        OpDef(name: "Where", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(1)) ?? g.typeOf(n.input(2)), shape: nil)
            if let c = g.shapeOf(n.input(0)), let x = g.shapeOf(n.input(1)), let y = g.shapeOf(n.input(2)) {
                info.shape = broadcastShapes(broadcastShapes(c, x, out: n.output(0), g: g), y, out: n.output(0), g: g)
            }
            return [info]
        }, fold: { n, c in
            guard let cond = c[0], let x = c[1], let y = c[2], x.type.isFloat == y.type.isFloat,
                  let s0 = broadcastShapes(cond.shape, x.shape), let s = broadcastShapes(s0, y.shape),
                  let cnt = checkedElementCount(s, limit: foldElementLimit) else { return nil }
            let ic = broadcastIndices(from: cond.shape, to: s), ix = broadcastIndices(from: x.shape, to: s),
                iy = broadcastIndices(from: y.shape, to: s)
            let cv = cond.ints
            if x.type.isFloat {
                return [ConstTensor(type: x.type, shape: s, f: (0 ..< cnt).map { cv[ic[$0]] != 0 ? x.f[ix[$0]] : y.f[iy[$0]] })]
            }
            return [ConstTensor(type: x.type, shape: s, i: (0 ..< cnt).map { cv[ic[$0]] != 0 ? x.i[ix[$0]] : y.i[iy[$0]] })]
        }),
    ]
}

import Glibc
