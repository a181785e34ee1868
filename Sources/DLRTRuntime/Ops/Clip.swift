import DLRTKernels
import DLRTModel

/// Clip with `min` / `max` attributes (the converter turns ONNX's min/max inputs into these).
enum ClipSpec: ActivationSpec {
    static var opCode: OpCode { .clip }
    static func makeLoop(_ node: Node) throws -> UnaryLoop {
        let lo = try ElemCheck.float(node, "min", default: -.infinity)
        let hi = try ElemCheck.float(node, "max", default: .infinity)
        if lo.isNaN || hi.isNaN {
            throw OpError(node, "attributes 'min' = \(lo), 'max' = \(hi): expected numbers, not NaN")
        }
        return specializedLoop(ClipFunction(min: lo, max: hi))
    }
}
