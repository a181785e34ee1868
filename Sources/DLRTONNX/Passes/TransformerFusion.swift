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
enum TransformerFusion {
    @discardableResult
    static func apply(_ g: inout Graph) -> Int {
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
        let b = g.tensors[Int(matMul.inputs[1])], a = g.tensors[Int(matMul.inputs[0])], y = g.tensors[Int(matMul.outputs[0])]
        guard b.shape.count >= 2, b.shape.last?.fixedValue == n, a.shape.count >= 2,
              shape.count <= y.shape.count else { return nil }
        if shape.count == 1 { return c }
        return g.addTensor(Tensor(name: t.name + "/row", dtype: .float32, shape: [.fixed(n)],
                                  data: TensorData(blob: Blob.copying(data.elements(as: Float.self)))))
    }
}
