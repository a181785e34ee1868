import DLRTModel

/// Reshape to an int64 shape: 0 copies the input dim (unless `allowzero`), one -1 is inferred
/// from the element count. The shape is a constant (checked at load) or a value input (a graph
/// input read when planning; the plan is rebuilt when its values change).
final class ReshapeOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .reshape }

    let node: Node
    /// nil: input 1 is a value input, read per plan.
    let requested: [Int64]?
    let allowZero: Bool
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
        let allowZero = try ElemCheck.flag(node, "allowzero")
        self.allowZero = allowZero
        let id = Int(node.inputs[1])
        guard id < graph.tensors.count, graph.tensors[id].dtype == .int64 else {
            let what = id < graph.tensors.count ? "'\(graph.tensors[id].name)' (\(graph.tensors[id].dtype))" : "\(id)"
            throw OpError(node, "input 1 (shape) is \(what), expected an int64 tensor", kind: .unsupported)
        }
        guard graph.tensors[id].shape.count <= 1 else {
            throw OpError(node, "input 1 (shape) has shape \(describe(graph.tensors[id].shape)), expected rank 1")
        }
        if let data = graph.tensors[id].data {
            requested = try Self.parse(node, data.elements(as: Int64.self), allowZero: allowZero)
        } else {
            requested = nil
        }
    }

    /// The requested shape, validated.
    static func parse(_ node: Node, _ shape: [Int64], allowZero: Bool) throws -> [Int64] {
        var inferred = 0
        for v in shape {
            if v == -1 { inferred += 1 }
            if v < -1 { throw OpError(node, "requested shape \(shape) has \(v), expected dims ≥ -1") }
        }
        if inferred > 1 { throw OpError(node, "requested shape \(shape) has \(inferred) entries -1, expected at most one") }
        if allowZero && inferred > 0 && shape.contains(0) {
            throw OpError(node, "requested shape \(shape) has both 0 and -1 with allowzero = 1")
        }
        return shape
    }

    /// The requested shape for this plan: the constant, or the value input's current values.
    func requestedShape(_ inputs: [PlanInput]) throws -> [Int64] {
        if let requested { return requested }
        guard inputs.count > 1, let data = inputs[1].constant else {
            throw OpError(node, "input 1 (shape) has no value when planning", kind: .internalError)
        }
        do {
            return try Self.parse(node, data.elements(as: Int64.self), allowZero: allowZero)
        } catch let e as ModelError {
            throw ModelError(.shape, e.message)
        }
    }

    func outputShape(_ input: [Int], _ requested: [Int64]) throws -> [Int] {
        let total = input.reduce(1, *)
        func fail(_ why: String) -> ModelError {
            OpError(node, "cannot reshape input \(describe(input)) (\(total) elements) to requested shape \(requested): \(why)",
                    kind: .shape)
        }
        var out: [Int] = []
        var known = 1, inferAt = -1
        for (k, v) in requested.enumerated() {
            var d = Int(v)
            if v == 0 && !allowZero {
                guard k < input.count else { throw fail("entry \(k) is 0 but the input has rank \(input.count)") }
                d = input[k]
            }
            if d == -1 { inferAt = k; out.append(1); continue }
            let (p, overflow) = known.multipliedReportingOverflow(by: d)
            if overflow || p > 1 << 40 { throw fail("the requested element count overflows") }
            known = p
            out.append(d)
        }
        if inferAt >= 0 {
            guard known > 0, total % known == 0 else {
                throw fail("the other dims hold \(known) elements, which does not divide \(total)")
            }
            out[inferAt] = total / known
        } else if known != total {
            throw fail("the requested shape holds \(known) elements")
        }
        return out
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let t = try ElemCheck.input(node, inputs, 0)
        return [TensorType(t.dtype, try outputShape(t.shape, try requestedShape(inputs)))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}
