import DLRTModel

/// Fusions for transformer graphs on the lowered dlrt graph (after `--weights` passes).
///
/// MatMul + bias: `Y = Add(MatMul(A, B), c)` (either operand order) where the MatMul output feeds
/// only that Add, c is a constant float32 row vector ([N], or [1, …, 1, N] of rank ≤ the MatMul
/// output's) and N is B's last dimension becomes `MatMul(A, B, c)` with c [N] as the optional
/// bias input 2, added in the GEMM epilogue (docs/OPS.md, MatMul). The sum is the same float
/// operation as the separate Add (bit-identical) and saves one pass over the activations — BERT
/// has six per layer. A MatMul that already has a fused activation is left alone (the Add would
/// come after it).
///
/// GELU: the erf form as PyTorch / BERT exports it, `Mul(Mul(x, Add(Erf(Div(x, √2)), 1)), 0.5)`
/// (the three factors x, 1 + erf(·) and 0.5 in any grouping and order; `Mul(x, 1/√2)` for the
/// Div), every intermediate read only inside the pattern, becomes one `Gelu` (op 74, approximate
/// "none"): one pass through the kernel table's unary entry instead of five over the FFN
/// activations. Constants within 1e-6 relative of √2, 1/√2, 1 and 0.5; results agree to a few ulp.
/// The tanh form as GPT-2 / PyTorch `gelu(approximate="tanh")` export it,
/// `0.5 · x · (1 + Tanh(√(2/π) · (x + 0.044715 · x³)))` with x³ as `Pow(x, 3)` or `x·(x·x)` (any
/// operand order), becomes `Gelu` with approximate "tanh" under the same rules (constants within
/// 1e-6 relative of √(2/π), 0.044715, 3, 1 and 0.5).
enum TransformerFusion {
    @discardableResult
    static func apply(_ g: inout Graph) -> Int {
        fuseGelu(&g) + fuseMatMulBias(&g) + packMatMulWeights(&g)
    }

    // MARK: - B stored packed

    /// Smallest constant B (elements) stored in the packed layout; smaller ones pack at load in
    /// microseconds and would only grow the file by their panel padding.
    static let minimumPackedElements = 65536

    /// MatMul with a constant float32 B [K, N] of at least `minimumPackedElements` values, read
    /// only as MatMul's B, becomes MatMulPackedB (op 119, docs/OPS.md) with B written in the
    /// GEMM's packed layout [⌈N/16⌉, K, 16]: the runtime uses the mapped file bytes in place
    /// instead of copying them into fresh memory at load.
    static func packMatMulWeights(_ g: inout Graph) -> Int {
        var readers: [Int32: (matMulB: Int, other: Int)] = [:]
        for node in g.nodes {
            for (k, id) in node.inputs.enumerated() where id >= 0 {
                if node.op == .matMul && k == 1 { readers[id, default: (0, 0)].matMulB += 1 } else { readers[id, default: (0, 0)].other += 1 }
            }
        }
        for id in g.outputs { readers[id, default: (0, 0)].other += 1 }
        var memo: [Int32: (id: Int32, n: Int)] = [:]
        var packed = 0
        for i in g.nodes.indices where g.nodes[i].op == .matMul && g.nodes[i].inputs.count >= 2 {
            let b = g.nodes[i].inputs[1]
            guard b >= 0, readers[b]?.other == 0 else { continue }
            let t = g.tensors[Int(b)]
            guard t.dtype == .float32, t.quantization == nil, let data = t.data, let shape = t.fixedShape,
                  shape.count == 2, shape[0] * shape[1] >= minimumPackedElements,
                  data.byteCount >= 4 * shape[0] * shape[1] else { continue }
            if memo[b] == nil {
                let (k, n) = (shape[0], shape[1])
                let panels = (n + 15) / 16
                let w = data.elements(as: Float.self)
                var p = [Float](repeating: 0, count: panels * k * 16)
                for q in 0 ..< panels {
                    for kk in 0 ..< k {
                        for j in 0 ..< 16 where q * 16 + j < n { p[(q * k + kk) * 16 + j] = w[kk * n + q * 16 + j] }
                    }
                }
                let id = g.addTensor(Tensor(name: t.name + "/packed", dtype: .float32, shape: [.fixed(panels), .fixed(k), .fixed(16)],
                                            data: TensorData(blob: Blob.copying(p))))
                memo[b] = (id, n)
            }
            guard let m = memo[b] else { continue }
            var node = g.nodes[i]
            node.op = .matMulPackedB
            node.inputs[1] = m.id
            node.attributes["n"] = .int(Int64(m.n))
            g.nodes[i] = node
            packed += 1
        }
        if packed > 0 { Int8Weights.removeUnusedConstants(&g) }
        return packed
    }

