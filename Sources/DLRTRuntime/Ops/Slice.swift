import DLRTKernels
import DLRTModel

/// Slice with `starts`, `ends`, `axes` (0…), `steps` (1…); ONNX clamping (negative values count
/// from the end, out-of-range values clamp); any dtype. Each operand is an attribute, or (when
/// the attribute is absent) ONNX's input 1…4 — int64/int32 rank-1 tensors read when planning
/// (value inputs when they are graph inputs). With `ends_axes` (one entry per slice, −1 = use
/// `ends`), an entry k ≥ 0 takes that end from dim k of input 1 at run time (`x[:seq]` with `seq`
/// a dim of a graph input); that form has no operand inputs.
final class SliceOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .slice }
    let node: Node
    /// The attributes (nil where the operand is an input).
    let starts: [Int64]?, ends: [Int64]?, axes: [Int64]?, steps: [Int64]?
    let endsAxes: [Int64]?
    let valueInputPositions: [Int]
    static let roles = ["data", "starts", "ends", "axes", "steps"]

    init(node: Node, graph: Graph) throws {
        self.node = node
        starts = try ElemCheck.ints(node, "starts")
        ends = try ElemCheck.ints(node, "ends")
        axes = try ElemCheck.ints(node, "axes")
        steps = try ElemCheck.ints(node, "steps")
        endsAxes = try ElemCheck.ints(node, "ends_axes")
        if let ea = endsAxes {
            guard node.inputs.count == 2 else {
                throw OpError(node, "attribute 'ends_axes' needs input 1 (the tensor whose dims give the ends) and no other; the node has \(node.inputs.count) inputs")
            }
            try ElemCheck.arity(node, inputs: 2 ... 2)
            guard let s = starts, ea.count == s.count else { throw OpError(node, "ends_axes \(ea) and starts \(starts ?? []) have different lengths") }
            valueInputPositions = []
        } else {
            try ElemCheck.arity(node, inputs: 1 ... 5, optional: [1, 2, 3, 4])
            var present: [Int] = []
            for (k, attribute) in [(1, starts), (2, ends), (3, axes), (4, steps)].map({ ($0.0, $0.1 as [Int64]?) }) {
                let input = k < node.inputs.count && node.inputs[k] >= 0
                guard !(input && attribute != nil) else {
                    throw OpError(node, "'\(Self.roles[k])' is both an attribute and input \(k)")
                }
                if input {
                    let id = Int(node.inputs[k])
                    guard id < graph.tensors.count, [.int64, .int32].contains(graph.tensors[id].dtype), graph.tensors[id].shape.count <= 1 else {
                        throw OpError(node, "input \(k) (\(Self.roles[k])) must be an int64 or int32 tensor of rank ≤ 1", kind: .unsupported)
                    }
                    present.append(k)
                } else if k <= 2 && attribute == nil {
                    throw OpError(node, "'\(Self.roles[k])' is required (attribute or input \(k))")
                }
            }
            valueInputPositions = present
        }
        if valueInputPositions.isEmpty { _ = try operands([]) }   // validate the attribute form at load
    }

    /// starts, ends, axes, steps for this plan: attributes, or the inputs' current values.
    func operands(_ inputs: [PlanInput]) throws -> (starts: [Int64], ends: [Int64], axes: [Int64]?, steps: [Int64]?) {
        func value(_ k: Int, _ attribute: [Int64]?) throws -> [Int64]? {
            if let attribute { return attribute }
            guard valueInputPositions.contains(k) else { return nil }
            guard k < inputs.count, let data = inputs[k].constant, let type = inputs[k].type else {
                throw OpError(node, "input \(k) (\(Self.roles[k])) has no value when planning", kind: .internalError)
            }
            return type.dtype == .int32 ? data.elements(as: Int32.self).map { Int64($0) } : data.elements(as: Int64.self)
        }
        let kind: ModelError.Kind = valueInputPositions.isEmpty ? .invalidModel : .shape
        guard let s = try value(1, starts), let e = try value(2, ends) else { throw OpError(node, "starts and ends are required") }
        let a = try value(3, axes), st = try value(4, steps)
        guard e.count == s.count, (a?.count ?? s.count) == s.count, (st?.count ?? s.count) == s.count else {
            throw OpError(node, "starts \(s), ends \(e), axes \(a ?? []), steps \(st ?? []) have different lengths", kind: kind)
        }
        if let st, st.contains(0) { throw OpError(node, "steps \(st) has a 0", kind: kind) }
        return (s, e, a, st)
    }

    /// `ends` with the `ends_axes` entries read from the dims of input 1.
    func resolvedEnds(_ ends: [Int64], _ inputs: [PlanInput]) throws -> [Int64] {
        guard let ea = endsAxes else { return ends }
        let like = try ElemCheck.input(node, inputs, 1)
        var e = ends
        for k in ea.indices where ea[k] >= 0 {
            guard ea[k] < Int64(like.shape.count) else {
                throw OpError(node, "ends_axes \(ea) names dim \(ea[k]) of input 1, which has shape \(describe(like.shape))", kind: .shape)
            }
            e[k] = Int64(like.shape[Int(ea[k])])
        }
        return e
    }

    /// Per input dim: first index, step and count.
    func params(_ shape: [Int], _ inputs: [PlanInput]) throws -> [(start: Int, step: Int, count: Int)] {
        let (starts, rawEnds, axes, steps) = try operands(inputs)
        let ends = try resolvedEnds(rawEnds, inputs)
        var res = shape.map { (start: 0, step: 1, count: $0) }
        var seen = Set<Int>()
        for k in starts.indices {
            let a = try ElemCheck.axis(node, "axes", axes?[k] ?? Int64(k), rank: shape.count, shape: shape)
            guard seen.insert(a).inserted else { throw OpError(node, "attribute 'axes' names axis \(a) twice", kind: .shape) }
            let d = Int64(shape[a])
            let step = Swift.max(Swift.min(steps?[k] ?? 1, d + 1), -(d + 1))
            func clamp(_ v: Int64, _ lo: Int64, _ hi: Int64) -> Int64 {
                let w = v < 0 ? (v < -d ? -1 : v + d) : v
                return Swift.min(Swift.max(w, lo), hi)
            }
            let s = step > 0 ? clamp(starts[k], 0, d) : clamp(starts[k], 0, d - 1)
            let e = step > 0 ? clamp(ends[k], 0, d) : clamp(ends[k], -1, d - 1)
            let span = step > 0 ? e - s : s - e
            let mag = Swift.abs(step)
            res[a] = (Int(s), Int(step), Int(Swift.max(0, (span + mag - 1) / mag)))
        }
        return res
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        return [TensorType(x.dtype, try params(x.shape, inputs).map(\.count))]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        let p = try params(x.shape, inputs)
        var strides = [Int](repeating: 1, count: x.shape.count)
        for k in stride(from: x.shape.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * x.shape[k + 1] }
        let base = p.indices.reduce(0) { $0 + p[$1].start * strides[$1] }
        let plan = StridedCopyPlan(dims: p.map(\.count), strides: p.indices.map { p[$0].step * strides[$0] },
                                   base: outputs[0].elementCount == 0 ? 0 : base, elementSize: x.dtype.byteSize)
        return SliceKernel(plan: plan, empty: outputs[0].elementCount == 0)
    }
}

