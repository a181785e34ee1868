import DLRTModel

// Gemm, MatMul.
extension OpTable {
    static let denseOps: [OpDef] = [
        OpDef(name: "Gemm", code: .gemm, normalize: { n, _ in
            n.attrs["broadcast"] = nil   // opset < 7: C broadcasting flag; opset 7+ always broadcasts
        }, infer: { n, g in
            let ta = (n.int("transA") ?? 0) != 0, tb = (n.int("transB") ?? 0) != 0
            let out = n.output(0)
            var m = g.unknownDim(out, 0), nn = g.unknownDim(out, 1)
            if let a = g.shapeOf(n.input(0)), a.count == 2 { m = ta ? a[1] : a[0] }
            if let b = g.shapeOf(n.input(1)), b.count == 2 { nn = tb ? b[0] : b[1] }
            return [ValueInfo(type: g.typeOf(n.input(0)) ?? .float, shape: [m, nn])]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["alpha", "beta", "transA", "transB", "activation", "activation_alpha",
                                    "activation_min", "activation_max"])
            for k in 0 ..< 2 {
                if let r = g.rank(n.input(k)), r != 2 {
                    throw n.unsupported("input \(k) '\(n.input(k))' has rank \(r); Gemm needs rank-2 A and B")
                }
            }
            var a = fusedActivationAttrs(n)
            a["alpha"] = .float(n.float("alpha") ?? 1)
            a["beta"] = .float(n.float("beta") ?? 1)
            a["transA"] = .int((n.int("transA") ?? 0) != 0 ? 1 : 0)
            a["transB"] = .int((n.int("transB") ?? 0) != 0 ? 1 : 0)
            return a
        }),
        OpDef(name: "MatMul", code: .matMul, infer: { n, g in
            let out = n.output(0)
            guard var a = g.shapeOf(n.input(0)), var b = g.shapeOf(n.input(1)), !a.isEmpty, !b.isEmpty else {
                return [ValueInfo(type: g.typeOf(n.input(0)), shape: nil)]
            }
            let a1 = a.count == 1, b1 = b.count == 1
            if a1 { a.insert(.fixed(1), at: 0) }
            if b1 { b.append(.fixed(1)) }
            let batch = broadcastShapes(Array(a.dropLast(2)), Array(b.dropLast(2)), out: out, g: g)
            var s = batch + [a[a.count - 2], b[b.count - 1]]
            if b1 { s.removeLast() }
            if a1 { s.remove(at: s.count - (b1 ? 1 : 2)) }
            return [ValueInfo(type: g.typeOf(n.input(0)), shape: s)]
        }, fold: { n, c in
            // Only the trivial 2-D constant case (rare; keeps weights-only subgraphs foldable).
            guard let a = c[0], let b = c[1], a.type == .float, b.type == .float, a.rank == 2, b.rank == 2,
                  a.shape[1] == b.shape[0], checkedElementCount([a.shape[0], b.shape[1]], limit: foldElementLimit) != nil,
                  checkedElementCount([a.count, b.shape[1]], limit: foldElementLimit) != nil else { return nil }
            let (m, k, nn) = (a.shape[0], a.shape[1], b.shape[1])
            var y = [Float](repeating: 0, count: m * nn)
            for i in 0 ..< m { for p in 0 ..< k { let av = a.f[i * k + p]; for j in 0 ..< nn { y[i * nn + j] += av * b.f[p * nn + j] } } }
            return [.float(y, shape: [m, nn])]
        }, lower: { n, _ in
            try checkKnownAttrs(n, ["activation", "activation_alpha", "activation_min", "activation_max"])
            return fusedActivationAttrs(n)
        }),
    ]
}
