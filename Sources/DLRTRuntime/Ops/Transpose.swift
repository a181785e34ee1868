import DLRTKernels
import DLRTModel

/// Transpose by `perm` (default: reversed dims); any dtype.
final class TransposeOperator: Operator {
    static var opCode: OpCode { .transpose }

    let node: Node
    let perm: [Int]?

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        if let p = try ElemCheck.ints(node, "perm") {
            var seen = [Bool](repeating: false, count: p.count)
            for v in p {
                guard v >= 0, v < Int64(p.count), !seen[Int(v)] else {
                    throw OpError(node, "attribute 'perm' is \(p), expected a permutation of 0…\(p.count - 1)")
                }
                seen[Int(v)] = true
            }
            perm = p.map { Int($0) }
        } else {
            perm = nil
        }
    }

    func permutation(_ shape: [Int]) throws -> [Int] {
        guard let p = perm else { return Array((0 ..< shape.count).reversed()) }
        guard p.count == shape.count else {
            throw OpError(node, "attribute 'perm' \(p) has \(p.count) entries, expected \(shape.count) for input shape \(describe(shape))",
                          kind: .shape)
        }
        return p
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let t = try ElemCheck.input(node, inputs, 0)
        let p = try permutation(t.shape)
        return [TensorType(t.dtype, p.map { t.shape[$0] })]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let t = try ElemCheck.input(node, inputs, 0)
        return TransposeKernel(plan: TransposePlan(shape: t.shape, perm: try permutation(t.shape),
                                                   elementSize: t.dtype.byteSize))
    }
}

final class TransposeKernel: Kernel {
    let plan: TransposePlan
    let work: Int
    let grain: Int

    init(plan: TransposePlan) {
        self.plan = plan
        work = plan.workCount
        grain = Swift.max(1, work == 0 ? 1 : (1 << 14) / Swift.max(1, plan.elementCount / work))
    }

    func run(_ io: KernelIO) {
        let src = io.rawInput(0), dst = io.rawOutput(0)
        io.workers.parallelFor(work, grain: grain, TransposeTask(plan: plan, src: src, dst: dst))
    }
}

/// `TransposePlan.run` over a range of its work items.
private struct TransposeTask: ParallelTask {
    let plan: TransposePlan
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer

    func run(_ work: Range<Int>) { plan.run(src, dst, work: work) }
}
