import DLRTModel

// ONNX's integer ops lowered to dlrt's run-time ops (codes 112–114) when they are not part of
// onnxruntime's quantize_dynamic chain (Passes/Int8IntegerImport.swift imports that) and not all
// of their inputs are constants (then they fold with the reference implementations of
// QuantizedInteger.swift, whose entries these extend; OpTable lists these after them).
extension OpTable {
    static let integerRuntimeOps: [OpDef] = integerOps.map { base in
        var d = base
        switch d.name {
        case "DynamicQuantizeLinear":
            d.code = .dynamicQuantizeLinear
            d.lower = { n, g in
                try checkKnownAttrs(n, [])
                if let t = g.typeOf(n.input(0)), t != .float { throw n.unsupported("input x is \(t); dlrt's DynamicQuantizeLinear takes float32") }
                return [:]
            }
        case "MatMulInteger":
            d.code = .matMulInteger
            d.infer = { n, g in [ValueInfo(type: .int32, shape: OpTable.integerMatMulShape(g.shapeOf(n.input(0)), g.shapeOf(n.input(1))))] }
            d.lower = { n, g in
                try checkKnownAttrs(n, [])
                try OpTable.checkIntegerTypes(n, g, [(0, 2, "A", "a_zero_point"), (1, 3, "B", "b_zero_point")])
                return [:]
            }
        case "ConvInteger":
            d.code = .convInteger
            d.infer = { n, g in
                guard let x = g.shapeOf(n.input(0)), x.count >= 3, let k = try OpTable.convKernel(n, g), k.count == x.count - 2 else {
                    return [ValueInfo(type: .int32, shape: nil)]
                }
                let m = g.shapeOf(n.input(1))?.first ?? g.unknownDim(n.output(0), 1)
                return [ValueInfo(type: .int32, shape: try Spatial(n, kernel: k).outputShape(x, out: n.output(0), g: g, channels: m))]
            }
            d.lower = { n, g in
                try checkKnownAttrs(n, ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad"])
                try OpTable.checkIntegerTypes(n, g, [(0, 2, "x", "x_zero_point"), (1, 3, "w", "w_zero_point")])
                guard let k = try OpTable.convKernel(n, g) else {
                    throw n.unsupported("weight '\(n.input(1))' shape unknown and no kernel_shape attribute")
                }
                guard k.count == 1 || k.count == 2 else {
                    throw n.unsupported("attribute 'kernel_shape' = \(OAttr.ints(k.map(Int64.init)).describe): only 1-D and 2-D ConvInteger is supported (\(k.count)-D given)")
                }
                var sp = try Spatial(n, kernel: k)
                sp.resolveAutoPad(fixedDims(g.shapeOf(n.input(0))).map { Array($0.dropFirst(2)) })
                var a = sp.attrs
                a["group"] = .int(n.int("group") ?? 1)
                return a
            }
        default:
            break
        }
        return d
    }

    /// Each (tensor, zero point) pair: the tensor uint8 or int8, the zero point (when present) the same.
    static func checkIntegerTypes(_ n: WNode, _ g: WGraph, _ pairs: [(Int, Int, String, String)]) throws {
        for (t, z, tn, zn) in pairs {
            guard let tt = g.typeOf(n.input(t)) else { continue }
            guard tt == .uint8 || tt == .int8 else { throw n.unsupported("input \(tn) is \(tt), expected uint8 or int8") }
            if !n.input(z).isEmpty, let zt = g.typeOf(n.input(z)), zt != tt {
                throw n.unsupported("input \(zn) is \(zt) but \(tn) is \(tt)")
            }
        }
    }

    /// MatMul's output shape for A and B shapes (broadcast batch dims), nil when unknown.
    static func integerMatMulShape(_ a: [Dim]?, _ b: [Dim]?) -> [Dim]? {
        guard let a, let b, !a.isEmpty, !b.isEmpty else { return nil }
        let ab = a.count >= 2 ? Array(a.dropLast(2)) : [], bb = b.count >= 2 ? Array(b.dropLast(2)) : []
        let r = max(ab.count, bb.count)
        let ap = [Dim](repeating: .fixed(1), count: r - ab.count) + ab, bp = [Dim](repeating: .fixed(1), count: r - bb.count) + bb
        var batch: [Dim] = []
        for i in 0 ..< r {
            if ap[i] == .fixed(1) { batch.append(bp[i]) } else if bp[i] == .fixed(1) || bp[i] == ap[i] { batch.append(ap[i]) } else { return nil }
        }
        return batch + (a.count > 1 ? [a[a.count - 2]] : []) + (b.count > 1 ? [b[b.count - 1]] : [])
    }
}
