import DLRTKernels
import DLRTModel

/// BatchNormalization, inference form: X [N, C, …], scale, B, mean, var all [C].
final class BatchNormalizationOperator: Operator {
    static var opCode: OpCode { .batchNormalization }

    let node: Node
    let epsilon: Float

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 5 ... 5)
        self.node = node
        epsilon = try ElemCheck.float(node, "epsilon", default: 1e-5)
        guard epsilon >= 0, epsilon.isFinite else {
            throw OpError(node, "attribute 'epsilon' is \(epsilon), expected a finite value ≥ 0")
        }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.floatInput(node, inputs, 0, "X")
        guard x.shape.count >= 2 else {
            throw OpError(node, "input X has shape \(describe(x.shape)), expected rank ≥ 2 ([N, C, …])", kind: .shape)
        }
        let c = x.shape[1]
        for (k, role) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let t = try ElemCheck.floatInput(node, inputs, k, role)
            guard t.shape == [c] else {
                throw OpError(node, "input \(k) (\(role)) has shape \(describe(t.shape)), expected [\(c)] for X \(describe(x.shape))",
                              kind: .shape)
            }
        }
        return [x]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let s = outputs[0].shape
        return BatchNormalizationKernel(planes: s[0] * s[1], channels: s[1], spatial: s[2...].reduce(1, *),
                                        epsilon: epsilon)
    }
}

final class BatchNormalizationKernel: Kernel {
    let planes: Int, channels: Int, spatial: Int
    let epsilon: Float

    init(planes: Int, channels: Int, spatial: Int, epsilon: Float) {
        self.planes = planes
        self.channels = channels
        self.spatial = spatial
        self.epsilon = epsilon
    }

    func run(_ io: KernelIO) {
        let x = io.input(0, as: Float.self), y = io.output(0, as: Float.self)
        let scale = io.input(1, as: Float.self), bias = io.input(2, as: Float.self)
        let mean = io.input(3, as: Float.self), variance = io.input(4, as: Float.self)
        let task = BatchNormalizationTask(x: x, y: y, scale: scale, bias: bias, mean: mean, variance: variance,
                                          epsilon: epsilon, channels: channels, spatial: spatial)
        io.workers.parallelFor(planes, grain: Swift.max(1, 8192 / Swift.max(1, spatial)), task)
    }
}

/// `batchNormalization` over a range of (batch, channel) planes.
private struct BatchNormalizationTask: ParallelTask {
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    let scale: UnsafePointer<Float>, bias: UnsafePointer<Float>
    let mean: UnsafePointer<Float>, variance: UnsafePointer<Float>
    let epsilon: Float, channels: Int, spatial: Int

    func run(_ planes: Range<Int>) {
        batchNormalization(x, y, scale: scale, bias: bias, mean: mean, variance: variance, epsilon: epsilon,
                           channels: channels, spatial: spatial, planes: planes)
    }
}
