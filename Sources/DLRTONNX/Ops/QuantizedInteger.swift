import DLRTModel

// ONNX's integer ops. In the chain onnxruntime's `quantize_dynamic` writes they are imported by
// Passes/Int8IntegerImport.swift (→ DynamicQuantizeMatMul / DynamicQuantizeConv). Elsewhere they
// are evaluated only when every input is a constant (the plain reference implementations below,
// used by the constant folder); a node left with a non-constant input is refused when the model
// is imported, with a message naming it.
extension OpTable {
    static let integerOps: [OpDef] = [
        OpDef(name: "DynamicQuantizeLinear", code: nil, infer: { n, g in
            [ValueInfo(type: .uint8, shape: g.shapeOf(n.input(0))), ValueInfo(type: .float, shape: []), ValueInfo(type: .uint8, shape: [])]
        }, fold: { _, c in
            guard let x = c[0], x.type == .float else { return nil }
            return IntegerReference.dynamicQuantize(x)
        }),
        OpDef(name: "MatMulInteger", code: nil, infer: { n, g in
            var shape: [Dim]? = nil
            if let a = g.shapeOf(n.input(0)), let b = g.shapeOf(n.input(1)), a.count >= 2, b.count == 2 { shape = a.dropLast() + [b[1]] }
            return [ValueInfo(type: .int32, shape: shape)]
        }, fold: { n, c in
            guard let a = c[0], let b = c[1] else { return nil }
            return try IntegerReference.matMul(a, b, c.count > 2 ? c[2] : nil, c.count > 3 ? c[3] : nil, n).map { [$0] }
        }),
        OpDef(name: "ConvInteger", code: nil, infer: { _, _ in
            [ValueInfo(type: .int32, shape: nil)]
        }, fold: { n, c in
            guard let x = c[0], let w = c[1] else { return nil }
            return try IntegerReference.conv(x, w, c.count > 2 ? c[2] : nil, c.count > 3 ? c[3] : nil, n).map { [$0] }
        }),
    ]
}

/// Plain reference implementations of ONNX's integer ops (ONNX operator specification; exact
/// integer arithmetic, int32 results wrap like the ONNX reference's int32 accumulation).
enum IntegerReference {
    /// DynamicQuantizeLinear: lo = min(0, min x), hi = max(0, max x), scale = (hi − lo) / 255,
    /// zero = saturate(round(−lo / scale)), y = saturate(round(x / scale) + zero), rounding half to even.
    static func dynamicQuantize(_ x: ConstTensor) -> [ConstTensor]? {
        var lo: Float = 0, hi: Float = 0
        for v in x.f where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        let scale = (hi - lo) / 255
        guard scale > 0, scale.isFinite else { return nil }  // all zeros: ONNX divides by zero; leave it to be refused
        let zero = min(max((0 - lo / scale).rounded(.toNearestOrEven), 0), 255)
        let y = x.f.map { v -> Int64 in
            Int64(v.isNaN ? zero : min(max((v / scale).rounded(.toNearestOrEven) + zero, 0), 255))
        }
        return [ConstTensor(type: .uint8, shape: x.shape, i: y), ConstTensor(type: .float, shape: [], f: [scale]),
                ConstTensor(type: .uint8, shape: [], i: [Int64(zero)])]
    }

    static func isInt8(_ t: ConstTensor) -> Bool { t.type == .uint8 || t.type == .int8 }

    /// MatMulInteger: Y[..., i, j] = Σ_k (A[..., i, k] − a_zero[i]) · (B[k, j] − b_zero[j]) for A
    /// [..., M, K] and B [K, N]; zero points one value or one per row of A / column of B.
    static func matMul(_ a: ConstTensor, _ b: ConstTensor, _ az: ConstTensor?, _ bz: ConstTensor?, _ n: WNode) throws -> ConstTensor? {
        guard isInt8(a), isInt8(b), az.map(isInt8) ?? true, bz.map(isInt8) ?? true else {
            throw n.unsupported("inputs must be uint8 or int8")
        }
        guard a.rank >= 2, b.rank == 2, a.shape[a.rank - 1] == b.shape[0] else {
            throw n.unsupported("A \(a.shape) · B \(b.shape): only A [..., M, K] · B [K, N] is supported")
        }
        let m = a.shape[a.rank - 2], k = b.shape[0], cols = b.shape[1], batch = a.count / max(m * k, 1)
        let azs = az?.ints ?? [0], bzs = bz?.ints ?? [0]
        guard azs.count == 1 || azs.count == m, bzs.count == 1 || bzs.count == cols else {
            throw n.unsupported("zero points must be one value or one per row of A (\(m)) / column of B (\(cols))")
        }
        let qa = a.ints, qb = b.ints
        var y = [Int64](repeating: 0, count: batch * m * cols)
        for p in 0 ..< batch {
            for i in 0 ..< m {
                let za = azs[azs.count == 1 ? 0 : i]
                for j in 0 ..< cols {
                    let zb = bzs[bzs.count == 1 ? 0 : j]
                    var acc: Int32 = 0
                    for kk in 0 ..< k {
                        acc &+= Int32(truncatingIfNeeded: (qa[(p * m + i) * k + kk] - za) * (qb[kk * cols + j] - zb))
                    }
                    y[(p * m + i) * cols + j] = Int64(acc)
                }
            }
        }
        return ConstTensor(type: .int32, shape: Array(a.shape.dropLast()) + [cols], i: y)
    }