    static func fuseMatMulBias(_ g: inout Graph) -> Int {
        var readers: [Int32: Int] = [:]
        for node in g.nodes { for id in node.inputs where id >= 0 { readers[id, default: 0] += 1 } }
        let graphOutputs = Set(g.outputs)
        var producer: [Int32: Int] = [:]
        for (n, node) in g.nodes.enumerated() { for id in node.outputs { producer[id] = n } }

        var removed = Set<Int>()
        var fused = 0
        for n in g.nodes.indices where g.nodes[n].op == .add && g.nodes[n].inputs.count == 2 && g.nodes[n].outputs.count == 1 {
            let add = g.nodes[n]
            for side in 0 ..< 2 {
                let y = add.inputs[side], c = add.inputs[1 - side]
                guard y >= 0, c >= 0, readers[y] == 1, !graphOutputs.contains(y), let m = producer[y],
                      !removed.contains(m), g.nodes[m].op == .matMul, g.nodes[m].inputs.count == 2,
                      g.nodes[m].outputs.count == 1, activationIsNone(g.nodes[m]) else { continue }
                let matMul = g.nodes[m]
                guard let bias = rowVector(&g, c, matMul: matMul) else { continue }
                g.nodes[m].inputs.append(bias)
                g.nodes[m].outputs = add.outputs
                removed.insert(n)
                fused += 1
                break
            }
        }
        guard fused > 0 else { return 0 }
        // Order stays topological: the MatMul comes before its Add, and the Add's readers after it.
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        Int8Weights.removeUnusedConstants(&g)  // a [1, N] bias replaced by its [N] copy
        return fused
    }

    private static func activationIsNone(_ node: Node) -> Bool {
        guard let a = node.attributes["activation"] else { return true }
        if case .int(let v) = a { return v == 0 }
        return false
    }

    /// The id of a constant float32 [N] holding c's values when c is a row vector matching the
    /// MatMul's columns (a reshaped copy is added for [1, …, 1, N]); nil otherwise.
    private static func rowVector(_ g: inout Graph, _ c: Int32, matMul: Node) -> Int32? {
        let t = g.tensors[Int(c)]
        guard t.dtype == .float32, t.quantization == nil, let data = t.data, let shape = t.fixedShape, let n = shape.last,
              shape.dropLast().allSatisfy({ $0 == 1 }), data.byteCount >= 4 * n else { return nil }
        let b = g.tensors[Int(matMul.inputs[1])], y = g.tensors[Int(matMul.outputs[0])]
        guard b.shape.count >= 2, b.shape.last?.fixedValue == n, shape.count <= y.shape.count else { return nil }
        if shape.count == 1 { return c }
        return g.addTensor(Tensor(name: t.name + "/row", dtype: .float32, shape: [.fixed(n)],
                                  data: TensorData(blob: Blob.copying(data.elements(as: Float.self)))))
    }

    // MARK: - GELU

