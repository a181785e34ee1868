import DLRTModel

/// Resolved spatial parameters of a Conv / pooling node.
struct Spatial {
    var kernel: [Int]
    var strides: [Int]
    var dilations: [Int]
    var pads: [Int]          // begins then ends
    var autoPad: String

    init(_ n: WNode, kernel: [Int]) throws {
        let r = kernel.count
        func list(_ key: String, _ def: Int, _ count: Int) throws -> [Int] {
            guard let v = n.ints(key) else { return [Int](repeating: def, count: count) }
            guard v.count == count else { throw n.invalid("attribute '\(key)' = \(OAttr.ints(v).describe) needs \(count) values") }
            return try v.map {
                guard let x = Int(exactly: $0), x >= 0, x < 1 << 30 else { throw n.invalid("attribute '\(key)' has invalid value \($0)") }
                return x
            }
        }
        self.kernel = kernel
        strides = try list("strides", 1, r)
        dilations = try list("dilations", 1, r)
        pads = try list("pads", 0, 2 * r)
        autoPad = n.string("auto_pad") ?? "NOTSET"
        if autoPad.isEmpty { autoPad = "NOTSET" }
        guard ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].contains(autoPad) else {
            throw n.unsupported("attribute 'auto_pad' = \"\(autoPad)\" is not supported")
        }
        if strides.contains(0) || dilations.contains(0) || kernel.contains(where: { $0 <= 0 }) {
            throw n.invalid("zero stride, dilation or kernel size")
        }
        if autoPad == "VALID" { pads = [Int](repeating: 0, count: 2 * r); autoPad = "NOTSET" }
    }

    /// Output size along axis `k`; nil when the input size is unknown.
    func outSize(_ input: Int, axis k: Int, ceilMode: Bool = false) -> Int {
        let ek = dilations[k] * (kernel[k] - 1) + 1
        if autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER" { return (input + strides[k] - 1) / strides[k] }
        let span = input + pads[k] + pads[k + kernel.count] - ek
        if span < 0 { return 0 }
        var o = (ceilMode ? (span + strides[k] - 1) / strides[k] : span / strides[k]) + 1
        // ceil_mode: the last window must start inside the input or its begin padding.
        if ceilMode, (o - 1) * strides[k] >= input + pads[k] { o -= 1 }
        return o
    }

    /// Rewrites SAME_* into explicit pads when the input's spatial sizes are known.
    mutating func resolveAutoPad(_ spatialIn: [Int]?) {
        guard autoPad != "NOTSET", let spatialIn, spatialIn.count == kernel.count else { return }
        let r = kernel.count
        for k in 0 ..< r {
            let out = (spatialIn[k] + strides[k] - 1) / strides[k]
            let total = max(0, (out - 1) * strides[k] + dilations[k] * (kernel[k] - 1) + 1 - spatialIn[k])
            let small = total / 2
            pads[k] = autoPad == "SAME_UPPER" ? small : total - small
            pads[k + r] = total - pads[k]
        }
        autoPad = "NOTSET"
    }

    func outputShape(_ x: [Dim], out: String, g: WGraph, channels: Dim, ceilMode: Bool = false) -> [Dim] {
        var s: [Dim] = [x[0], channels]
        for k in 0 ..< kernel.count {
            if k + 2 < x.count, let v = x[k + 2].fixedValue { s.append(.fixed(outSize(v, axis: k, ceilMode: ceilMode))) }
            else { s.append(g.unknownDim(out, k + 2)) }
        }
        return s
    }

    var attrs: [String: AttributeValue] {
        ["kernel_shape": .ints(kernel.map(Int64.init)), "strides": .ints(strides.map(Int64.init)),
         "pads": .ints(pads.map(Int64.init)), "dilations": .ints(dilations.map(Int64.init)),
         "auto_pad": .string(autoPad)]
    }
}

// Conv.
extension OpTable {
    static func convKernel(_ n: WNode, _ g: WGraph) throws -> [Int]? {
        if let k = n.ints("kernel_shape") {
            return try k.map { guard let v = Int(exactly: $0), v > 0 else { throw n.invalid("invalid kernel_shape") }; return v }
        }
        guard let w = fixedDims(g.shapeOf(n.input(1))), w.count >= 3 else { return nil }
        return Array(w.dropFirst(2))
    }

    static let convOps: [OpDef] = [
        OpDef(name: "Conv", code: .conv, infer: { n, g in
            let out = n.output(0), t = g.typeOf(n.input(0))
            guard let x = g.shapeOf(n.input(0)), x.count >= 3, let k = try convKernel(n, g), k.count == x.count - 2 else {
                return [ValueInfo(type: t, shape: nil)]
            }
            let m = g.shapeOf(n.input(1))?.first ?? g.unknownDim(out, 1)
            return [ValueInfo(type: t, shape: try Spatial(n, kernel: k).outputShape(x, out: out, g: g, channels: m))]
        }, lower: { n, g in
            try checkKnownAttrs(n, ["kernel_shape", "strides", "pads", "dilations", "group", "auto_pad", "activation",
                                    "activation_alpha", "activation_min", "activation_max"])
            guard let k = try convKernel(n, g) else {
                throw n.unsupported("weight '\(n.input(1))' shape unknown and no kernel_shape attribute")
            }
            guard k.count == 1 || k.count == 2 else {
                throw n.unsupported("attribute 'kernel_shape' = \(OAttr.ints(k.map(Int64.init)).describe): only 1-D and 2-D convolution is supported (\(k.count)-D given)")
            }
            var sp = try Spatial(n, kernel: k)
            sp.resolveAutoPad(fixedDims(g.shapeOf(n.input(0))).map { Array($0.dropFirst(2)) })
            var a = sp.attrs.merging(fusedActivationAttrs(n)) { x, _ in x }
            a["group"] = .int(n.int("group") ?? 1)
            return a
        }),
    ]
}
