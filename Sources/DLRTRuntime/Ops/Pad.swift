import DLRTKernels
import DLRTModel

/// Pad of any dtype: `pads` [b1…, e1…] for every axis (negative values crop), `mode` constant /
/// reflect / edge / wrap, `value` the constant (a float for float tensors, an int for integer and
/// bool tensors; either is converted). Reflect and wrap repeat when the pads exceed the input.
/// ONNX's inputs may stand in for the attributes: `pads` (input 1) and `axes` (input 3; the
/// listed axes' pads, the others 0) are int64 rank-1 tensors read when planning (value inputs
/// when they are graph inputs); `constant_value` (input 2, one element of X's dtype) is read at
/// every run.
final class PadOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .pad }

    let node: Node
    let mode: PadMode
    /// The attribute; nil when pads come from input 1.
    let pads: [Int]?
    let value: AttributeValue?
    let valueInputPositions: [Int]
    let hasValueInput: Bool

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 4, optional: [1, 2, 3])
        self.node = node
        let a = DenseAttributes(node)
        let m = try a.string("mode", default: "constant")
        guard let mode = PadMode(rawValue: m) else {
            throw a.error("attribute 'mode' is \"\(m)\", expected constant, reflect, edge or wrap")
        }
        self.mode = mode
        func present(_ k: Int) -> Bool { k < node.inputs.count && node.inputs[k] >= 0 }
        for k in [1, 3] where present(k) {
            let id = Int(node.inputs[k])
            guard id < graph.tensors.count, graph.tensors[id].dtype == .int64, graph.tensors[id].shape.count <= 1 else {
                throw OpError(node, "input \(k) (\(k == 1 ? "pads" : "axes")) must be an int64 tensor of rank ≤ 1", kind: .unsupported)
            }
        }
        valueInputPositions = [1, 3].filter(present)
        hasValueInput = present(2)
        if present(1) {
            guard node.attributes["pads"] == nil else { throw a.error("'pads' is both an attribute and input 1") }
            pads = nil
        } else {
            guard !present(3) else { throw a.error("input 3 (axes) needs pads as input 1") }
            guard let p = try a.ints("pads") else { throw a.error("attribute 'pads' is required") }
            pads = try Self.checked(node, p.map { Int64($0) }, kind: .invalidModel)
        }
        if hasValueInput, node.attributes["value"] != nil { throw a.error("'value' is both an attribute and input 2") }
        value = node.attributes["value"]
        if let v = value {
            switch v {
            case .int, .float: break
            default: throw a.error("attribute 'value' is \(v), expected an int or a float")
            }
        }
    }

    static func checked(_ node: Node, _ p: [Int64], kind: ModelError.Kind) throws -> [Int] {
        guard p.count % 2 == 0, p.allSatisfy({ Swift.abs($0) < 1 << 30 }) else {
            throw OpError(node, "pads \(p) must have an even count of values within ±2^30", kind: kind)
        }
        return p.map { Int($0) }
    }

    /// The pads of this plan for rank `r`: the attribute, or input 1 (spread over input 3's axes).
    func resolvedPads(_ inputs: [PlanInput], rank r: Int, shape: [Int]) throws -> [Int] {
        if let pads { return pads }
        func ints(_ k: Int) throws -> [Int64] {
            guard k < inputs.count, let data = inputs[k].constant else {
                throw OpError(node, "input \(k) has no value when planning", kind: .internalError)
            }
            return data.elements(as: Int64.self)
        }
        let p = try Self.checked(node, try ints(1), kind: .shape)
        guard valueInputPositions.contains(3) else { return p }
        let axes = try ints(3)
        guard p.count == 2 * axes.count else {
            throw OpError(node, "pads \(p) need \(2 * axes.count) values for axes \(axes)", kind: .shape)
        }
        var full = [Int](repeating: 0, count: 2 * r)
        var seen = Set<Int>()
        for (j, axis) in axes.enumerated() {
            let a = try ElemCheck.axis(node, "axes", axis, rank: r, shape: shape)
            guard seen.insert(a).inserted else { throw OpError(node, "axes \(axes) names axis \(a) twice", kind: .shape) }
            full[a] = p[j]
            full[a + r] = p[j + axes.count]
        }
        return full
    }

    func outputShape(_ x: TensorType, _ inputs: [PlanInput]) throws -> (shape: [Int], pads: [Int]) {
        let r = x.shape.count
        let pads = try resolvedPads(inputs, rank: r, shape: x.shape)
        guard pads.count == 2 * r else {
            throw OpError(node, "'pads' has \(pads.count) values, expected \(2 * r) for X \(describe(x.shape))", kind: .shape)
        }
        var out: [Int] = []
        for d in 0 ..< r {
            let o = x.shape[d] + pads[d] + pads[d + r]
            guard o >= 0 else {
                throw OpError(node, "pads \(describe(pads)) crop axis \(d) of X \(describe(x.shape)) below 0", kind: .shape)
            }
            let kept = x.shape[d] - Swift.max(0, -pads[d]) - Swift.max(0, -pads[d + r])
            if mode != .constant && o > 0 && kept <= 0 {
                throw OpError(node, "mode \(mode.rawValue) cannot pad axis \(d) of X \(describe(x.shape)): no input element is left (pads \(describe(pads)))",
                              kind: .shape)
            }
            out.append(o)
        }
        return (out, pads)
    }

    /// The constant's bit pattern in X's dtype.
    func constantBits(_ t: DType) throws -> UInt64 {
        var f: Float = 0, i: Int64 = 0
        switch value {
        case .float(let v)?: f = v; i = v.isFinite && Swift.abs(v) < 9e18 ? Int64(v) : 0
        case .int(let v)?: f = Float(v); i = v
        default: break
        }
        switch t {
        case .float32: return UInt64(f.bitPattern)
        case .float16: return UInt64(Float16(f).bitPattern)
        case .bool: return i != 0 || f != 0 ? 1 : 0
        default: return UInt64(bitPattern: i)
        }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        if hasValueInput {
            let v = try ElemCheck.input(node, inputs, 2)
            guard v.dtype == x.dtype, v.elementCount == 1 else {
                throw OpError(node, "input 2 (constant_value) is \(v.dtype)\(describe(v.shape)), expected one \(x.dtype) element", kind: .shape)
            }
        }
        let out = try outputShape(x, inputs).shape
        guard checkedElementCount(out).map({ $0 < 1 << 40 }) == true else {
            throw OpError(node, "output shape \(describe(out)) is too large", kind: .shape)
        }
        return [TensorType(x.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        let pads = try outputShape(x, inputs).pads
        let plan = PadPlan(shape: x.shape, pads: pads, mode: mode, elementSize: x.dtype.byteSize)
        return PadKernel(plan: plan, value: try constantBits(x.dtype), valueInput: hasValueInput)
    }
}

final class PadKernel: Kernel {
    let plan: PadPlan
    let value: UInt64
    /// Read the constant from input 2 (one element of X's dtype) at every run.
    let valueInput: Bool
    let grain: Int

    init(plan: PadPlan, value: UInt64, valueInput: Bool) {
        self.plan = plan
        self.value = value
        self.valueInput = valueInput
        grain = Swift.max(1, (1 << 15) / Swift.max(1, (plan.outShape.last ?? 1) * plan.elementSize))
    }

    func run(_ io: KernelIO) {
        var bits = value
        if valueInput {
            bits = 0
            withUnsafeMutableBytes(of: &bits) { $0.baseAddress!.copyMemory(from: io.rawInput(2), byteCount: Swift.min(plan.elementSize, 8)) }
        }
        io.workers.parallelFor(plan.rowCount, grain: grain, PadTask(plan: plan, src: io.rawInput(0), dst: io.rawOutput(0), value: bits))
    }
}

private struct PadTask: ParallelTask {
    let plan: PadPlan
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer
    let value: UInt64

    func run(_ rows: Range<Int>) { plan.run(src, dst, value: value, rows: rows) }
}
