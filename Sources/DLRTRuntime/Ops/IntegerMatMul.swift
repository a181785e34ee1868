import DLRTKernels
import DLRTModel

/// MatMulInteger (113): Y int32 = (A − a_zero_point) · (B − b_zero_point) with MatMul's shapes
/// (rank-1 promotion, broadcast batch dims). A, B uint8 or int8 (each zero point of its tensor's
/// dtype); a_zero_point one value or one per row of A ([M] or [M, 1]); b_zero_point one value or
/// one per column of B ([N] or [1, N]); absent = 0. Exact products, int32 sums wrapping.
final class MatMulIntegerOperator: Operator {
    static let opCode = OpCode.matMulInteger
    let node: Node

    init(node: Node, graph: Graph) throws {
        try DenseAttributes(node).checkArity(inputs: 2, optional: 2)
        self.node = node
    }

    struct Setup {
        var l: MatMulOperator.Layout
        var aSigned: Bool, bSigned: Bool
        var aZeroCount: Int, bZeroCount: Int
        var aCount: Int, bCount: Int
    }

    func setup(_ inputs: [PlanInput]) throws -> Setup {
        let at = DenseAttributes(node)
        let a = try IntegerInput(inputs, 0, "A", at), b = try IntegerInput(inputs, 1, "B", at)
        let l = try integerMatMulLayout(a.shape, b.shape, at)
        let az = try IntegerInput.zeroPoint(inputs, 2, "a_zero_point", of: a, perCount: l.m, what: "row of A", at)
        let bz = try IntegerInput.zeroPoint(inputs, 3, "b_zero_point", of: b, perCount: l.n, what: "column of B", at)
        let aCount = a.shape.reduce(1, *), bCount = b.shape.reduce(1, *)
        guard aCount < 1 << 40, bCount < 1 << 40 else { throw at.error("A \(describe(a.shape)) / B \(describe(b.shape)) are too large", kind: .shape) }
        return Setup(l: l, aSigned: a.signed, bSigned: b.signed, aZeroCount: az, bZeroCount: bz, aCount: aCount, bCount: bCount)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.int32, try setup(inputs).l.output)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        MatMulIntegerKernel(try setup(inputs))
    }
}

/// MatMul's broadcast rules for A and B shapes (MatMulOperator.layout without the dtype checks).
func integerMatMulLayout(_ a: [Int], _ b: [Int], _ at: DenseAttributes) throws -> MatMulOperator.Layout {
    guard !a.isEmpty && !b.isEmpty else { throw at.error("A \(describe(a)) and B \(describe(b)) must have rank ≥ 1", kind: .shape) }
    let am = a.count == 1 ? [1, a[0]] : a, bm = b.count == 1 ? [b[0], 1] : b
    var l = MatMulOperator.Layout()
    l.m = am[am.count - 2]; l.k = am[am.count - 1]; l.n = bm[bm.count - 1]
    guard bm[bm.count - 2] == l.k else {
        throw at.error("A \(describe(a)) and B \(describe(b)): inner dimensions \(l.k) and \(bm[bm.count - 2]) differ", kind: .shape)
    }
    let ab = Array(am.dropLast(2)), bb = Array(bm.dropLast(2))
    let r = max(ab.count, bb.count)
    let ap = [Int](repeating: 1, count: r - ab.count) + ab, bp = [Int](repeating: 1, count: r - bb.count) + bb
    var batch = [Int]()
    for i in 0 ..< r {
        guard ap[i] == bp[i] || ap[i] == 1 || bp[i] == 1 else {
            throw at.error("A \(describe(a)) and B \(describe(b)): batch dimensions cannot be broadcast", kind: .shape)
        }
        batch.append(ap[i] == 1 ? bp[i] : ap[i])
    }
    guard checkedElementCount(batch + [l.m, l.n]) != nil, checkedElementCount(a) != nil, checkedElementCount(b) != nil else {
        throw at.error("output of A \(describe(a)) × B \(describe(b)) is too large", kind: .shape)
    }
    l.output = batch + (a.count > 1 ? [l.m] : []) + (b.count > 1 ? [l.n] : [])
    l.aMatrices = ab.reduce(1, *)
    l.bMatrices = bb.reduce(1, *)
    l.batch = batch
    l.aHas = (0 ..< r).map { ap[$0] != 1 }
    l.bHas = (0 ..< r).map { bp[$0] != 1 }
    l.count = batch.reduce(1, *)
    return l
}

final class MatMulIntegerKernel: Kernel {
    let s: MatMulIntegerOperator.Setup
    init(_ s: MatMulIntegerOperator.Setup) { self.s = s }

    /// A and B widened to int32 with their zero points subtracted.
    var scratchByteCount: Int { 4 * (s.aCount + s.bCount) }

    func run(_ io: KernelIO) {
        let l = s.l, m = l.m, n = l.n, k = l.k
        let y = io.output(0, as: Int32.self)
        guard let scratch = io.scratch?.assumingMemoryBound(to: Int32.self) else {
            y.update(repeating: 0, count: l.count * m * n)  // A and B empty (K = 0): all sums are 0
            return
        }
        let a = scratch, b = scratch + s.aCount
        integerWiden(io.rawInput(0), signed: s.aSigned, count: s.aCount, zero: s.aZeroCount > 0 ? io.rawInput(2) : nil,
                     zeroCount: s.aZeroCount, zeroStride: max(k, 1), into: a)
        integerWiden(io.rawInput(1), signed: s.bSigned, count: s.bCount, zero: s.bZeroCount > 0 ? io.rawInput(3) : nil,
                     zeroCount: s.bZeroCount, zeroStride: 1, into: b)
        for t in 0 ..< l.count {
            let (ai, bi) = l.indices(t)
            let am = a + ai * m * k, bm = b + bi * k * n
            for i in 0 ..< m {
                let row = y + (t * m + i) * n
                row.update(repeating: 0, count: n)
                for kk in 0 ..< k {
                    let av = am[i * k + kk]
                    if av == 0 { continue }
                    let brow = bm + kk * n
                    for j in 0 ..< n { row[j] = row[j] &+ av &* brow[j] }
                }
            }
        }
    }
}
