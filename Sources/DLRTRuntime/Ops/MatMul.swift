import DLRTKernels
import DLRTModel

/// MatMul with numpy semantics (rank-1 promotion, broadcast batch dims) and a fused activation.
/// A constant B is packed once per batch matrix here. Optional input 2 (dlrt only, written by the
/// converter's TransformerFusion pass): a float32 bias [N] added to every row before the
/// activation (MatMul followed by Add of a constant row vector).
final class MatMulOperator: Operator {
    static let opCode = OpCode.matMul

    let node: Node
    let activation: DenseActivation
    let packedB: PackedMatrices?
    let constantBShape: [Int]?
    let hasBias: Bool

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        try a.checkArity(inputs: 2, optional: 1)
        hasBias = node.inputs.count > 2 && node.inputs[2] >= 0
        self.node = node
        activation = try DenseActivation(node: node)
        if let b = a.constantInput(1, graph: graph), checkedElementCount(b.shape).map({ $0 * b.dtype.byteSize > b.data.byteCount }) ?? true {
            throw a.error("constant B \(describe(b.shape)) has only \(b.data.byteCount) bytes")
        }
        if let b = a.constantInput(1, graph: graph), b.dtype == .float32, !b.shape.isEmpty,
           let count = checkedElementCount(b.shape), count * 4 <= b.data.byteCount, let base = b.data.bytes.baseAddress {
            let bm = b.shape.count == 1 ? [b.shape[0], 1] : b.shape
            let k = bm[bm.count - 2], n = bm[bm.count - 1]
            let matrices = bm.dropLast(2).reduce(1, *)
            let p = base.assumingMemoryBound(to: Float.self)
            packedB = PackedMatrices(count: matrices, floatsEach: sgemmPackedBCount(k: k, n: n)) { i, dst in
                sgemmPackB(k: k, n: n, b: p + i * k * n, ldb: n, transB: false, into: dst, panels: 0 ..< sgemmPanelsB(n))
            }
            constantBShape = b.shape
        } else {
            packedB = nil
            constantBShape = nil
        }
    }

    struct Layout {
        var m = 0, n = 0, k = 0
        var output: [Int] = []
        /// Broadcast batch dims of the output and, per dim, whether A / B have it (size > 1).
        /// Matrix indices are computed per output matrix in `run` (no per-matrix tables, so a
        /// huge declared batch costs no memory at load; see docs/ROBUSTNESS.md).
        var batch: [Int] = []
        var aHas: [Bool] = []
        var bHas: [Bool] = []
        var count = 1
        var aMatrices = 1, bMatrices = 1

        /// A's and B's matrix index for output matrix `t` (row-major over `batch`).
        @inline(__always)
        func indices(_ t: Int) -> (a: Int, b: Int) {
            var rem = t, ai = 0, bi = 0, astride = 1, bstride = 1
            var d = batch.count - 1
            while d >= 0 {
                let size = batch[d]
                let i = rem % size
                rem /= size
                if aHas[d] { ai += i * astride; astride *= size }
                if bHas[d] { bi += i * bstride; bstride *= size }
                d -= 1
            }
            return (ai, bi)
        }
    }

    func layout(_ inputs: [PlanInput]) throws -> Layout {
        let at = DenseAttributes(node)
        let a = try denseFloatInput(inputs, 0, "A", at)
        let b = try denseFloatInput(inputs, 1, "B", at)
        guard !a.isEmpty && !b.isEmpty else {
            throw at.error("A \(describe(a)) and B \(describe(b)) must have rank ≥ 1", kind: .shape)
        }
        if let cb = constantBShape, cb != b {
            throw at.error("B has shape \(describe(b)) but its constant is \(describe(cb))", kind: .shape)
        }
        let am = a.count == 1 ? [1, a[0]] : a
        let bm = b.count == 1 ? [b[0], 1] : b
        var l = Layout()
        l.m = am[am.count - 2]; l.k = am[am.count - 1]; l.n = bm[bm.count - 1]
        guard bm[bm.count - 2] == l.k else {
            throw at.error("A \(describe(a)) and B \(describe(b)): inner dimensions \(l.k) and \(bm[bm.count - 2]) differ",
                           kind: .shape)
        }
        if hasBias {
            let bias = try denseFloatInput(inputs, 2, "bias", at)
            guard bias == [l.n] else {
                throw at.error("bias has shape \(describe(bias)), expected [\(l.n)] (one value per output column)", kind: .shape)
            }
        }
        let ab = Array(am.dropLast(2)), bb = Array(bm.dropLast(2))
        let r = max(ab.count, bb.count)
        let ap = [Int](repeating: 1, count: r - ab.count) + ab
        let bp = [Int](repeating: 1, count: r - bb.count) + bb
        var batch = [Int]()
        for i in 0 ..< r {
            guard ap[i] == bp[i] || ap[i] == 1 || bp[i] == 1 else {
                throw at.error("A \(describe(a)) and B \(describe(b)): batch dimensions cannot be broadcast", kind: .shape)
            }
            batch.append(ap[i] == 1 ? bp[i] : ap[i])
        }
        var out = batch
        if a.count > 1 { out.append(l.m) }
        if b.count > 1 { out.append(l.n) }
        guard let total = checkedElementCount(batch + [l.m, l.n]) else {
            throw at.error("output of A \(describe(a)) × B \(describe(b)) is too large", kind: .shape)
        }
        _ = total
        l.output = out
        l.aMatrices = ab.reduce(1, *)
        l.bMatrices = bb.reduce(1, *)
        l.batch = batch
        l.aHas = (0 ..< r).map { ap[$0] != 1 }
        l.bHas = (0 ..< r).map { bp[$0] != 1 }
        l.count = batch.reduce(1, *)
        return l
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.float32, try layout(inputs).output)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        MatMulKernel(try layout(inputs), packedB: packedB, activation: activation, hasBias: hasBias)
    }
}

