import DLRTKernels
import DLRTModel

/// Split(X) along `axis` (0) into the node's outputs with sizes `split` (ints; absent: equal
/// parts of ceil(dim / outputs), the last one smaller); any dtype. `split` may instead be input 1,
/// an int64 rank-1 value input read when planning.
final class SplitOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .split }
    let node: Node
    let axis: Int64
    let split: [Int64]?
    let valueInputPositions: [Int]

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2, outputs: Swift.max(1, node.outputs.count))
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: 0) ?? 0
        split = try ElemCheck.ints(node, "split")
        if let s = split { try Self.check(node, s) }
        if node.inputs.count == 2 {
            let id = Int(node.inputs[1])
            guard split == nil else { throw OpError(node, "'split' is both an attribute and input 1") }
            guard id < graph.tensors.count, graph.tensors[id].dtype == .int64, graph.tensors[id].shape.count <= 1 else {
                throw OpError(node, "input 1 (split) must be an int64 tensor of rank ≤ 1", kind: .unsupported)
            }
            valueInputPositions = [1]
        } else {
            valueInputPositions = []
        }
    }

    static func check(_ node: Node, _ s: [Int64], kind: ModelError.Kind = .invalidModel) throws {
        guard s.count == node.outputs.count, s.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else {
            throw OpError(node, "'split' \(s) has \(s.count) entries, expected \(node.outputs.count) sizes ≥ 0", kind: kind)
        }
    }

    func sizes(_ shape: [Int], _ inputs: [PlanInput]) throws -> (axis: Int, sizes: [Int]) {
        let a = try ElemCheck.axis(node, "axis", axis, rank: shape.count, shape: shape)
        let d = shape[a], n = node.outputs.count
        var split = self.split
        if !valueInputPositions.isEmpty {
            guard inputs.count > 1, let data = inputs[1].constant else {
                throw OpError(node, "input 1 (split) has no value when planning", kind: .internalError)
            }
            let s = data.elements(as: Int64.self)
            try Self.check(node, s, kind: .shape)
            split = s
        }
        if let s = split {
            // Saturating sum: every entry is ≤ 2^40, but there may be many.
            let sum = s.reduce(Int64(0)) { Swift.min($0 + $1, 1 << 50) }
            guard sum == Int64(d) else {
                throw OpError(node, "'split' \(s) sums to \(sum), expected dim \(a) of \(describe(shape)) (\(d))",
                              kind: .shape)
            }
            return (a, s.map { Int($0) })
        }
        let part = (d + n - 1) / n
        return (a, (0 ..< n).map { Swift.max(0, Swift.min(part, d - $0 * part)) })
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        let (a, s) = try sizes(x.shape, inputs)
        return s.map { n in
            var shape = x.shape
            shape[a] = n
            return TensorType(x.dtype, shape)
        }
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        let (a, s) = try sizes(x.shape, inputs)
        let inner = x.shape[(a + 1)...].reduce(1, *) * x.dtype.byteSize
        return RowChunkKernel(.scatter, outer: x.shape[..<a].reduce(1, *), chunkBytes: s.map { $0 * inner })
    }
}

/// Squeeze(X) removing the size-1 dims `axes` (absent: every size-1 dim); any dtype. `axes` may
/// instead be input 1, an int64 value input read when planning.
final class SqueezeOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .squeeze }
    let node: Node
    let axes: [Int64]?
    let axesInput: Bool
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2)
        self.node = node
        axesInput = try axesValueInput(node, graph)
        axes = axesInput ? nil : try ElemCheck.ints(node, "axes")
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        guard let axes = axesInput ? try planAxes(node, inputs) : axes else { return [TensorType(x.dtype, x.shape.filter { $0 != 1 })] }
        var drop = x.shape.map { _ in false }
        for a in axes {
            let k = try ElemCheck.axis(node, "axes", a, rank: x.shape.count, shape: x.shape)
            guard x.shape[k] == 1 else {
                throw OpError(node, "cannot squeeze axis \(k) of shape \(describe(x.shape)): its size is \(x.shape[k]), expected 1", kind: .shape)
            }
            drop[k] = true
        }
        return [TensorType(x.dtype, x.shape.indices.filter { !drop[$0] }.map { x.shape[$0] })]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}