final class SliceKernel: Kernel {
    let plan: StridedCopyPlan
    let empty: Bool
    init(plan: StridedCopyPlan, empty: Bool) { self.plan = plan; self.empty = empty }

    func run(_ io: KernelIO) {
        if empty { return }
        io.workers.parallelFor(plan.rowCount, grain: Swift.max(1, (1 << 14) / Swift.max(1, plan.rowLength)),
                               SliceTask(plan: plan, src: io.rawInput(0), dst: io.rawOutput(0)))
    }
}

private struct SliceTask: ParallelTask {
    let plan: StridedCopyPlan
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer
    func run(_ r: Range<Int>) { plan.run(src, dst, rows: r) }
}

/// Trilu(X) with `k` (0) and `upper` (1) attributes on the last two dims; any dtype. `k` may
/// instead be input 1, an int64 scalar value input read when planning.
final class TriluOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .trilu }
    let node: Node
    /// nil: k is input 1, a value input read per plan.
    let constantK: Int?
    let upper: Bool
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2)
        self.node = node
        if node.inputs.count > 1 && node.inputs[1] >= 0 {
            guard node.attributes["k"] == nil else { throw OpError(node, "has both attribute 'k' and a k input") }
            let t = graph.tensors[Int(node.inputs[1])]
            guard t.dtype == .int64, t.shape.count <= 1, t.fixedShape.map({ $0.reduce(1, *) == 1 }) == true else {
                throw OpError(node, "input 1 (k) is \(t.dtype)\(describe(t.shape)), expected an int64 scalar", kind: .unsupported)
            }
            constantK = t.data == nil ? nil : Self.clamped(try constantInts(node, graph, 1, "k").first ?? 0)
        } else {
            constantK = Self.clamped(try ElemCheck.int(node, "k", default: 0) ?? 0)
        }
        upper = try (ElemCheck.int(node, "upper", default: 1) ?? 1) != 0
    }

    static func clamped(_ kv: Int64) -> Int { Int(Swift.max(Swift.min(kv, 1 << 40), -(1 << 40))) }

    /// k for this plan: the attribute / constant, or the value input's current value.
    func kFor(_ inputs: [PlanInput]) throws -> Int {
        if let constantK { return constantK }
        guard inputs.count > 1, let v = inputs[1].constant?.elements(as: Int64.self).first else {
            throw OpError(node, "input 1 (k) has no value when planning", kind: .internalError)
        }
        return Self.clamped(v)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        guard x.shape.count >= 2 else { throw OpError(node, "input 0 has shape \(describe(x.shape)), expected rank ≥ 2", kind: .shape) }
        return [x]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let s = outputs[0].shape
        return TriluKernel(rows: s.dropLast().reduce(1, *), n: s[s.count - 2], m: s[s.count - 1], k: try kFor(inputs), upper: upper,
                           elementSize: outputs[0].dtype.byteSize)
    }
}

final class TriluKernel: Kernel {
    let rows: Int, n: Int, m: Int, k: Int, upper: Bool, elementSize: Int
    init(rows: Int, n: Int, m: Int, k: Int, upper: Bool, elementSize: Int) {
        self.rows = rows; self.n = n; self.m = m; self.k = k; self.upper = upper; self.elementSize = elementSize
    }

    func run(_ io: KernelIO) {
        if m == 0 { return }
        io.workers.parallelFor(rows, grain: Swift.max(1, (1 << 16) / (m * elementSize)),
                               TriluTask(kernel: self, src: io.rawInput(0), dst: io.rawOutput(0)))
    }
}

private struct TriluTask: ParallelTask {
    let kernel: TriluKernel
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer
    func run(_ r: Range<Int>) {
        triluRows(src, dst, n: kernel.n, m: kernel.m, k: kernel.k, upper: kernel.upper, elementSize: kernel.elementSize, rows: r)
    }
}
