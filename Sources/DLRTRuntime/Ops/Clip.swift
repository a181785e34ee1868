import DLRTKernels
import DLRTModel

/// Clip of float32 X to [min, max] (ONNX: min(max(x, min), max), so min > max gives max).
/// The bounds are `min` / `max` attributes (the converter turns constant ONNX inputs into these;
/// the loop is specialised at load), or inputs 1 and 2 — one-element float32 tensors, either may
/// be absent — read at the start of every run: a bound fed by the caller or computed in the
/// graph can change between runs without re-planning.
final class ClipOperator: Operator {
    static var opCode: OpCode { .clip }

    let node: Node
    /// The attribute form's loop; nil when the bounds are inputs.
    let loop: UnaryLoop?
    let hasMin: Bool, hasMax: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 3, optional: [1, 2])
        self.node = node
        hasMin = node.inputs.count > 1 && node.inputs[1] >= 0
        hasMax = node.inputs.count > 2 && node.inputs[2] >= 0
        if hasMin || hasMax {
            for name in ["min", "max"] where node.attributes[name] != nil {
                throw OpError(node, "attribute '\(name)' is given together with min / max inputs")
            }
            loop = nil
        } else {
            let lo = try ElemCheck.float(node, "min", default: -.infinity)
            let hi = try ElemCheck.float(node, "max", default: .infinity)
            if lo.isNaN || hi.isNaN {
                throw OpError(node, "attributes 'min' = \(lo), 'max' = \(hi): expected numbers, not NaN")
            }
            loop = specializedLoop(ClipFunction(min: lo, max: hi))
        }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        for (k, present) in [(1, hasMin), (2, hasMax)] where present {
            let t = try ElemCheck.floatInput(node, inputs, k, k == 1 ? "min" : "max")
            guard t.elementCount == 1 else {
                throw OpError(node, "input \(k) (\(k == 1 ? "min" : "max")) has shape \(describe(t.shape)), expected one element", kind: .shape)
            }
        }
        return [try ElemCheck.floatInput(node, inputs, 0, "X")]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        if let loop { return UnaryKernel(loop: loop, count: outputs[0].elementCount) }
        return ClipBoundsKernel(count: outputs[0].elementCount, minInput: hasMin ? 1 : nil, maxInput: hasMax ? 2 : nil)
    }
}

/// Clip with bounds read from input slots at run time.
final class ClipBoundsKernel: Kernel {
    let count: Int
    let minInput: Int?, maxInput: Int?

    init(count: Int, minInput: Int?, maxInput: Int?) {
        self.count = count
        self.minInput = minInput
        self.maxInput = maxInput
    }

    func run(_ io: KernelIO) {
        let lo = minInput.map { io.input($0, as: Float.self).pointee } ?? -.infinity
        let hi = maxInput.map { io.input($0, as: Float.self).pointee } ?? .infinity
        let task = ClipTask(function: ClipFunction(min: lo, max: hi), x: io.input(0, as: Float.self), y: io.output(0, as: Float.self))
        io.workers.parallelFor(count, grain: 1 << 14, task)
    }
}

private struct ClipTask: ParallelTask {
    let function: ClipFunction
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ r: Range<Int>) { mapUnary(function, x + r.lowerBound, y + r.lowerBound, r.count) }
}
