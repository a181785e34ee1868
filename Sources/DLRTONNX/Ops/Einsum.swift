import DLRTModel

// Einsum → existing dlrt ops (no Einsum op code), any number of operands:
//   1. indices in one operand only and not in the output are summed first (ReduceSum);
//   2. operands are contracted left to right, two at a time; for a pair A, B the indices are
//      batch (both, kept), m (A only, kept), n (B only, kept), k (both, summed):
//        no k:  Mul of A [batch, m, 1…] and B [batch, 1…, n] (Transpose + Unsqueeze, broadcasting);
//        else:  MatMul of A [batch, M, K] and B [batch, K, N] (Transpose + Reshape when a group
//               has several dims), Reshape back to [batch, m…, n…];
//   3. Transpose to the output order.
// Refused (naming the node and equation): an index repeated within one operand (diagonals) or in
// the output, unknown operand ranks, non-float32 operands, and merged groups with more than one
// dim unknown at conversion.

/// A parsed equation: each operand's and the output's indices, "..." expanded to placeholder
/// indices aligned from the right.
struct EinsumEquation {
    var operands: [[Character]]
    var output: [Character]

    init(_ n: WNode, ranks: [Int]) throws {
        guard let raw = n.string("equation") else { throw n.invalid("attribute 'equation' is required") }
        let eq = raw.filter { $0 != " " }
        func refuse(_ why: String) -> ModelError { n.unsupported("equation '\(raw)' is not supported: \(why)") }
        let sides = EinsumEquation.splitEquation(Array(eq), "->")
        guard sides.count <= 2 else { throw refuse("more than one '->'") }
        let terms = EinsumEquation.splitEquation(sides[0], ",")
        guard terms.count == ranks.count else {
            throw n.invalid("equation '\(raw)' has \(terms.count) operands but the node has \(ranks.count) inputs")
        }
        let ellipsisRanks = try zip(terms, ranks).map { term, rank -> Int in
            guard EinsumEquation.ellipsis(term) != nil else { return 0 }
            let letters = term.count - 3
            guard rank >= letters else { throw n.invalid("equation '\(raw)': operand '\(String(term))' has more indices than its rank \(rank)") }
            return rank - letters
        }
        let maxE = ellipsisRanks.max() ?? 0
        guard maxE <= 64 else { throw refuse("'...' stands for \(maxE) dimensions (at most 64)") }
        let placeholders = (0 ..< maxE).map { Character(Unicode.Scalar(0x2460 + $0)!) }
        func expand(_ term: [Character], _ e: Int) -> [Character] {
            guard let at = EinsumEquation.ellipsis(term) else { return term }
            return Array(term[..<at]) + placeholders.suffix(e) + Array(term[(at + 3)...])
        }
        operands = zip(terms, ellipsisRanks).map { expand($0, $1) }
        for (k, (op, rank)) in zip(operands, ranks).enumerated() {
            guard op.allSatisfy({ $0.isLetter || placeholders.contains($0) }) else {
                throw n.invalid("equation '\(raw)': operand \(k) '\(String(terms[k]))' holds a character that is not a letter")
            }
            guard op.count == rank else {
                throw n.invalid("equation '\(raw)': operand \(k) '\(String(terms[k]))' has \(op.count) indices, its input has rank \(rank)")
            }
            if let dup = op.first(where: { c in op.filter { $0 == c }.count > 1 }) {
                throw refuse("index '\(dup)' repeats within operand \(k) (a diagonal)")
            }
        }
        if sides.count == 2 {
            output = expand(sides[1], maxE)
        } else {
            let all = operands.flatMap { $0 }
            output = placeholders + all.filter { c in c.isLetter && all.filter { $0 == c }.count == 1 }.sorted()
        }
        let known = Set(operands.flatMap { $0 })
        for c in output {
            guard known.contains(c) else { throw n.invalid("equation '\(raw)': output index '\(c)' is in no operand") }
            guard output.filter({ $0 == c }).count == 1 else { throw refuse("index '\(c)' repeats in the output") }
        }
    }