    static func fuseGelu(_ g: inout Graph) -> Int {
        var readers: [Int32: Int] = [:]
        for node in g.nodes { for id in node.inputs where id >= 0 { readers[id, default: 0] += 1 } }
        for id in g.outputs { readers[id, default: 0] += 1 }
        var producer: [Int32: Int] = [:]
        for (n, node) in g.nodes.enumerated() { for id in node.outputs { producer[id] = n } }
        var removed = Set<Int>()
        var fused = 0

        /// The node producing `id` when it has op `op`, one output and `id` has exactly one reader.
        func inner(_ id: Int32, _ op: OpCode) -> Int? {
            guard id >= 0, readers[id] == 1, let p = producer[id], !removed.contains(p), g.nodes[p].op == op,
                  g.nodes[p].outputs.count == 1, g.nodes[p].inputs.count == 2 else { return nil }
            return p
        }
        func scalar(_ id: Int32, _ value: Double) -> Bool {
            guard id >= 0 else { return false }
            let t = g.tensors[Int(id)]
            guard t.dtype == .float32, let d = t.data, let shape = t.fixedShape, shape.allSatisfy({ $0 == 1 }),
                  d.byteCount >= 4 else { return false }
            let v = Double(d.elements(as: Float.self)[0])
            return abs(v - value) <= 1e-6 * value
        }
        /// True when `id` = x³: `Pow(x, 3)`, `x · (x · x)` or `(x · x) · x` (nodes appended).
        func isCube(_ id: Int32, of x: Int32, _ nodes: inout [Int]) -> Bool {
            if let p = inner(id, .pow), g.nodes[p].inputs[0] == x, scalar(g.nodes[p].inputs[1], 3) {
                nodes.append(p)
                return true
            }
            guard let m = inner(id, .mul) else { return false }
            let mi = g.nodes[m].inputs
            for s in 0 ..< 2 where mi[1 - s] == x {
                if let sq = inner(mi[s], .mul), g.nodes[sq].inputs == [x, x] {
                    nodes += [m, sq]
                    return true
                }
            }
            return false
        }
        /// x when `arg` = √(2/π) · (x + 0.044715 · x³) (nodes appended).
        func tanhArgument(_ arg: Int32, _ nodes: inout [Int]) -> Int32? {
            guard let m = inner(arg, .mul) else { return nil }
            let mi = g.nodes[m].inputs
            for s in 0 ..< 2 where scalar(mi[1 - s], (2 / Double.pi).squareRoot()) {
                guard let a = inner(mi[s], .add) else { continue }
                let ai = g.nodes[a].inputs
                for t in 0 ..< 2 {
                    guard let k = inner(ai[1 - t], .mul) else { continue }
                    let ki = g.nodes[k].inputs
                    for u in 0 ..< 2 where scalar(ki[1 - u], 0.044715) {
                        var cube: [Int] = []
                        if isCube(ki[u], of: ai[t], &cube) {
                            nodes += [m, a, k] + cube
                            return ai[t]
                        }
                    }
                }
            }
            return nil
        }
        /// (x, approximate) when `id` = 1 + erf(x / √2) or 1 + tanh(√(2/π)·(x + 0.044715·x³))
        /// (the nodes of the sum appended to `nodes`).
        func onePlusErf(_ id: Int32, _ nodes: inout [Int]) -> (x: Int32, approximate: String)? {
            guard let a = inner(id, .add) else { return nil }
            let ai = g.nodes[a].inputs
            for side in 0 ..< 2 where scalar(ai[1 - side], 1) {
                if ai[side] >= 0, readers[ai[side]] == 1, let t = producer[ai[side]], !removed.contains(t), g.nodes[t].op == .tanh,
                   g.nodes[t].inputs.count == 1, g.nodes[t].outputs.count == 1 {
                    var inside: [Int] = []
                    if let x = tanhArgument(g.nodes[t].inputs[0], &inside) {
                        nodes += [a, t] + inside
                        return (x, "tanh")
                    }
                }
                guard ai[side] >= 0, readers[ai[side]] == 1, let e = producer[ai[side]], g.nodes[e].op == .erf,
                      g.nodes[e].inputs.count == 1, g.nodes[e].outputs.count == 1 else { continue }
                let arg = g.nodes[e].inputs[0]
                if let d = inner(arg, .div), scalar(g.nodes[d].inputs[1], 2.0.squareRoot()) {
                    nodes += [a, e, d]
                    return (g.nodes[d].inputs[0], "none")
                }
                if let m = inner(arg, .mul) {
                    let mi = g.nodes[m].inputs
                    for s2 in 0 ..< 2 where scalar(mi[1 - s2], 0.5.squareRoot()) {
                        nodes += [a, e, m]
                        return (mi[s2], "none")
                    }
                }
            }
            return nil
        }

        for n in g.nodes.indices where g.nodes[n].op == .mul && g.nodes[n].inputs.count == 2 && g.nodes[n].outputs.count == 1 {
            guard !removed.contains(n) else { continue }
            // The three factors: one operand of this Mul is an inner Mul of two of them.
            var match: (x: Int32, approximate: String, nodes: [Int])? = nil
            for side in 0 ..< 2 {
                guard let m = inner(g.nodes[n].inputs[side], .mul) else { continue }
                let factors = g.nodes[m].inputs + [g.nodes[n].inputs[1 - side]]
                for half in factors.indices where scalar(factors[half], 0.5) {
                    let rest = factors.enumerated().filter { $0.offset != half }.map(\.element)
                    for k in 0 ..< 2 {
                        var nodes = [m]
                        if let f = onePlusErf(rest[k], &nodes), f.x == rest[1 - k] { match = (f.x, f.approximate, nodes); break }
                    }
                    if match != nil { break }
                }
                if match != nil { break }
            }
            // Same rank in and out: no constant of the pattern broadcasts x to a higher rank.
            guard let found = match, g.tensors[Int(found.x)].dtype == .float32,
                  g.tensors[Int(found.x)].shape.count == g.tensors[Int(g.nodes[n].outputs[0])].shape.count else { continue }
            g.nodes[n] = Node(name: g.nodes[n].name, op: .gelu, inputs: [found.x], outputs: g.nodes[n].outputs,
                              attributes: found.approximate == "none" ? [:] : ["approximate": .string(found.approximate)])
            removed.formUnion(found.nodes)
            fused += 1
        }
        guard fused > 0 else { return 0 }
        g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        Int8Weights.removeUnusedConstants(&g)
        return fused
    }
}