    /// ConvInteger (2-D, NCHW, auto_pad NOTSET): Y[b, m, oy, ox] = Σ (X − x_zero) · (W[m] − w_zero[m])
    /// over the group's channels and the kernel taps inside the image (padding contributes 0 after
    /// the zero point is subtracted, as in ONNX's definition where padding holds x_zero_point).
    static func conv(_ x: ConstTensor, _ w: ConstTensor, _ xz: ConstTensor?, _ wz: ConstTensor?, _ n: WNode) throws -> ConstTensor? {
        guard isInt8(x), isInt8(w), xz.map(isInt8) ?? true, wz.map(isInt8) ?? true else { throw n.unsupported("inputs must be uint8 or int8") }
        guard x.rank == 4, w.rank == 4 else { throw n.unsupported("only 2-D ConvInteger (X and W of rank 4) is evaluated") }
        if let p = n.string("auto_pad"), p != "NOTSET" { throw n.unsupported("auto_pad \(p) is not supported") }
        let group = Int(n.int("group") ?? 1)
        let (nb, c, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (m, cg, kh, kw) = (w.shape[0], w.shape[1], w.shape[2], w.shape[3])
        guard group >= 1, c == cg * group, m % group == 0 else { throw n.invalid("X \(x.shape), W \(w.shape) and group \(group) do not match") }
        let s = n.ints("strides") ?? [1, 1], d = n.ints("dilations") ?? [1, 1], p = n.ints("pads") ?? [0, 0, 0, 0]
        guard s.count == 2, d.count == 2, p.count == 4, s.allSatisfy({ $0 >= 1 }), d.allSatisfy({ $0 >= 1 }), p.allSatisfy({ $0 >= 0 }) else {
            throw n.unsupported("strides / dilations / pads must have 2 / 2 / 4 values ≥ 1 / ≥ 1 / ≥ 0")
        }
        let oh = (h + Int(p[0] + p[2]) - Int(d[0]) * (kh - 1) - 1) / Int(s[0]) + 1
        let ow = (wd + Int(p[1] + p[3]) - Int(d[1]) * (kw - 1) - 1) / Int(s[1]) + 1
        guard oh > 0, ow > 0 else { throw n.invalid("the kernel does not fit the padded image") }
        let xzs = xz?.ints ?? [0], wzs = wz?.ints ?? [0]
        guard xzs.count == 1, wzs.count == 1 || wzs.count == m else { throw n.unsupported("x_zero_point must be one value, w_zero_point one or one per output channel") }
        let qx = x.ints, qw = w.ints, mg = m / group
        var y = [Int64](repeating: 0, count: nb * m * oh * ow)
        for b in 0 ..< nb {
            for oc in 0 ..< m {
                let g = oc / mg, zw = wzs[wzs.count == 1 ? 0 : oc]
                for oy in 0 ..< oh {
                    for ox in 0 ..< ow {
                        var acc: Int32 = 0
                        for ci in 0 ..< cg {
                            for ky in 0 ..< kh {
                                let iy = oy * Int(s[0]) - Int(p[0]) + ky * Int(d[0])
                                guard iy >= 0 && iy < h else { continue }
                                for kx in 0 ..< kw {
                                    let ix = ox * Int(s[1]) - Int(p[1]) + kx * Int(d[1])
                                    guard ix >= 0 && ix < wd else { continue }
                                    let xv = qx[((b * c + g * cg + ci) * h + iy) * wd + ix] - xzs[0]
                                    let wv = qw[((oc * cg + ci) * kh + ky) * kw + kx] - zw
                                    acc &+= Int32(truncatingIfNeeded: xv * wv)
                                }
                            }
                        }
                        y[((b * m + oc) * oh + oy) * ow + ox] = Int64(acc)
                    }
                }
            }
        }
        return ConstTensor(type: .int32, shape: [nb, m, oh, ow], i: y)
    }
}
