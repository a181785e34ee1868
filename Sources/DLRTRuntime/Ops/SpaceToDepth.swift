import DLRTKernels
import DLRTModel

/// SpaceToDepth of [N, C, H, W] (any dtype), `blocksize` b dividing H and W: output
/// [N, C·b², H/b, W/b], channel (bh·b + bw)·C + c for `mode` DCR (default), c·b² + bh·b + bw for
/// CRD (see `DepthSpacePlan`).
final class SpaceToDepthOperator: Operator {
    static var opCode: OpCode { .spaceToDepth }

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
        guard x.shape.count == 4, x.shape[2] % b == 0, x.shape[3] % b == 0 else {
            throw OpError(node, "X \(describe(x.shape)) must be [N, C, H, W] with H and W multiples of blocksize \(b)", kind: .shape)
        }
        let out = [x.shape[0], x.shape[1] * b * b, x.shape[2] / b, x.shape[3] / b]
        guard checkedElementCount(out) != nil else { throw OpError(node, "output shape is too large", kind: .shape) }
        return [TensorType(x.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        return DepthSpaceKernel(plan: DepthSpacePlan(spaceToDepth: x.shape, blocksize: blocksize, crd: crd, elementSize: x.dtype.byteSize))
    }
}
