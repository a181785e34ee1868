import DLRTKernels
import DLRTModel

/// Typed access to a node's attributes for the dense ops; errors name the node, the attribute,
/// the value found and what was expected.
struct DenseAttributes {
    let node: Node

    init(_ node: Node) { self.node = node }

    func error(_ message: String, kind: ModelError.Kind = .invalidModel) -> ModelError {
        OpError(node, message, kind: kind)
    }

    private func kindName(_ v: AttributeValue) -> String {
        switch v {
        case .int: return "int"
        case .float: return "float"
        case .ints: return "ints"
        case .floats: return "floats"
        case .string: return "string"
        }
    }

    func int(_ name: String, default d: Int) throws -> Int {
        guard let v = node.attributes[name] else { return d }
        guard case .int(let x) = v else { throw error("attribute '\(name)' is \(kindName(v)) \(v), expected int") }
        guard let i = Int(exactly: x) else { throw error("attribute '\(name)' is \(x), out of range") }
        return i
    }

    func float(_ name: String, default d: Float) throws -> Float {
        guard let v = node.attributes[name] else { return d }
        switch v {
        case .float(let x): return x
        case .int(let x): return Float(x)
        default: throw error("attribute '\(name)' is \(kindName(v)) \(v), expected float")
        }
    }

    func ints(_ name: String) throws -> [Int]? {
        guard let v = node.attributes[name] else { return nil }
        guard case .ints(let xs) = v else { throw error("attribute '\(name)' is \(kindName(v)) \(v), expected ints") }
        var out: [Int] = []
        for x in xs {
            guard let i = Int(exactly: x), i > -(1 << 31), i < (1 << 31) else { throw error("attribute '\(name)' value \(x) is out of range") }
            out.append(i)
        }
        return out
    }

    func string(_ name: String, default d: String) throws -> String {
        guard let v = node.attributes[name] else { return d }
        guard case .string(let s) = v else { throw error("attribute '\(name)' is \(kindName(v)) \(v), expected string") }
        return s
    }

    /// A 0/1 flag.
    func flag(_ name: String, default d: Bool) throws -> Bool {
        let v = try int(name, default: d ? 1 : 0)
        guard v == 0 || v == 1 else { throw error("attribute '\(name)' is \(v), expected 0 or 1") }
        return v == 1
    }

    /// Checks the input and output counts: `inputs` required, up to `optional` more.
    func checkArity(inputs: Int, optional: Int = 0, outputs: Int = 1) throws {
        let n = node.inputs.count
        guard n >= inputs && n <= inputs + optional else {
            let expected = optional == 0 ? "\(inputs)" : "\(inputs)…\(inputs + optional)"
            throw error("has \(n) inputs, expected \(expected)")
        }
        guard node.outputs.count == outputs else {
            throw error("has \(node.outputs.count) outputs, expected \(outputs)")
        }
        for i in 0 ..< inputs where node.inputs[i] < 0 {
            throw error("input \(i) is required but absent")
        }
    }

    /// The constant bytes of input `i`, if it is a constant (with its declared fixed shape).
    func constantInput(_ i: Int, graph: Graph) -> (data: TensorData, shape: [Int], dtype: DType)? {
        guard i < node.inputs.count else { return nil }
        let id = Int(node.inputs[i])
        guard id >= 0, id < graph.tensors.count else { return nil }
        let t = graph.tensors[id]
        guard let d = t.data, let shape = t.fixedShape else { return nil }
        return (d, shape, t.dtype)
    }
}

/// Checks that a plan input is present and float32; returns its shape.
func denseFloatInput(_ inputs: [PlanInput], _ i: Int, _ name: String, _ attrs: DenseAttributes) throws -> [Int] {
    guard i < inputs.count, let t = inputs[i].type else { throw attrs.error("input \(name) is absent") }
    guard t.dtype == .float32 else {
        throw attrs.error("input \(name) is \(t.dtype), expected float32", kind: .unsupported)
    }
    return t.shape
}

/// The context's workers, or inline loops when `serial` (too little work to be worth splitting).
func denseParallel(_ io: KernelIO, serial: Bool) -> any ParallelLoop {
    serial ? SerialLoop() : io.workers
}
