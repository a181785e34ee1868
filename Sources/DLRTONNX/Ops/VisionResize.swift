import DLRTModel

// Resize (opset 10, 11, 13, 18, 19) and Upsample (opset 7, 9) → dlrt Resize with `scales` or
// `sizes` attributes (see docs/OPS.md). Resize-10 and Upsample use asymmetric coordinates and
// floor (upsampling) or ceil (downsampling) nearest rounding, as onnxruntime does.
extension OpTable {
    /// Input positions of roi / scales / sizes for this node (nil: not an input at this opset).
    static func resizeInputs(_ n: WNode, opset: Int) -> (roi: Int?, scales: Int?, sizes: Int?) {
        if n.op == "Upsample" { return (nil, opset >= 9 ? 1 : nil, nil) }
        return opset <= 10 ? (nil, 1, nil) : (1, 2, 3)
    }

    /// Moves constant roi / scales / sizes inputs into attributes. A `sizes` input that is a
    /// tracked shape (PyTorch's Concat(Shape(x)[:2], [H', W'])) whose symbolic entries are X's
    /// own dims becomes `sizes` of the fixed axes only, with `axes`.
    static func canonicalizeResize(_ n: inout WNode, _ g: WGraph) {
        let pos = resizeInputs(n, opset: g.opset)
        if let k = pos.roi, !n.input(k).isEmpty, let c = g.constants[n.input(k)] {
            if c.count > 0 { n.attrs["roi"] = .floats(c.floats) }
            n.inputs[k] = ""
        }
        if let k = pos.scales, !n.input(k).isEmpty, let c = g.constants[n.input(k)] {
            if c.count > 0 { n.attrs["scales"] = .floats(c.floats) }
            n.inputs[k] = ""
        }
        guard let k = pos.sizes, !n.input(k).isEmpty else { return }
        if let c = g.constInts(n.input(k)) {
            n.attrs["sizes"] = .ints(c)
            n.inputs[k] = ""
        } else if n.ints("axes") == nil, n.ints("roi") == nil, let sv = g.shapeValue(n.input(k)),
                  let x = g.shapeOf(n.input(0)), sv.count == x.count {
            var axes: [Int64] = [], sizes: [Int64] = []
            for (a, d) in sv.enumerated() {
                guard let d else { return }
                if d == x[a] { continue }
                guard let v = d.fixedValue else { return }
                axes.append(Int64(a)); sizes.append(Int64(v))
            }
            n.attrs["sizes"] = .ints(sizes)
            n.attrs["axes"] = .ints(axes)
            n.inputs[k] = ""
        }
    }

    /// Scales or sizes (from attributes, or constant inputs not moved yet) and the axes they name.
    static func resizeTargets(_ n: WNode, _ g: WGraph, rank: Int) -> (scales: [Float]?, sizes: [Int64]?, axes: [Int])? {
        let pos = resizeInputs(n, opset: g.opset)
        var scales = n.floats("scales"), sizes = n.ints("sizes")
        if scales == nil, let k = pos.scales, let c = g.constants[n.input(k)], c.count > 0 { scales = c.floats }
        if sizes == nil, let k = pos.sizes, let c = g.constInts(n.input(k)) { sizes = c }
        var axes = Array(0 ..< rank)
        if let a = n.ints("axes") {
            guard let norm = try? a.map({ try normalizeAxis($0, rank: rank, n, "axes") }) else { return nil }
            axes = norm
        }
        guard (scales?.count ?? sizes?.count) == axes.count else { return nil }
        return (scales, sizes, axes)
    }

