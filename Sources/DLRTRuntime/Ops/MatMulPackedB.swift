import DLRTKernels
import DLRTModel

/// MatMulPackedB (op 119): MatMul (op 2) of A [..., M, K] by a constant B [K, N] stored in the
/// file already in the GEMM's packed layout, so loading uses the mapped bytes in place (no copy,
/// no fresh memory to fault in; BERT-6×384 has 40 MB of such weights).
/// B: float32 [P, K, 16], P = ⌈N / 16⌉ panels of 16 columns, element (k, j) of panel q =
/// B[k, 16q + j] (zeros past column N). Attribute `n` (required): N, 16(P − 1) < N ≤ 16P.
/// Optional input 2: bias float32 [N], and the fused activation, as MatMul. Output [..., M, N]
/// (A of rank 1: [N]). Written by the converter (Passes/TransformerFusion.swift).
final class MatMulPackedBOperator: Operator {
    static var opCode: OpCode { .matMulPackedB }

    let node: Node
    let activation: DenseActivation
    let k: Int, n: Int
    let packed: PackedMatrices
    let hasBias: Bool

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        activation = try DenseActivation(node: node)
        hasBias = node.inputs.count > 2 && node.inputs[2] >= 0
        guard sgemmNR == 16 else { throw a.error("this build packs B in panels of \(sgemmNR) columns, the file in 16", kind: .unsupported) }
        guard case .int(let nv)? = node.attributes["n"] else { throw a.error("attribute 'n' (int) is required") }
        guard let b = a.constantInput(1, graph: graph) else {
            throw a.error("B (input 1) must be a constant in the packed layout", kind: .unsupported)
        }
        guard b.dtype == .float32, b.shape.count == 3, b.shape[2] == 16 else {
            throw a.error("B is \(b.dtype)\(describe(b.shape)), expected float32 [panels, K, 16]")
        }
        let panels = b.shape[0]
        guard nv > 0, panels == (Int(clamping: nv) + 15) / 16 else {
            throw a.error("attribute 'n' is \(nv), expected \(panels * 16 - 15)…\(panels * 16) for B \(describe(b.shape))")
        }
        guard let count = checkedElementCount(b.shape), count * 4 <= b.data.byteCount, let base = b.data.bytes.baseAddress else {
            throw a.error("constant B \(describe(b.shape)) has only \(b.data.byteCount) bytes")
        }
        k = b.shape[1]
        n = Int(nv)
        packed = PackedMatrices(borrowing: base.assumingMemoryBound(to: Float.self), owner: b.data)
    }

    func layout(_ inputs: [PlanInput]) throws -> MatMulOperator.Layout {
        let at = DenseAttributes(node)
        let a = try denseFloatInput(inputs, 0, "A", at)
        guard !a.isEmpty else { throw at.error("A \(describe(a)) must have rank ≥ 1", kind: .shape) }
        let am = a.count == 1 ? [1, a[0]] : a
        guard am[am.count - 1] == k else {
            throw at.error("A \(describe(a)) and B [\(k), \(n)]: inner dimensions \(am[am.count - 1]) and \(k) differ", kind: .shape)
        }
        if hasBias {
            let bias = try denseFloatInput(inputs, 2, "bias", at)
            guard bias == [n] else {
                throw at.error("bias has shape \(describe(bias)), expected [\(n)] (one value per output column)", kind: .shape)
            }
        }
        var l = MatMulOperator.Layout()
        l.m = am[am.count - 2]; l.k = k; l.n = n
        let batch = Array(am.dropLast(2))
        l.output = a.count == 1 ? [n] : batch + [l.m, n]
        guard checkedElementCount(batch + [l.m, n]) != nil else {
            throw at.error("output of A \(describe(a)) × B [\(k), \(n)] is too large", kind: .shape)
        }
        l.batch = batch
        l.aHas = batch.map { _ in true }
        l.bHas = batch.map { _ in false }
        l.count = batch.reduce(1, *)
        l.aMatrices = l.count
        l.bMatrices = 1
        return l
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try layout(inputs).output)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        MatMulKernel(try layout(inputs), packedB: packed, activation: activation, hasBias: hasBias)
    }
}