/// Unsqueeze(X) inserting size-1 dims at `axes` (required; positions in the output); any dtype.
/// `axes` may instead be input 1, an int64 value input read when planning.
final class UnsqueezeOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .unsqueeze }
    let node: Node
    /// nil: input 1, read per plan.
    let constantAxes: [Int64]?
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2)
        self.node = node
        if try axesValueInput(node, graph) {
            constantAxes = nil
        } else {
            guard let a = try ElemCheck.ints(node, "axes") else { throw OpError(node, "attribute 'axes' is required") }
            constantAxes = a
        }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let axes = try constantAxes ?? planAxes(node, inputs)
        let x = try ElemCheck.input(node, inputs, 0)
        let r = x.shape.count + axes.count
        var insert = [Bool](repeating: false, count: r)
        for a in axes {
            let k = try ElemCheck.axis(node, "axes", a, rank: r, shape: x.shape)
            guard !insert[k] else { throw OpError(node, "attribute 'axes' \(axes) names axis \(k) twice", kind: .shape) }
            insert[k] = true
        }
        var it = x.shape.makeIterator()
        return [TensorType(x.dtype, insert.map { $0 ? 1 : (it.next() ?? 1) })]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        ByteCopyKernel(byteCount: outputs[0].byteCount)
    }
}

/// Range whose limit is a dim of a runtime tensor: input `like`; attributes `start` (0),
/// `delta` (1), `limit_axis` (required), `to` (dtype tag: 1 float32, 5 int32, 6 int64; default 6).
/// Output [max(0, ceil((like.shape[limit_axis] − start) / delta))], element i = start + i·delta.
final class RangeOperator: Operator {
    static var opCode: OpCode { .range }
    let node: Node
    let start: Float, delta: Float, axis: Int64, to: DType

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        start = try ElemCheck.float(node, "start", default: 0)
        delta = try ElemCheck.float(node, "delta", default: 1)
        guard let a = try ElemCheck.int(node, "limit_axis", default: nil) else { throw OpError(node, "attribute 'limit_axis' is required") }
        axis = a
        let code = try ElemCheck.int(node, "to", default: 6) ?? 6
        guard let t = UInt8(exactly: code).flatMap(DType.init(rawValue:)), [.float32, .int32, .int64].contains(t) else {
            throw OpError(node, "attribute 'to' is \(code), expected 1 (float32), 5 (int32) or 6 (int64)")
        }
        to = t
        guard delta != 0, delta.isFinite, start.isFinite else { throw OpError(node, "start \(start) / delta \(delta): expected finite values, delta ≠ 0") }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let like = try ElemCheck.input(node, inputs, 0)
        let a = try ElemCheck.axis(node, "limit_axis", axis, rank: like.shape.count, shape: like.shape)
        let n = ((Double(like.shape[a]) - Double(start)) / Double(delta)).rounded(.up)
        return [TensorType(to, [Int(Swift.max(0, Swift.min(n, Double(1 << 40))))])]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        RangeKernel(count: outputs[0].elementCount, start: start, delta: delta, to: to)
    }
}

final class RangeKernel: Kernel {
    let count: Int, start: Float, delta: Float, to: DType
    init(count: Int, start: Float, delta: Float, to: DType) { self.count = count; self.start = start; self.delta = delta; self.to = to }

    func run(_ io: KernelIO) {
        for i in 0 ..< count {
            let v = Double(start) + Double(i) * Double(delta)
            switch to {
            case .float32: io.output(0, as: Float.self)[i] = Float(v)
            // Saturating: Int64(Double) traps outside ±2^63 (start 1e30 is a valid float attribute).
            case .int32: io.output(0, as: Int32.self)[i] = Int32(clamping: RangeKernel.saturatingInt64(v))
            default: io.output(0, as: Int64.self)[i] = RangeKernel.saturatingInt64(v)
            }
        }
    }

    /// v truncated toward zero, clamped to Int64's range (v is finite: start and delta are).
    @inline(__always)
    static func saturatingInt64(_ v: Double) -> Int64 {
        if v >= 9_223_372_036_854_775_807 { return .max }
        if v <= -9_223_372_036_854_775_808 { return .min }
        return v.isNaN ? 0 : Int64(v)
    }
}

/// Whether `axes` is input 1 (an int64 rank-1 value input, or a constant read per plan the same
/// way) rather than the attribute.
func axesValueInput(_ node: Node, _ graph: Graph) throws -> Bool {
    guard node.inputs.count > 1 && node.inputs[1] >= 0 else { return false }
    guard node.attributes["axes"] == nil else { throw OpError(node, "has both attribute 'axes' and an axes input") }
    let t = graph.tensors[Int(node.inputs[1])]
    guard t.dtype == .int64, t.shape.count == 1 else {
        throw OpError(node, "input 1 (axes) is \(t.dtype)\(describe(t.shape)), expected int64 of rank 1", kind: .unsupported)
    }
    return true
}

/// The values of input 1 (axes) for this plan (a constant or a value input).
func planAxes(_ node: Node, _ inputs: [PlanInput]) throws -> [Int64] {
    guard inputs.count > 1, let data = inputs[1].constant else {
        throw OpError(node, "input 1 (axes) has no value when planning", kind: .internalError)
    }
    return data.elements(as: Int64.self)
}
