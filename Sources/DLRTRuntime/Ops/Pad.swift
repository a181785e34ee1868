import DLRTKernels
import DLRTModel

/// Pad of any dtype: `pads` [b1…, e1…] for every axis (negative values crop), `mode` constant /
/// reflect / edge / wrap, `value` the constant (a float for float tensors, an int for integer and
/// bool tensors; either is converted). Reflect and wrap repeat when the pads exceed the input.
final class PadOperator: Operator {
    static var opCode: OpCode { .pad }

    let node: Node
    let mode: PadMode
    let pads: [Int]
    let value: AttributeValue?

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        let a = DenseAttributes(node)
        let m = try a.string("mode", default: "constant")
        guard let mode = PadMode(rawValue: m) else {
            throw a.error("attribute 'mode' is \"\(m)\", expected constant, reflect, edge or wrap")
        }
        self.mode = mode
        guard let p = try a.ints("pads") else { throw a.error("attribute 'pads' is required") }
        guard p.count % 2 == 0, p.allSatisfy({ abs($0) < 1 << 30 }) else {
            throw a.error("attribute 'pads' \(describe(p)) must have an even count of values within ±2^30")
        }
        pads = p
        value = node.attributes["value"]
        if let v = value {
            switch v {
            case .int, .float: break
            default: throw a.error("attribute 'value' is \(v), expected an int or a float")
            }
        }
    }

    func outputShape(_ x: TensorType) throws -> [Int] {
        let r = x.shape.count
        guard pads.count == 2 * r else {
            throw OpError(node, "attribute 'pads' has \(pads.count) values, expected \(2 * r) for X \(describe(x.shape))", kind: .shape)
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
        return out
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
        let out = try outputShape(x)
        guard checkedElementCount(out).map({ $0 < 1 << 40 }) == true else {
            throw OpError(node, "output shape \(describe(out)) is too large", kind: .shape)
        }
        return [TensorType(x.dtype, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        _ = try outputShape(x)
        let plan = PadPlan(shape: x.shape, pads: pads, mode: mode, elementSize: x.dtype.byteSize)
        return PadKernel(plan: plan, value: try constantBits(x.dtype))
    }
}

final class PadKernel: Kernel {
    let plan: PadPlan
    let value: UInt64
    let grain: Int

    init(plan: PadPlan, value: UInt64) {
        self.plan = plan
        self.value = value
        grain = Swift.max(1, (1 << 15) / Swift.max(1, (plan.outShape.last ?? 1) * plan.elementSize))
    }

    func run(_ io: KernelIO) {
        io.workers.parallelFor(plan.rowCount, grain: grain, PadTask(plan: plan, src: io.rawInput(0), dst: io.rawOutput(0), value: value))
    }
}

private struct PadTask: ParallelTask {
    let plan: PadPlan
    let src: UnsafeRawPointer, dst: UnsafeMutableRawPointer
    let value: UInt64

    func run(_ rows: Range<Int>) { plan.run(src, dst, value: value, rows: rows) }
}
