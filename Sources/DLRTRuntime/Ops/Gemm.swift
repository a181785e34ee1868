import DLRTKernels
import DLRTModel

/// Gemm: Y = act(alpha · op(A) · op(B) + beta · C). A constant B is packed once here.
final class GemmOperator: Operator {
    static let opCode = OpCode.gemm

    let node: Node
    let transA: Bool, transB: Bool
    let alpha: Float, beta: Float
    let activation: DenseActivation
    /// op(B) packed, when B is a constant; with the constant's shape.
    let packedB: DenseBuffer?
    let constantBShape: [Int]?

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        self.node = node
        transA = try a.flag("transA", default: false)
        transB = try a.flag("transB", default: false)
        alpha = try a.float("alpha", default: 1)
        beta = try a.float("beta", default: 1)
        activation = try DenseActivation(node: node)
        if let b = a.constantInput(1, graph: graph), checkedElementCount(b.shape).map({ $0 * b.dtype.byteSize > b.data.byteCount }) ?? true {
            throw a.error("constant B \(describe(b.shape)) has only \(b.data.byteCount) bytes")
        }
        if let b = a.constantInput(1, graph: graph), b.dtype == .float32, b.shape.count == 2,
           let count = checkedElementCount(b.shape), count * 4 <= b.data.byteCount, let base = b.data.bytes.baseAddress {
            let k = transB ? b.shape[1] : b.shape[0], n = transB ? b.shape[0] : b.shape[1]
            packedB = DenseBuffer.packedB(k: k, n: n, b: base.assumingMemoryBound(to: Float.self), ldb: b.shape[1],
                                          transB: transB)
            constantBShape = b.shape
        } else {
            packedB = nil
            constantBShape = nil
        }
    }

    /// (m, n, k, bias strides) for these inputs, validated.
    func dims(_ inputs: [PlanInput]) throws -> (m: Int, n: Int, k: Int, c: (row: Int, col: Int)?) {
        let at = DenseAttributes(node)
        let a = try denseFloatInput(inputs, 0, "A", at)
        let b = try denseFloatInput(inputs, 1, "B", at)
        guard a.count == 2 else { throw at.error("A has shape \(describe(a)), expected rank 2", kind: .shape) }
        guard b.count == 2 else { throw at.error("B has shape \(describe(b)), expected rank 2", kind: .shape) }
        if let cb = constantBShape, cb != b {
            throw at.error("B has shape \(describe(b)) but its constant is \(describe(cb))", kind: .shape)
        }
        let m = transA ? a[1] : a[0], ka = transA ? a[0] : a[1]
        let kb = transB ? b[1] : b[0], n = transB ? b[0] : b[1]
        guard ka == kb else {
            throw at.error("A \(describe(a)) (transA=\(transA ? 1 : 0)) and B \(describe(b)) (transB=\(transB ? 1 : 0)): inner dimensions \(ka) and \(kb) differ",
                           kind: .shape)
        }
        var bias: (row: Int, col: Int)? = nil
        if inputs.count > 2, inputs[2].type != nil {
            let c = try denseFloatInput(inputs, 2, "C", at)
            guard c.count <= 2 else { throw at.error("C has shape \(describe(c)), expected rank ≤ 2", kind: .shape) }
            let cs = [Int](repeating: 1, count: 2 - c.count) + c
            guard (cs[0] == 1 || cs[0] == m) && (cs[1] == 1 || cs[1] == n) else {
                throw at.error("C \(describe(c)) cannot be broadcast to the output [\(m), \(n)]", kind: .shape)
            }
            bias = (cs[0] == 1 ? 0 : cs[1], cs[1] == 1 ? 0 : 1)
        }
        return (m, n, ka, bias)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let d = try dims(inputs)
        return [TensorType(.float32, [d.m, d.n])]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let d = try dims(inputs)
        let a = inputs[0].type?.shape ?? []
        let b = inputs[1].type?.shape ?? []
        let epi = DenseEpilogue(alpha: alpha, beta: beta, bias: nil, biasRowStride: d.c?.row ?? 0,
                                biasColStride: d.c?.col ?? 0, activation: activation)
        return GemmKernel(m: d.m, n: d.n, k: d.k, lda: a.count == 2 ? a[1] : 0, transA: transA,
                          ldb: b.count == 2 ? b[1] : 0, transB: transB, packedB: packedB, hasC: d.c != nil, epilogue: epi)
    }
}

final class GemmKernel: Kernel {
    let m: Int, n: Int, k: Int
    let lda: Int, transA: Bool
    let ldb: Int, transB: Bool
    let packedB: DenseBuffer?
    let hasC: Bool
    let epilogue: DenseEpilogue
    let serial: Bool

    init(m: Int, n: Int, k: Int, lda: Int, transA: Bool, ldb: Int, transB: Bool, packedB: DenseBuffer?, hasC: Bool,
         epilogue: DenseEpilogue) {
        self.m = m; self.n = n; self.k = k
        self.lda = lda; self.transA = transA
        self.ldb = ldb; self.transB = transB
        self.packedB = packedB
        self.hasC = hasC
        self.epilogue = epilogue
        serial = m * n * k < 1 << 16
    }

    var scratchByteCount: Int { 4 * sgemmScratchCount(m: m, n: n, k: k, packA: true, packB: packedB == nil) }

    func run(_ io: KernelIO) {
        let y = io.output(0, as: Float.self)
        var e = epilogue
        if hasC { e.bias = io.input(2, as: Float.self) }
        let a = SGEMMOperand.matrix(io.input(0, as: Float.self), ld: lda, transposed: transA)
        let b: SGEMMOperand = packedB.map { .packed($0.pointer) }
            ?? .matrix(io.input(1, as: Float.self), ld: ldb, transposed: transB)
        let scratch = io.scratch?.assumingMemoryBound(to: Float.self)
        sgemm(m: m, n: n, k: k, a: a, b: b, c: y, ldc: n, epilogue: e, scratch: scratch,
              parallel: denseParallel(io, serial: serial))
    }
}
