import DLRTModel

// Shape, Size, Gather, Cast, Slice (folded, or tracked as symbolic shape values).
extension OpTable {
    /// Resolved Slice parameters per axis: (start, step, count).
    static func sliceParams(_ n: WNode, _ g: WGraph, dims: [Int?]) throws -> [(start: Int, step: Int, count: Int)?]? {
        let r = dims.count
        let starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?
        if let s = n.ints("starts") {   // opset < 10
            guard let e = n.ints("ends") else { return nil }
            starts = s; ends = e; axes = n.ints("axes"); steps = n.ints("steps")
        } else {
            guard let s = g.constInts(n.input(1)), let e = g.constInts(n.input(2)) else { return nil }
            starts = s; ends = e
            if !n.input(3).isEmpty { guard let a = g.constInts(n.input(3)) else { return nil }; axes = a } else { axes = nil }
            if !n.input(4).isEmpty { guard let st = g.constInts(n.input(4)) else { return nil }; steps = st } else { steps = nil }
        }
        let ax = axes ?? (0 ..< starts.count).map(Int64.init)
        guard starts.count == ends.count, ax.count == starts.count, (steps?.count ?? ax.count) == ax.count else {
            throw n.invalid("starts/ends/axes/steps have different lengths")
        }
        var res: [(start: Int, step: Int, count: Int)?] = (0 ..< r).map { dims[$0].map { (0, 1, $0) } }
        for k in 0 ..< ax.count {
            let a = try normalizeAxis(ax[k], rank: r, n, "axes")
            var step: Int64 = steps?[k] ?? 1
            guard step != 0 else { throw n.invalid("slice step is 0") }
            guard let dd = dims[a] else {
                // Unknown size: only the whole-axis slice is understood.
                if starts[k] == 0 && step == 1 && ends[k] >= Int64(Int32.max) { continue }
                res[a] = nil; continue
            }
            let d = Int64(dd)
            step = step > 0 ? min(step, d + 1) : max(step, -(d + 1))   // same slice, no overflow
            func clampIdx(_ v: Int64, lo: Int64, hi: Int64) -> Int64 { min(max(v < 0 ? v + d : v, lo), hi) }
            let s = step > 0 ? clampIdx(starts[k], lo: 0, hi: d) : clampIdx(starts[k], lo: 0, hi: d - 1)
            let e = step > 0 ? clampIdx(ends[k], lo: 0, hi: d) : clampIdx(ends[k], lo: -1, hi: d - 1)
            let span: Int64 = step > 0 ? e - s : s - e
            let mag: Int64 = step > 0 ? step : -step
            let cnt: Int64 = max(0, (span + mag - 1) / mag)
            guard let st = Int(exactly: step), let ss = Int(exactly: s), let cc = Int(exactly: cnt) else { return nil }
            res[a] = (ss, st, cc)
        }
        return res
    }

    static func gatherIndices(_ n: WNode, _ idx: ConstTensor, dim: Int) throws -> [Int] {
        try idx.ints.map {
            let v = $0 < 0 ? $0 + Int64(dim) : $0
            guard v >= 0, v < Int64(dim) else { throw n.invalid("index \($0) out of range for size \(dim)") }
            return Int(v)
        }
    }

