import DLRTModel

// MaxPool, AveragePool, GlobalAveragePool, GlobalMaxPool.
extension OpTable {
    static func poolKernel(_ n: WNode) throws -> [Int] {
        guard let k = n.ints("kernel_shape"), !k.isEmpty else { throw n.invalid("attribute 'kernel_shape' is required") }
        return try k.map { guard let v = Int(exactly: $0), v > 0 else { throw n.invalid("invalid kernel_shape") }; return v }
    }

    static func poolInfer(_ n: WNode, _ g: WGraph) throws -> [ValueInfo] {
        let out = n.output(0), t = g.typeOf(n.input(0))
        var res = [ValueInfo(type: t, shape: nil)]
        if let x = g.shapeOf(n.input(0)), x.count >= 3, let k = try? poolKernel(n), k.count == x.count - 2 {
            res[0].shape = try Spatial(n, kernel: k).outputShape(x, out: out, g: g, channels: x[1],
                                                                 ceilMode: (n.int("ceil_mode") ?? 0) != 0)
        }
        if n.outputs.count > 1 { res.append(ValueInfo(type: .int64, shape: res[0].shape)) }
        return res
    }

    static func poolLower(_ n: WNode, _ g: WGraph, max: Bool) throws -> [String: AttributeValue] {
        if n.outputs.count > 1, !n.outputs[1].isEmpty {
            throw n.unsupported("output 'Indices' ('\(n.outputs[1])') is used; dlrt's MaxPool has one output")
        }
        let k = try poolKernel(n)
        guard k.count == 1 || k.count == 2 else {
            throw n.unsupported("attribute 'kernel_shape' = \(OAttr.ints(k.map(Int64.init)).describe): only 1-D and 2-D pooling is supported")
        }
        var sp = try Spatial(n, kernel: k)
        sp.resolveAutoPad(fixedDims(g.shapeOf(n.input(0))).map { Array($0.dropFirst(2)) })
        var a = sp.attrs
        a["ceil_mode"] = .int((n.int("ceil_mode") ?? 0) != 0 ? 1 : 0)
        if max {
            try checkKnownAttrs(n, ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "storage_order"])
            if let so = n.int("storage_order"), so != 0 {
                throw n.unsupported("attribute 'storage_order' = \(so) is not supported (only 0, row major)")
            }
        } else {
            try checkKnownAttrs(n, ["kernel_shape", "strides", "pads", "dilations", "ceil_mode", "auto_pad", "count_include_pad"])
            if sp.dilations.contains(where: { $0 != 1 }) {
                throw n.unsupported("attribute 'dilations' = \(OAttr.ints(sp.dilations.map(Int64.init)).describe) is not supported for AveragePool")
            }
            a["dilations"] = nil
            a["count_include_pad"] = .int((n.int("count_include_pad") ?? 0) != 0 ? 1 : 0)
        }
        return a
    }

    static func globalPoolInfer(_ n: WNode, _ g: WGraph) -> [ValueInfo] {
        guard let x = g.shapeOf(n.input(0)), x.count >= 2 else { return [sameAs(n, g)] }
        return [ValueInfo(type: g.typeOf(n.input(0)), shape: Array(x.prefix(2)) + [Dim](repeating: .fixed(1), count: x.count - 2))]
    }

    static let poolOps: [OpDef] = [
        OpDef(name: "MaxPool", code: .maxPool, infer: poolInfer, lower: { n, g in try poolLower(n, g, max: true) }),
        OpDef(name: "AveragePool", code: .averagePool, infer: poolInfer, lower: { n, g in try poolLower(n, g, max: false) }),
        OpDef(name: "GlobalAveragePool", code: .globalAveragePool, infer: { n, g in globalPoolInfer(n, g) },
              lower: { n, _ in try checkKnownAttrs(n, []); return [:] }),
        OpDef(name: "GlobalMaxPool", code: .globalMaxPool, infer: { n, g in globalPoolInfer(n, g) },
              lower: { n, _ in try checkKnownAttrs(n, []); return [:] }),
    ]
}