final class MatMulKernel: Kernel {
    let l: MatMulOperator.Layout
    let packedB: PackedMatrices?
    let epilogue: DenseEpilogue
    let hasBias: Bool
    /// One B matrix and A's batch contiguous: a single GEMM with m × (A's matrices).
    let collapsed: Bool
    let serial: Bool

    init(_ l: MatMulOperator.Layout, packedB: PackedMatrices?, activation: DenseActivation, hasBias: Bool) {
        self.l = l
        self.packedB = packedB
        self.hasBias = hasBias
        epilogue = DenseEpilogue(biasRowStride: 0, biasColStride: 1, activation: activation)
        collapsed = l.bMatrices == 1 && l.count == l.aMatrices
        let (work, overflow) = (l.count * l.m * l.n).multipliedReportingOverflow(by: Swift.max(l.k, 1))
        serial = !overflow && work < 1 << 16
    }

    var scratchByteCount: Int {
        let m = collapsed ? l.m * l.aMatrices : l.m
        return 4 * sgemmScratchCount(m: m, n: l.n, k: l.k, packA: true, packB: packedB == nil)
    }

    func run(_ io: KernelIO) {
        let a = io.input(0, as: Float.self)
        let b = io.input(1, as: Float.self)
        let y = io.output(0, as: Float.self)
        let scratch = io.scratch?.assumingMemoryBound(to: Float.self)
        let (m, n, k) = (l.m, l.n, l.k)
        let parallel = denseParallel(io, serial: serial)
        var epilogue = epilogue
        if hasBias { epilogue.bias = io.input(2, as: Float.self) }
        if collapsed {
            let bOp: SGEMMOperand = packedB.map { .packed($0.pointer(0)) } ?? .matrix(b, ld: n, transposed: false)
            sgemm(m: m * l.aMatrices, n: n, k: k, a: .matrix(a, ld: k, transposed: false), b: bOp, c: y, ldc: n,
                  epilogue: epilogue, scratch: scratch, parallel: parallel)
            return
        }
        for t in 0 ..< l.count {
            let (ai, bi) = l.indices(t)
            let bOp: SGEMMOperand = packedB.map { .packed($0.pointer(bi)) } ?? .matrix(b + bi * k * n, ld: n, transposed: false)
            sgemm(m: m, n: n, k: k, a: .matrix(a + ai * m * k, ld: k, transposed: false), b: bOp,
                  c: y + t * m * n, ldc: n, epilogue: epilogue, scratch: scratch, parallel: parallel)
        }
    }
}
