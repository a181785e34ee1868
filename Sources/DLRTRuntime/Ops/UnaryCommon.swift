import DLRTModel

/// Attribute and input checks shared by the elementwise and layout operators. Every error names
/// the node, the attribute or input, the value found and what was expected.
enum ElemCheck {
    /// Fails unless the node has `inputs` inputs (all present unless listed in `optional`) and
    /// exactly `outputs` outputs.
    static func arity(_ node: Node, inputs: ClosedRange<Int>, outputs: Int = 1, optional: Set<Int> = []) throws {
        if !inputs.contains(node.inputs.count) {
            let expected = inputs.count == 1 ? "\(inputs.lowerBound)" : "\(inputs.lowerBound)…\(inputs.upperBound)"
            throw OpError(node, "has \(node.inputs.count) inputs, expected \(expected)")
        }
        for (k, id) in node.inputs.enumerated() where id < 0 && !optional.contains(k) {
            throw OpError(node, "input \(k) is absent, expected a tensor")
        }
        if node.outputs.count != outputs {
            throw OpError(node, "has \(node.outputs.count) outputs, expected \(outputs)")
        }
    }

    static func int(_ node: Node, _ name: String, default value: Int64?) throws -> Int64? {
        guard let a = node.attributes[name] else { return value }
        guard case .int(let v) = a else { throw OpError(node, "attribute '\(name)' is \(a), expected an int") }
        return v
    }

    /// An int attribute that must be 0 or 1.
    static func flag(_ node: Node, _ name: String) throws -> Bool {
        let v = try int(node, name, default: 0) ?? 0
        guard v == 0 || v == 1 else { throw OpError(node, "attribute '\(name)' is \(v), expected 0 or 1") }
        return v == 1
    }

    static func float(_ node: Node, _ name: String, default value: Float) throws -> Float {
        guard let a = node.attributes[name] else { return value }
        switch a {
        case .float(let v): return v
        case .int(let v): return Float(v)
        default: throw OpError(node, "attribute '\(name)' is \(a), expected a float")
        }
    }

    static func ints(_ node: Node, _ name: String) throws -> [Int64]? {
        guard let a = node.attributes[name] else { return nil }
        guard case .ints(let v) = a else { throw OpError(node, "attribute '\(name)' is \(a), expected ints") }
        return v
    }

    /// The planned type of input `k`.
    static func input(_ node: Node, _ inputs: [PlanInput], _ k: Int) throws -> TensorType {
        guard k < inputs.count, let t = inputs[k].type else {
            throw OpError(node, "input \(k) has no type, expected a tensor", kind: .shape)
        }
        return t
    }

    /// The planned type of input `k`, which must be float32.
    static func floatInput(_ node: Node, _ inputs: [PlanInput], _ k: Int, _ role: String) throws -> TensorType {
        let t = try input(node, inputs, k)
        guard t.dtype == .float32 else {
            throw OpError(node, "input \(k) (\(role)) is \(t.dtype)\(describe(t.shape)), expected float32", kind: .unsupported)
        }
        return t
    }

    /// `axis` normalised into 0..<upper (negative counts back from `rank`), or an error naming
    /// the attribute, the value, the input shape and the accepted range.
    static func axis(_ node: Node, _ name: String, _ axis: Int64, rank: Int, inclusiveEnd: Bool = false,
                     shape: [Int]) throws -> Int {
        let upper = inclusiveEnd ? rank : rank - 1
        guard axis >= Int64(-rank), axis <= Int64(upper) else {
            throw OpError(node, "attribute '\(name)' is \(axis), out of range for input shape \(describe(shape)) (rank \(rank)): expected \(-rank)…\(upper)",
                          kind: .shape)
        }
        return axis < 0 ? Int(axis) + rank : Int(axis)
    }
}

/// Copies the bytes of input 0 to output 0 (Identity, Reshape, Flatten).
final class ByteCopyKernel: Kernel {
    let byteCount: Int

    init(byteCount: Int) { self.byteCount = byteCount }

    func run(_ io: KernelIO) {
        if byteCount == 0 { return }
        let src = io.rawInput(0), dst = io.rawOutput(0)
        if UnsafeRawPointer(dst) == src { return }
        dst.copyMemory(from: src, byteCount: byteCount)
    }
}