    /// `s` split at every occurrence of `sep` (empty parts kept).
    private static func splitEquation(_ s: [Character], _ sep: String) -> [[Character]] {
        let p = Array(sep)
        var parts: [[Character]] = [[]]
        var i = 0
        while i < s.count {
            if i + p.count <= s.count && Array(s[i ..< i + p.count]) == p {
                parts.append([])
                i += p.count
            } else {
                parts[parts.count - 1].append(s[i])
                i += 1
            }
        }
        return parts
    }

    /// Position of the first "..." in a term.
    private static func ellipsis(_ term: [Character]) -> Int? {
        guard term.count >= 3 else { return nil }
        return (0 ... term.count - 3).first { term[$0] == "." && term[$0 + 1] == "." && term[$0 + 2] == "." }
    }

    /// The size of each index over the operands' shapes (a non-1 size wins over 1: broadcasting).
    func sizes(_ shapes: [[Dim]]) -> [Character: Dim] {
        var s: [Character: Dim] = [:]
        for (op, shape) in zip(operands, shapes) {
            for (c, d) in zip(op, shape) where s[c] == nil || s[c] == .fixed(1) { s[c] = d }
        }
        return s
    }
}

extension OpTable {
    static let einsumDef = OpDef(name: "Einsum", code: nil, infer: { n, g in
        let shapes = n.inputs.map { g.shapeOf($0) }
        var info = ValueInfo(type: g.typeOf(n.input(0)), shape: nil)
        guard shapes.allSatisfy({ $0 != nil }), let eq = try? EinsumEquation(n, ranks: shapes.map { $0!.count }) else { return [info] }
        let s = eq.sizes(shapes.map { $0! })
        info.shape = eq.output.map { s[$0] ?? .fixed(1) }
        return [info]
    })