    static func resizeInfer(_ n: WNode, _ g: WGraph) throws -> [ValueInfo] {
        let t = g.typeOf(n.input(0)), o = n.output(0)
        guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: t, shape: nil)] }
        var s = x
        guard let tg = resizeTargets(n, g, rank: x.count) else {
            return [ValueInfo(type: t, shape: x.indices.map { g.unknownDim(o, $0) })]
        }
        let policy = n.string("keep_aspect_ratio_policy") ?? "stretch"
        for (k, a) in tg.axes.enumerated() {
            if let sc = tg.scales {
                if sc[k] == 1 { continue }
                let v = x[a].fixedValue.map { (Float($0) * sc[k]).rounded(.down) }
                s[a] = v.flatMap { $0 >= 0 && $0 < 1e15 ? .fixed(Int($0)) : nil } ?? g.unknownDim(o, a)
            } else if let sz = tg.sizes {
                s[a] = policy == "stretch" ? .fixed(Int(clamping: sz[k])) : g.unknownDim(o, a)
            }
        }
        return [ValueInfo(type: t, shape: s)]
    }

    static func resizeLower(_ n: WNode, _ g: WGraph) throws -> [String: AttributeValue] {
        try checkKnownAttrs(n, ["mode", "coordinate_transformation_mode", "nearest_mode", "cubic_coeff_a", "exclude_outside",
                                "extrapolation_value", "antialias", "axes", "keep_aspect_ratio_policy", "scales", "sizes", "roi"])
        let pos = resizeInputs(n, opset: g.opset)
        // Operands left as inputs (constants became attributes in canonicalizeResize) are value
        // inputs: graph inputs the runtime reads when planning, at positions 1, 2, 3 (opset ≥ 11).
        var valueInputs = false
        for (k, name, type) in [(pos.roi, "roi", EType.float), (pos.scales, "scales", .float), (pos.sizes, "sizes", .int64)] {
            guard let k, !n.input(k).isEmpty else { continue }
            guard n.op == "Resize", g.opset >= 11 else {
                throw n.unsupported("input '\(name)' ('\(n.input(k))') is not a constant; dlrt reads \(n.op)-\(g.opset) \(name) only as a constant")
            }
            try requireValueInput(n, g, k, name, types: [type])
            valueInputs = true
        }
        if let t = g.typeOf(n.input(0)), t != .float {
            throw n.unsupported("input '\(n.input(0))' is \(t); dlrt's Resize computes float32 only")
        }
        if let aa = n.int("antialias"), aa != 0 {
            throw n.unsupported("attribute 'antialias' = \(aa) is not supported (only 0)")
        }
        var mode = n.string("mode") ?? "nearest"
        if n.op == "Upsample" && mode == "bilinear" { mode = "linear" }
        guard ["nearest", "linear", "cubic"].contains(mode), n.op == "Resize" || mode != "cubic" else {
            throw n.unsupported("attribute 'mode' = \"\(mode)\" is not supported (nearest, linear\(n.op == "Resize" ? ", cubic" : ""))")
        }
        let scales = n.floats("scales"), sizes = n.ints("sizes")
        if valueInputs {
            guard scales == nil && sizes == nil && n.floats("roi") == nil else {
                throw n.unsupported("a mix of constant and run-time roi / scales / sizes operands is not supported")
            }
            return try resizeModeAttributes(n, g, mode: mode, sizes: pos.sizes.map { !n.input($0).isEmpty } ?? false, count: nil)
        }
        guard (scales == nil) != (sizes == nil) else {
            throw n.invalid(scales == nil ? "neither scales nor sizes is given" : "both scales and sizes are given")
        }
        let count = scales?.count ?? sizes?.count ?? 0
        if let r = g.rank(n.input(0)), n.ints("axes") == nil, count != r {
            throw n.invalid("\(scales == nil ? "sizes" : "scales") has \(count) values, expected \(r) (rank of '\(n.input(0))')")
        }
        if let scales, !scales.allSatisfy({ $0 > 0 && $0.isFinite && $0 < 1_048_576 }) {
            throw n.invalid("scales \(OAttr.floats(scales).describe) must be positive and finite")
        }
        if let sizes, !sizes.allSatisfy({ $0 >= 0 && $0 < 1 << 40 }) {
            throw n.invalid("sizes \(OAttr.ints(sizes).describe) must be ≥ 0")
        }
        var a = try resizeModeAttributes(n, g, mode: mode, sizes: sizes != nil, count: count)
        if let scales { a["scales"] = .floats(scales) }
        if let sizes { a["sizes"] = .ints(sizes) }
        if n.op == "Upsample" || g.opset <= 10 {
            // onnxruntime's opset-10 "simple" rounding: floor when upsampling, ceil when downsampling.
            let s = scales ?? []
            if s.contains(where: { $0 < 1 }) && s.contains(where: { $0 > 1 }) && mode == "nearest" {
                throw n.unsupported("nearest \(n.op) that upsamples some axes and downsamples others (scales \(OAttr.floats(s).describe)) is not supported at opset \(g.opset)")
            }
            a["nearest_mode"] = .string(s.contains(where: { $0 < 1 }) ? "ceil" : "floor")
        }
        return a
    }

    /// The attributes of a dlrt Resize other than scales / sizes: mode, axes, coordinate
    /// transformation, nearest mode, cubic parameters, roi (constant, or a value input when
    /// `count` is nil) and keep_aspect_ratio_policy (`sizes`: whether sizes are given).
    static func resizeModeAttributes(_ n: WNode, _ g: WGraph, mode: String, sizes: Bool, count: Int?) throws -> [String: AttributeValue] {
        var a: [String: AttributeValue] = ["mode": .string(mode)]
        if let axes = n.ints("axes") { a["axes"] = .ints(axes) }
        if n.op == "Upsample" || g.opset <= 10 {
            a["coordinate_transformation_mode"] = .string("asymmetric")
            return a
        }
        let coord = n.string("coordinate_transformation_mode") ?? "half_pixel"
        let coords = ["half_pixel", "half_pixel_symmetric", "pytorch_half_pixel", "align_corners", "asymmetric",
                      "tf_half_pixel_for_nn", "tf_crop_and_resize"]
        guard coords.contains(coord) else {
            throw n.unsupported("attribute 'coordinate_transformation_mode' = \"\(coord)\" is not supported (\(coords.joined(separator: ", ")))")
        }
        a["coordinate_transformation_mode"] = .string(coord)
        let nearest = n.string("nearest_mode") ?? "round_prefer_floor"
        guard ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"].contains(nearest) else {
            throw n.unsupported("attribute 'nearest_mode' = \"\(nearest)\" is not supported")
        }
        if mode == "nearest" { a["nearest_mode"] = .string(nearest) }
        if mode == "cubic" {
            a["cubic_coeff_a"] = .float(n.float("cubic_coeff_a") ?? -0.75)
            a["exclude_outside"] = .int(n.int("exclude_outside") ?? 0 != 0 ? 1 : 0)
        }
        if coord == "tf_crop_and_resize" {
            if let count {
                guard let roi = n.floats("roi"), roi.count == 2 * count else {
                    throw n.unsupported("coordinate_transformation_mode tf_crop_and_resize needs a constant roi of \(2 * count) values")
                }
                a["roi"] = .floats(roi)
            } else if n.input(1).isEmpty {
                throw n.unsupported("coordinate_transformation_mode tf_crop_and_resize needs a roi")
            }
            a["extrapolation_value"] = .float(n.float("extrapolation_value") ?? 0)
        }
        if let p = n.string("keep_aspect_ratio_policy"), sizes {
            guard ["stretch", "not_larger", "not_smaller"].contains(p) else {
                throw n.unsupported("attribute 'keep_aspect_ratio_policy' = \"\(p)\" is not supported")
            }
            a["keep_aspect_ratio_policy"] = .string(p)
        }
        return a
    }

    static let resizeDefs: [OpDef] = [
        OpDef(name: "Resize", code: .resize, infer: resizeInfer, lower: resizeLower),
        OpDef(name: "Upsample", code: .resize, infer: resizeInfer, lower: resizeLower),
    ]
}
