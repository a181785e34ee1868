import DLRTKernels
import DLRTModel

/// DepthToSpace and SpaceToDepth of [N, C, H, W] (any dtype): one operator, the direction a type
/// parameter. `blocksize` b ≥ 1; `mode` DCR (default) or CRD (see `DepthSpacePlan`).
/// - DepthToSpace: C a multiple of b² → [N, C/b², H·b, W·b].
/// - SpaceToDepth: H and W multiples of b → [N, C·b², H/b, W/b], channel (bh·b + bw)·C + c for
///   DCR, c·b² + bh·b + bw for CRD.
final class DepthSpaceOperator<Direction: DepthSpaceDirection>: Operator {
    static var opCode: OpCode { Direction.opCode }

    let node: Node
    let blocksize: Int
    let crd: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        guard let b = try ElemCheck.int(node, "blocksize", default: nil) else { throw OpError(node, "attribute 'blocksize' is required") }
        guard b >= 1 && b <= 4096 else { throw OpError(node, "attribute 'blocksize' is \(b), expected 1…4096") }
        blocksize = Int(b)
        let mode = try DenseAttributes(node).string("mode", default: "DCR")
        guard mode == "DCR" || mode == "CRD" else { throw OpError(node, "attribute 'mode' is \"\(mode)\", expected DCR or CRD") }
        crd = mode == "CRD"
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        guard x.shape.count == 4, let out = Direction.outputShape(x.shape, blocksize) else {
            throw OpError(node, "X \(describe(x.shape)) must be [N, C, H, W] with \(Direction.requirement(blocksize))", kind: .shape)
        }
        guard checkedElementCount(out) != nil else { throw OpError(node, "output shape is too large", kind: .shape) }
        return [TensorType(x.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        return DepthSpaceKernel(plan: Direction.plan(x.shape, blocksize, crd, x.dtype.byteSize))
    }
}

/// What differs between DepthToSpace and SpaceToDepth.
protocol DepthSpaceDirection {
    static var opCode: OpCode { get }
    /// The output shape of a rank-4 `x`, nil when `x` does not divide by the block.
    static func outputShape(_ x: [Int], _ b: Int) -> [Int]?
    /// The shape rule, for error messages.
    static func requirement(_ b: Int) -> String
    static func plan(_ x: [Int], _ b: Int, _ crd: Bool, _ elementSize: Int) -> DepthSpacePlan
}

enum DepthToSpace: DepthSpaceDirection {
    static var opCode: OpCode { .depthToSpace }
    static func outputShape(_ x: [Int], _ b: Int) -> [Int]? {
        x[1] % (b * b) == 0 ? [x[0], x[1] / (b * b), x[2] * b, x[3] * b] : nil
    }
    static func requirement(_ b: Int) -> String { "C a multiple of blocksize² = \(b * b)" }
    static func plan(_ x: [Int], _ b: Int, _ crd: Bool, _ elementSize: Int) -> DepthSpacePlan {
        DepthSpacePlan(depthToSpace: x, blocksize: b, crd: crd, elementSize: elementSize)
    }
}

enum SpaceToDepth: DepthSpaceDirection {
    static var opCode: OpCode { .spaceToDepth }
    static func outputShape(_ x: [Int], _ b: Int) -> [Int]? {
        x[2] % b == 0 && x[3] % b == 0 ? [x[0], x[1] * b * b, x[2] / b, x[3] / b] : nil
    }
    static func requirement(_ b: Int) -> String { "H and W multiples of blocksize \(b)" }
    static func plan(_ x: [Int], _ b: Int, _ crd: Bool, _ elementSize: Int) -> DepthSpacePlan {
        DepthSpacePlan(spaceToDepth: x, blocksize: b, crd: crd, elementSize: elementSize)
    }
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