    /// Rewrites Einsum node `n` into dlrt ops: the helper nodes are appended to `g.nodes`, `n`
    /// becomes the last op (keeping the Einsum's output).
    static func lowerEinsum(_ n: inout WNode, _ g: inout WGraph) throws {
        for i in n.inputs where g.typeOf(i) != .float {
            throw n.unsupported("equation '\(n.string("equation") ?? "")': input '\(i)' is \(g.typeOf(i).map { "\($0)" } ?? "of unknown type"); dlrt lowers float32 Einsum only")
        }
        var shapes: [[Dim]] = []
        for i in n.inputs {
            guard let s = g.shapeOf(i) else { throw n.unsupported("the rank of input '\(i)' is unknown; dlrt needs it to lower Einsum") }
            shapes.append(s)
        }
        let eq = try EinsumEquation(n, ranks: shapes.map(\.count))
        let size = eq.sizes(shapes)
        let base = n.name.isEmpty ? "einsum" : n.name
        var emitted: [WNode] = []

        /// A value of the lowering: tensor name and its index letters.
        struct Value { var name: String; var idx: [Character] }
        func emit(_ op: String, _ inputs: [String], _ attrs: [String: OAttr], _ idx: [Character]) -> Value {
            let out = g.freshName(base + "_" + op.lowercased())
            emitted.append(WNode(name: out, op: op, domain: "", inputs: inputs, outputs: [out], attrs: attrs))
            return Value(name: out, idx: idx)
        }
        func transpose(_ v: Value, to order: [Character]) -> Value {
            guard v.idx != order else { return v }
            let perm = order.map { c in Int64(v.idx.firstIndex(of: c)!) }
            return emit("Transpose", [v.name], ["perm": .ints(perm)], order)
        }
        /// Reshape to `lead` dims copied (0) then one dim per group (product of the group).
        func reshape(_ v: Value, lead: Int, groups: [[Character]], idx: [Character]) throws -> Value {
            var target = [Int64](repeating: 0, count: lead)
            var inferred = false
            for grp in groups {
                var p: Int64 = 1
                var symbolic = false
                for c in grp { if let f = size[c]?.fixedValue { p *= Int64(f) } else { symbolic = true } }
                if symbolic {
                    guard !inferred else {
                        throw n.unsupported("equation '\(n.string("equation") ?? "")': more than one merged group of indices has a size unknown at conversion")
                    }
                    inferred = true
                    target.append(-1)
                } else {
                    target.append(p)
                }
            }
            let shapeName = g.freshName(base + "_shape")
            g.constants[shapeName] = .int64(target)
            return emit("Reshape", [v.name, shapeName], [:], idx)
        }

        var ops = zip(n.inputs, eq.operands).map { Value(name: $0, idx: $1) }
        // 1. Sum indices that appear in one operand only and not in the output.
        for k in ops.indices {
            let others = Set(ops.indices.filter { $0 != k }.flatMap { ops[$0].idx } + eq.output)
            let axes = ops[k].idx.indices.filter { !others.contains(ops[k].idx[$0]) }
            if axes.isEmpty { continue }
            ops[k] = emit("ReduceSum", [ops[k].name], ["axes": .ints(axes.map(Int64.init)), "keepdims": .int(0)],
                          ops[k].idx.filter { others.contains($0) })
        }
        /// a ⊗ b keeping the indices `keep` (in that order where possible), summing the others.
        func contract(_ a: Value, _ b: Value, keep: [Character]) throws -> Value {
            let batch = keep.filter { a.idx.contains($0) && b.idx.contains($0) }
            let m = keep.filter { a.idx.contains($0) && !b.idx.contains($0) }
            let nn = keep.filter { b.idx.contains($0) && !a.idx.contains($0) }
            let k = a.idx.filter { b.idx.contains($0) && !keep.contains($0) }
            if k.isEmpty {
                var av = transpose(a, to: batch + m), bv = transpose(b, to: batch + nn)
                if !nn.isEmpty {
                    av = emit("Unsqueeze", [av.name], ["axes": .ints((batch.count + m.count ..< batch.count + m.count + nn.count).map(Int64.init))],
                              av.idx + nn)
                }
                if !m.isEmpty {
                    bv = emit("Unsqueeze", [bv.name], ["axes": .ints((batch.count ..< batch.count + m.count).map(Int64.init))],
                              batch + m + nn)
                }
                return emit("Mul", [av.name, bv.name], [:], batch + m + nn)
            }
            var av = transpose(a, to: batch + m + k), bv = transpose(b, to: batch + k + nn)
            // A [m…, K] · B [K, N] broadcasts the m dims itself: no reshape needed.
            let aDirect = batch.isEmpty && k.count == 1 && nn.count == 1 && b.idx.count == 2
            if !aDirect && (m.count != 1 || k.count != 1) {
                av = try reshape(av, lead: batch.count, groups: [m, k], idx: batch + ["\u{2400}", "\u{2401}"])
            }
            if k.count != 1 || nn.count != 1 {
                bv = try reshape(bv, lead: batch.count, groups: [k, nn], idx: batch + ["\u{2401}", "\u{2402}"])
            }
            var r = emit("MatMul", [av.name, bv.name], [:], batch + m + nn)
            if !aDirect && (m.count != 1 || nn.count != 1) {
                r = try reshape(r, lead: batch.count, groups: (m + nn).map { [$0] }, idx: batch + m + nn)
            }
            return r
        }

        // 2. Contract left to right; an intermediate keeps the indices a later operand or the
        // output still needs (in order of appearance), the last one the output's.
        var result = ops[0]
        for j in ops.indices.dropFirst() {
            let later = Set(ops[(j + 1)...].flatMap(\.idx) + eq.output)
            var keep: [Character] = []
            for c in result.idx + ops[j].idx where later.contains(c) && !keep.contains(c) { keep.append(c) }
            result = try contract(result, ops[j], keep: j == ops.count - 1 ? eq.output : keep)
        }
        result = transpose(result, to: eq.output)
        if let last = emitted.last, last.outputs == [result.name] {
            emitted.removeLast()
            n = WNode(name: n.name, op: last.op, domain: "", inputs: last.inputs, outputs: n.outputs, attrs: last.attrs)
        } else {
            n = WNode(name: n.name, op: "Identity", domain: "", inputs: [result.name], outputs: n.outputs, attrs: [:])
        }
        g.nodes += emitted
    }
}
