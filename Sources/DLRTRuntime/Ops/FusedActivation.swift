import DLRTKernels
import DLRTModel

extension DenseActivation {
    /// Reads the fused-activation attributes (`activation`, `activation_alpha`,
    /// `activation_min`, `activation_max`) of a Conv / Gemm / MatMul node.
    init(node: Node) throws {
        let a = DenseAttributes(node)
        let code = try a.int("activation", default: 0)
        guard let kind = FusedActivation(rawValue: Int64(code)) else {
            throw a.error("attribute 'activation' is \(code), expected 0…\(FusedActivation.allCases.count - 1)")
        }
        let alpha = try a.float("activation_alpha", default: 0.01)
        let lo = try a.float("activation_min", default: -Float.infinity)
        let hi = try a.float("activation_max", default: Float.infinity)
        if kind == .clip && !(lo <= hi) {
            throw a.error("activation_min \(lo) is greater than activation_max \(hi)")
        }
        self.init(kind, alpha: alpha, min: lo, max: hi)
    }
}