    static let shapeOps: [OpDef] = [
        OpDef(name: "Shape", code: nil, infer: { n, g in
            guard let x = g.shapeOf(n.input(0)) else { return [ValueInfo(type: .int64, shape: [g.unknownDim(n.output(0), 0)])] }
            let r = Int64(x.count)
            func clamp(_ v: Int64) -> Int { Int(min(max(v < 0 ? v + r : v, 0), r)) }
            let s = clamp(n.int("start") ?? 0), e = clamp(n.int("end") ?? r)
            let dims = s < e ? Array(x[s ..< e]) : []
            return [ValueInfo(type: .int64, shape: [.fixed(dims.count)], shapeValue: dims.map { $0 })]
        }),
        OpDef(name: "Size", code: nil, infer: { n, g in
            var info = ValueInfo(type: .int64, shape: [])
            if let x = fixedDims(g.shapeOf(n.input(0))), let c = checkedElementCount(x) { info.shapeValue = [.fixed(c)] }
            return [info]
        }),
        OpDef(name: "Gather", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            guard let x = g.shapeOf(n.input(0)), let i = g.shapeOf(n.input(1)) else { return [info] }
            let a = try normalizeAxis(n.int("axis") ?? 0, rank: x.count, n)
            info.shape = Array(x[..<a]) + i + Array(x[(a + 1)...])
            if a == 0, x.count == 1, let sv = g.shapeValue(n.input(0)), let ic = g.constants[n.input(1)], !ic.type.isFloat {
                info.shapeValue = try gatherIndices(n, ic, dim: sv.count).map { sv[$0] }
            }
            return [info]
        }, fold: { n, c in
            guard let x = c[0], let ic = c[1], !ic.type.isFloat else { return nil }
            let a = try normalizeAxis(n.int("axis") ?? 0, rank: x.rank, n)
            let idx = try gatherIndices(n, ic, dim: x.shape[a])
            let outer = dimProduct(x.shape[..<a]), inner = dimProduct(x.shape[(a + 1)...])
            let shape = Array(x.shape[..<a]) + ic.shape + Array(x.shape[(a + 1)...])
            guard checkedElementCount(shape, limit: foldElementLimit) != nil else { return nil }
            var flat: [Int] = []
            for o in 0 ..< outer { for i in idx { for k in 0 ..< inner { flat.append((o * x.shape[a] + i) * inner + k) } } }
            return [x.gathering(flat, shape: shape)]
        }),
        OpDef(name: "Cast", code: nil, infer: { n, g in
            let to = n.int("to").flatMap { EType(rawValue: Int32(truncatingIfNeeded: $0)) }
            var i = ValueInfo(type: to, shape: g.shapeOf(n.input(0)))
            if let to, !to.isFloat, to != .bool { i.shapeValue = g.shapeValue(n.input(0)) }
            return [i]
        }, fold: { n, c in
            guard let x = c[0], let code = n.int("to") else { return nil }
            guard let to = EType(rawValue: Int32(truncatingIfNeeded: code)), to.isNumeric else {
                throw n.unsupported("attribute 'to' = \(code) (\(EType.named(Int32(truncatingIfNeeded: code)))) is not supported")
            }
            return [x.cast(to: to)]
        }),
        OpDef(name: "Slice", code: nil, infer: { n, g in
            var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
            guard let x = g.shapeOf(n.input(0)) else { return [info] }
            guard let p = try sliceParams(n, g, dims: x.map(\.fixedValue)) else {
                info.shape = x.indices.map { g.unknownDim(n.output(0), $0) }
                return [info]
            }
            info.shape = x.indices.map { k in p[k].map { .fixed($0.count) } ?? (x[k].fixedValue == nil && p[k] == nil ? g.unknownDim(n.output(0), k) : x[k]) }
            if x.count == 1, let sv = g.shapeValue(n.input(0)), let q = p[0] {
                info.shapeValue = (0 ..< q.count).map { sv[q.start + $0 * q.step] }
            }
            return [info]
        }, fold: { n, c in
            guard let x = c[0] else { return nil }
            var g = WGraph()
            for (k, name) in n.inputs.enumerated() where k > 0 && !name.isEmpty { if let t = c[k] { g.constants[name] = t } }
            guard let p = try sliceParams(n, g, dims: x.shape) else { return nil }
            let ps = p.compactMap { $0 }
            guard ps.count == x.rank else { return nil }
            let shape = ps.map(\.count)
            guard let total = checkedElementCount(shape, limit: foldElementLimit) else { return nil }
            var strides = [Int](repeating: 1, count: x.rank)
            for k in stride(from: x.rank - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * x.shape[k + 1] }
            var flat: [Int] = []
            flat.reserveCapacity(total)
            var coord = [Int](repeating: 0, count: x.rank)
            for _ in 0 ..< total {
                var src = 0
                for k in 0 ..< x.rank { src += (ps[k].start + coord[k] * ps[k].step) * strides[k] }
                flat.append(src)
                var k = x.rank - 1
                while k >= 0 { coord[k] += 1; if coord[k] < shape[k] { break }; coord[k] = 0; k -= 1 }
            }
            return [x.gathering(flat, shape: shape)]
        }),
    ]
}
