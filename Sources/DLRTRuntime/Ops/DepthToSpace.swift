import DLRTKernels
import DLRTModel

/// DepthToSpace of [N, C, H, W] (any dtype), `blocksize` b ≥ 1 dividing C by b², `mode` DCR
/// (default) or CRD (see `DepthSpacePlan`).
final class DepthToSpaceOperator: Operator {
    static var opCode: OpCode { .depthToSpace }

    let node: Node
    let blocksize: Int
    let crd: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        blocksize = try spaceDepthBlocksize(node)
        let mode = try DenseAttributes(node).string("mode", default: "DCR")
        guard mode == "DCR" || mode == "CRD" else { throw OpError(node, "attribute 'mode' is \"\(mode)\", expected DCR or CRD") }
        crd = mode == "CRD"
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        let b = blocksize
        guard x.shape.count == 4, x.shape[1] % (b * b) == 0 else {
            throw OpError(node, "X \(describe(x.shape)) must be [N, C, H, W] with C a multiple of blocksize² = \(b * b)", kind: .shape)
        }
        let out = [x.shape[0], x.shape[1] / (b * b), x.shape[2] * b, x.shape[3] * b]
        guard checkedElementCount(out) != nil else { throw OpError(node, "output shape is too large", kind: .shape) }
        return [TensorType(x.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        return DepthSpaceKernel(plan: DepthSpacePlan(depthToSpace: x.shape, blocksize: blocksize, crd: crd, elementSize: x.dtype.byteSize))
    }
}

/// The `blocksize` attribute of DepthToSpace / SpaceToDepth: required, 1…4096.
func spaceDepthBlocksize(_ node: Node) throws -> Int {
    guard let b = try ElemCheck.int(node, "blocksize", default: nil) else { throw OpError(node, "attribute 'blocksize' is required") }
    guard b >= 1 && b <= 4096 else { throw OpError(node, "attribute 'blocksize' is \(b), expected 1…4096") }
    return Int(b)
}

/// DepthToSpace / SpaceToDepth: output rows split among the workers.
final class DepthSpaceKernel: Kernel {
    let plan: DepthSpacePlan
    let grain: Int

    init(plan: DepthSpacePlan) {
        self.plan = plan
        grain = Swift.max(1, (1 << 15) / Swift.max(1, (plan.outputShape.last ?? 1) * plan.elementSize))
    }

    func run(_ io: KernelIO) {
        io.workers.parallelFor(plan.rowCount, grain: grain, DepthSpaceTask(plan: plan, src: io.rawInput(0), dst: io.rawOutput(0)))
    }
}

private struct DepthSpaceTask: ParallelTask {
    let plan: DepthSpacePlan
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer

    func run(_ rows: Range<Int>) { plan.run(src, dst, rows: rows) }
}
