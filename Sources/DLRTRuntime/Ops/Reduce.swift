import DLRTKernels
import DLRTModel

// ReduceSum, ReduceMean, ReduceMax, ReduceMin, ReduceL2, ReduceProd on float32.
// Attributes: `axes` (ints; absent or empty = all axes, or none with noop_with_empty_axes = 1),
// `keepdims` (1), `noop_with_empty_axes` (0).

protocol ReduceSpec {
    associatedtype Op: ReduceOperation
    static var opCode: OpCode { get }
}
enum ReduceSumSpec: ReduceSpec { typealias Op = ReduceSumOperation; static var opCode: OpCode { .reduceSum } }
enum ReduceMeanSpec: ReduceSpec { typealias Op = ReduceMeanOperation; static var opCode: OpCode { .reduceMean } }
enum ReduceMaxSpec: ReduceSpec { typealias Op = ReduceMaxOperation; static var opCode: OpCode { .reduceMax } }
enum ReduceMinSpec: ReduceSpec { typealias Op = ReduceMinOperation; static var opCode: OpCode { .reduceMin } }
enum ReduceL2Spec: ReduceSpec { typealias Op = ReduceL2Operation; static var opCode: OpCode { .reduceL2 } }
enum ReduceProdSpec: ReduceSpec { typealias Op = ReduceProdOperation; static var opCode: OpCode { .reduceProd } }

/// `axes` may instead be input 1: a value input (int64 graph input read when planning).
final class ReduceOperator<Spec: ReduceSpec>: Operator, ValueInputConsumer {
    static var opCode: OpCode { Spec.opCode }
    let node: Node
    /// nil: input 1 is a value input, read per plan.
    let constantAxes: [Int64]?
    let keepDims: Bool
    let noop: Bool
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2)
        self.node = node
        if node.inputs.count > 1 && node.inputs[1] >= 0 {
            guard node.attributes["axes"] == nil else { throw OpError(node, "has both attribute 'axes' and an axes input") }
            let t = graph.tensors[Int(node.inputs[1])]
            guard t.dtype == .int64, t.shape.count == 1 else {
                throw OpError(node, "input 1 (axes) is \(t.dtype)\(describe(t.shape)), expected int64 of rank 1", kind: .unsupported)
            }
            constantAxes = t.data == nil ? nil : try constantInts(node, graph, 1, "axes")
        } else {
            constantAxes = try ElemCheck.ints(node, "axes") ?? []
        }
        keepDims = try (ElemCheck.int(node, "keepdims", default: 1) ?? 1) != 0
        noop = try ElemCheck.flag(node, "noop_with_empty_axes")
    }

    /// The axes for this plan: the attribute / constant, or the value input's current values.
    func axesFor(_ inputs: [PlanInput]) throws -> [Int64] {
        if let constantAxes { return constantAxes }
        guard inputs.count > 1, let data = inputs[1].constant else {
            throw OpError(node, "input 1 (axes) has no value when planning", kind: .internalError)
        }
        return data.elements(as: Int64.self)
    }

    /// Which input dims are reduced.
    func reduced(_ shape: [Int], _ axes: [Int64]) throws -> [Bool] {
        if axes.isEmpty { return shape.map { _ in !noop } }
        var r = shape.map { _ in false }
        for a in axes {
            let k = try ElemCheck.axis(node, "axes", a, rank: shape.count, shape: shape)
            if r[k] { throw OpError(node, "attribute 'axes' \(axes) names axis \(k) twice", kind: .shape) }
            r[k] = true
        }
        return r
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.floatInput(node, inputs, 0, "data")
        let r = try reduced(x.shape, try axesFor(inputs))
        var out: [Int] = []
        for (k, d) in x.shape.enumerated() {
            if !r[k] { out.append(d) } else if keepDims { out.append(1) }
        }
        return [TensorType(.float32, out)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.floatInput(node, inputs, 0, "data")
        let axes = try axesFor(inputs)
        let r = try reduced(x.shape, axes)
        // noop_with_empty_axes with no axes: the output is the input (ONNX), not a reduction over
        // one element (which ReduceL2 would turn into |x|).
        if axes.isEmpty && noop { return ByteCopyKernel(byteCount: outputs[0].byteCount) }
        // Collapse neighbouring dims of the same kind; size-1 dims do not matter.
        var groups: [(size: Int, reduced: Bool)] = []
        for (k, d) in x.shape.enumerated() where d != 1 {
            if let last = groups.last, last.reduced == r[k] { groups[groups.count - 1].size *= d } else { groups.append((d, r[k])) }
        }
        let outCount = outputs[0].elementCount
        let reducedGroups = groups.filter(\.reduced)
        if reducedGroups.count <= 1 {
            let at = groups.firstIndex { $0.reduced } ?? groups.count
            let n = reducedGroups.first?.size ?? (x.elementCount == 0 && r.contains(true) ? 0 : 1)
            let inner = groups[(at < groups.count ? at + 1 : at)...].reduce(1) { $0 * $1.size }
            return ReduceKernel<Spec.Op>(outputs: outCount, r: n, inner: inner, base: [], offsets: [])
        }
        // General case: offset tables for the kept (output) and reduced index spaces.
        var strides = [Int](repeating: 1, count: groups.count)
        for k in stride(from: groups.count - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * groups[k + 1].size }
        func offsets(_ reducedKind: Bool) -> [Int] {
            var table = [0]
            for k in groups.indices where groups[k].reduced == reducedKind {
                table = table.flatMap { b in (0 ..< groups[k].size).map { b + $0 * strides[k] } }
            }
            return table
        }
        return ReduceKernel<Spec.Op>(outputs: outCount, r: 0, inner: 0, base: offsets(false), offsets: offsets(true))
    }
}

/// [outer, r, inner] reduction, or through offset tables when `base` is not empty.
final class ReduceKernel<Op: ReduceOperation>: Kernel {
    let outputs: Int, r: Int, inner: Int
    let base: [Int], offsets: [Int]

    init(outputs: Int, r: Int, inner: Int, base: [Int], offsets: [Int]) {
        self.outputs = outputs; self.r = r; self.inner = inner; self.base = base; self.offsets = offsets
    }

    func run(_ io: KernelIO) {
        let work = Swift.max(1, base.isEmpty ? r : offsets.count)
        io.workers.parallelFor(outputs, grain: Swift.max(1, 8192 / work),
                               ReduceTask<Op>(kernel: self, x: io.input(0), y: io.output(0)))
    }
}

private struct ReduceTask<Op: ReduceOperation>: ParallelTask {
    let kernel: ReduceKernel<Op>
    let x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>

    func run(_ outs: Range<Int>) {
        if kernel.base.isEmpty {
            reduceMiddle(Op.self, x, y, r: kernel.r, inner: kernel.inner, outs: outs)
            return
        }
        kernel.base.withUnsafeBufferPointer { base in
            kernel.offsets.withUnsafeBufferPointer { offsets in
                reduceGathered(Op.self, x, y, base: base.baseAddress!, offsets: offsets, outs: outs)
            }
        }
    }
}
