import DLRTKernels
import DLRTModel

/// TopK(X) → Values, Indices (int64; optional): the `k` largest (`largest` = 1) or smallest
/// elements along `axis` (-1), sorted best first; equal values: lower index first; NaN ranks
/// above every number. X float32, int32 or int64. `k` is an attribute (the converter moves a
/// constant K input into it) or input 1, an int64 [1] value input read when planning; k greater
/// than the axis' dim is refused when planning.
final class TopKOperator: Operator, ValueInputConsumer {
    static var opCode: OpCode { .topK }
    let node: Node
    let axis: Int64
    /// nil: K is input 1, a value input read per plan.
    let constantK: Int?
    let largest: Bool
    var valueInputPositions: [Int] { [1] }

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 2, outputs: node.outputs.count == 2 ? 2 : 1)
        self.node = node
        axis = try ElemCheck.int(node, "axis", default: -1) ?? -1
        if node.inputs.count > 1 && node.inputs[1] >= 0 {
            guard node.attributes["k"] == nil else { throw OpError(node, "has both attribute 'k' and a K input") }
            let t = graph.tensors[Int(node.inputs[1])]
            guard t.dtype == .int64, t.shape == [.fixed(1)] else {
                throw OpError(node, "input 1 (K) is \(t.dtype)\(describe(t.shape)), expected int64 [1]", kind: .unsupported)
            }
            constantK = t.data == nil ? nil : try Self.checkedK(node, constantInts(node, graph, 1, "K").first ?? -1, "input 1 (K)")
        } else {
            guard let kk = try ElemCheck.int(node, "k", default: nil) else { throw OpError(node, "attribute 'k' is required") }
            constantK = try Self.checkedK(node, kk)
        }
        let l = try ElemCheck.int(node, "largest", default: 1) ?? 1
        guard l == 0 || l == 1 else { throw OpError(node, "attribute 'largest' is \(l), expected 0 or 1") }
        largest = l == 1
        // `sorted` = 0 leaves the order unspecified (ONNX); dlrt always sorts.
        let s = try ElemCheck.int(node, "sorted", default: 1) ?? 1
        guard s == 0 || s == 1 else { throw OpError(node, "attribute 'sorted' is \(s), expected 0 or 1") }
    }

    /// `what`: "attribute 'k'" (a bad file) or "input 1 (K)" (a bad value at run: a shape error).
    static func checkedK(_ node: Node, _ kk: Int64, _ what: String = "attribute 'k'") throws -> Int {
        guard kk >= 0, kk <= Int64(Int32.max) else {
            throw OpError(node, "\(what) is \(kk), expected 0…\(Int32.max)", kind: what.hasPrefix("input") ? .shape : .invalidModel)
        }
        return Int(kk)
    }

    /// K for this plan: the attribute / constant, or the value input's current value.
    func kFor(_ inputs: [PlanInput]) throws -> Int {
        if let constantK { return constantK }
        guard inputs.count > 1, let data = inputs[1].constant, let v = data.elements(as: Int64.self).first else {
            throw OpError(node, "input 1 (K) has no value when planning", kind: .internalError)
        }
        return try Self.checkedK(node, v, "input 1 (K)")
    }

    func view(_ inputs: [PlanInput]) throws -> (TensorType, Int, outer: Int, n: Int, inner: Int, k: Int) {
        let k = try kFor(inputs)
        let x = try ElemCheck.input(node, inputs, 0)
        guard [.float32, .int32, .int64].contains(x.dtype) else {
            throw OpError(node, "input 0 (X) is \(x), expected float32, int32 or int64", kind: .unsupported)
        }
        let a = try ElemCheck.axis(node, "axis", axis, rank: x.shape.count, shape: x.shape)
        guard k <= x.shape[a] else {
            throw OpError(node, "k = \(k) is larger than axis \(a) of input \(describe(x.shape)) (\(x.shape[a]) elements)", kind: .shape)
        }
        return (x, a, x.shape[..<a].reduce(1, *), x.shape[a], x.shape[(a + 1)...].reduce(1, *), k)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (x, a, _, _, _, k) = try view(inputs)
        var s = x.shape
        s[a] = k
        let values = TensorType(x.dtype, s)
        return node.outputs.count == 2 ? [values, TensorType(.int64, s)] : [values]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (x, _, outer, n, inner, k) = try view(inputs)
        let loop: TopKFunction
        switch x.dtype {
        case .int32: loop = topKFunction(Int32.self)
        case .int64: loop = topKFunction(Int64.self)
        default: loop = topKFunction(Float.self)
        }
        return TopKKernel(loop: loop, outer: outer, n: n, inner: inner, k: k, largest: largest, withIndices: node.outputs.count == 2)
    }
}

/// One heap of k indices in scratch; the columns run on the calling thread.
final class TopKKernel: Kernel {
    let loop: TopKFunction
    let outer: Int, n: Int, inner: Int, k: Int
    let largest: Bool, withIndices: Bool

    init(loop: @escaping TopKFunction, outer: Int, n: Int, inner: Int, k: Int, largest: Bool, withIndices: Bool) {
        self.loop = loop
        self.outer = outer; self.n = n; self.inner = inner; self.k = k; self.largest = largest; self.withIndices = withIndices
    }

    var scratchByteCount: Int { k * MemoryLayout<Int>.stride }

    func run(_ io: KernelIO) {
        guard k > 0, let scratch = io.scratch else { return }
        loop(io.rawInput(0), io.rawOutput(0), withIndices ? io.output(1, as: Int64.self) : nil, n, inner, k, largest,
             scratch.assumingMemoryBound(to: Int.self), 0 ..< outer * inner)
    }
}
