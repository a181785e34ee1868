import DLRTModel

/// Reshape to a constant int64 shape: 0 copies the input dim (unless `allowzero`), one -1 is
/// inferred from the element count.
final class ReshapeOperator: Operator {
    static var opCode: OpCode { .reshape }

    let node: Node
    let requested: [Int64]
    let allowZero: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
        allowZero = try ElemCheck.flag(node, "allowzero")
        let id = Int(node.inputs[1])
        guard id < graph.tensors.count, let data = graph.tensors[id].data, graph.tensors[id].dtype == .int64 else {
            let what = id < graph.tensors.count ? "'\(graph.tensors[id].name)' (\(graph.tensors[id].dtype)\(graph.tensors[id].data == nil ? ", not constant" : ""))" : "\(id)"
            throw OpError(node, "input 1 (shape) is \(what), expected a constant int64 tensor", kind: .unsupported)
        }
        guard graph.tensors[id].shape.count <= 1 else {
            throw OpError(node, "input 1 (shape) has shape \(describe(graph.tensors[id].shape)), expected rank 1")
        }
        let shape = data.elements(as: Int64.self)
        var inferred = 0
        for v in shape {
            if v == -1 { inferred += 1 }
            if v < -1 { throw OpError(node, "requested shape \(shape) has \(v), expected dims ≥ -1") }
        }
        if inferred > 1 { throw OpError(node, "requested shape \(shape) has \(inferred) entries -1, expected at most one") }
        if allowZero && inferred > 0 && shape.contains(0) {
            throw OpError(node, "requested shape \(shape) has both 0 and -1 with allowzero = 1")
        }
        requested = shape
    }

    func outputShape(_ input: [Int]) throws -> [Int] {
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
        return [TensorType(t.dtype, try outputShape(t.shape))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}
