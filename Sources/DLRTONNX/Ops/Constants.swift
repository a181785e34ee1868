import DLRTModel

// Constant, ConstantOfShape, Range, Expand (always folded).
extension OpTable {
    static let constantOps: [OpDef] = [
        OpDef(name: "Constant", code: nil, infer: { _, _ in [ValueInfo(type: nil, shape: nil)] }, fold: { n, _ in
            switch (n.attrs["value"], n.attrs["value_float"], n.attrs["value_floats"], n.attrs["value_int"], n.attrs["value_ints"]) {
            case (.tensor(let t)?, _, _, _, _): return [t]
            case (_, .float(let v)?, _, _, _): return [.float([v], shape: [])]
            case (_, _, .floats(let v)?, _, _): return [.float(v, shape: [v.count])]
            case (_, _, _, .int(let v)?, _): return [.int64([v], shape: [])]
            case (_, _, _, _, .ints(let v)?): return [.int64(v)]
            default:
                let k = n.attrs.keys.sorted().first ?? "value"
                throw n.unsupported("attribute '\(k)' = \(n.attrs[k]?.describe ?? "missing") is not supported")
            }
        }),
        OpDef(name: "ConstantOfShape", code: nil, infer: { n, g in
            var t: EType = .float
            if case .tensor(let v)? = n.attrs["value"] { t = v.type }
            guard let sv = g.shapeValue(n.input(0)) else { return [ValueInfo(type: t, shape: nil)] }
            return [ValueInfo(type: t, shape: sv.enumerated().map { $1 ?? g.unknownDim(n.output(0), $0) })]
        }, fold: { n, c in
            guard let s = c[0] else { return nil }
            let shape = try s.ints.map { v -> Int in
                guard let d = Int(exactly: v), d >= 0 else { throw n.invalid("negative dimension \(v)") }
                return d
            }
            guard let cnt = checkedElementCount(shape, limit: foldElementLimit) else { return nil }
            var v = ConstTensor.float([0], shape: [1])
            if case .tensor(let t)? = n.attrs["value"] {
                guard t.count == 1 else { throw n.invalid("attribute 'value' must hold one element") }
                v = t
            }
            return [v.gathering([Int](repeating: 0, count: cnt), shape: shape)]
        }),
        OpDef(name: "Range", code: nil, infer: { n, g in
            [ValueInfo(type: g.typeOf(n.input(0)), shape: [g.unknownDim(n.output(0), 0)])]
        }, fold: { n, c in
            guard let s = c[0], let l = c[1], let d = c[2], s.count == 1, l.count == 1, d.count == 1 else { return nil }
            if s.type.isFloat {
                let (a, b, st) = (Double(s.f[0]), Double(l.f[0]), Double(d.f[0]))
                guard st != 0 else { throw n.invalid("delta is 0") }
                let cnt = max(0, ((b - a) / st).rounded(.up))
                guard cnt <= Double(foldElementLimit) else { return nil }
                return [ConstTensor(type: s.type, shape: [Int(cnt)], f: (0 ..< Int(cnt)).map { Float(a + Double($0) * st) })]
            }
            let (a, b, st) = (s.i[0], l.i[0], d.i[0])
            guard st != 0 else { throw n.invalid("delta is 0") }
            let span = Double(b) - Double(a)
            let cnt = max(0, (span / Double(st)).rounded(.up))
            guard cnt <= Double(foldElementLimit) else { return nil }
            return [ConstTensor(type: s.type, shape: [Int(cnt)], i: (0 ..< Int64(cnt)).map { a &+ $0 &* st })]
        }),
        OpDef(name: "Expand", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            if let x = g.shapeOf(n.input(0)), let sv = g.shapeValue(n.input(1)) {
                info.shape = broadcastShapes(x, sv.enumerated().map { $1 ?? g.unknownDim(n.output(0), $0) }, out: n.output(0), g: g)
            }
            return [info]
        }, fold: { n, c in
            guard let x = c[0], let s = c[1] else { return nil }
            guard let target = broadcastShapes(x.shape, s.ints.map { Int(clamping: $0) }), !target.contains(where: { $0 < 0 }),
                  checkedElementCount(target, limit: foldElementLimit) != nil else { return nil }
            return [x.gathering(broadcastIndices(from: x.shape, to: target), shape: target)]
        }),
    ]
}
