import DLRTKernels
import DLRTModel

// Equal, Less, Greater, LessOrEqual, GreaterOrEqual, And, Or, Xor (broadcast, bool output),
// Not, IsNaN (unary, bool output), Where (select), Expand (broadcast copy).

/// A comparison or logic op: its predicate and the input types it accepts.
protocol PredicateSpec {
    associatedtype P: BinaryPredicate
    static var opCode: OpCode { get }
    static var types: [DType] { get }
}

enum EqualSpec: PredicateSpec {
    typealias P = EqualPredicate
    static var opCode: OpCode { .equal }
    static var types: [DType] { [.float32, .int32, .int64, .bool, .int8, .uint8] }
}
enum LessSpec: PredicateSpec {
    typealias P = LessPredicate
    static var opCode: OpCode { .less }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
}
enum GreaterSpec: PredicateSpec {
    typealias P = GreaterPredicate
    static var opCode: OpCode { .greater }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
}
enum LessOrEqualSpec: PredicateSpec {
    typealias P = LessOrEqualPredicate
    static var opCode: OpCode { .lessOrEqual }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
}
enum GreaterOrEqualSpec: PredicateSpec {
    typealias P = GreaterOrEqualPredicate
    static var opCode: OpCode { .greaterOrEqual }
    static var types: [DType] { [.float32, .int32, .int64, .int8, .uint8] }
}
enum AndSpec: PredicateSpec {
    typealias P = AndPredicate
    static var opCode: OpCode { .and }
    static var types: [DType] { [.bool] }
}
enum OrSpec: PredicateSpec {
    typealias P = OrPredicate
    static var opCode: OpCode { .or }
    static var types: [DType] { [.bool] }
}
enum XorSpec: PredicateSpec {
    typealias P = XorPredicate
    static var opCode: OpCode { .xor }
    static var types: [DType] { [.bool] }
}

/// Runs a `NaryBroadcastPlan` row body over the output rows; `bind` makes the body from the
/// run's addresses (a stored closure: calling it does not allocate).
final class BroadcastRowKernel<B: BroadcastRowBody>: Kernel {
    let plan: NaryBroadcastPlan
    let bind: (KernelIO) -> B

    init(plan: NaryBroadcastPlan, bind: @escaping (KernelIO) -> B) {
        self.plan = plan
        self.bind = bind
    }

    func run(_ io: KernelIO) {
        let rows = plan.rowCount
        io.workers.parallelFor(rows, grain: Swift.max(1, (1 << 14) / Swift.max(1, plan.rowLength)),
                               BroadcastRowTask(plan: plan, body: bind(io)))
    }
}

private struct BroadcastRowTask<B: BroadcastRowBody>: ParallelTask {
    let plan: NaryBroadcastPlan
    let body: B
    func run(_ r: Range<Int>) { plan.forEachRow(r, body) }
}

/// The broadcast plan of `shapes` or an error naming them.
func broadcastPlan(_ node: Node, _ shapes: [[Int]], extra: [[Int]] = []) throws -> NaryBroadcastPlan {
    guard let p = NaryBroadcastPlan(shapes, extra: extra) else {
        throw OpError(node, "cannot broadcast shapes \((shapes + extra).map { describe($0) }.joined(separator: ", "))", kind: .shape)
    }
    return p
}

/// Comparisons and logic with numpy broadcasting; output bool.
final class PredicateOperator<Spec: PredicateSpec>: Operator {
    static var opCode: OpCode { Spec.opCode }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
    }

    func plan(_ inputs: [PlanInput]) throws -> (NaryBroadcastPlan, DType) {
        let a = try ElemCheck.input(node, inputs, 0), b = try ElemCheck.input(node, inputs, 1)
        guard a.dtype == b.dtype else { throw OpError(node, "inputs have different types: A is \(a), B is \(b)", kind: .shape) }
        guard Spec.types.contains(a.dtype) else {
            throw OpError(node, "input type \(a.dtype) is not supported, expected \(Spec.types.map(\.description).joined(separator: ", "))",
                          kind: .unsupported)
        }
        return (try broadcastPlan(node, [a.shape, b.shape]), a.dtype)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(.bool, try plan(inputs).0.outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (p, dtype) = try plan(inputs)
        func make<T: PredicateElement>(_: T.Type) -> Kernel {
            BroadcastRowKernel(plan: p) { io in PredicateRow<Spec.P, T>(a: io.input(0), b: io.input(1), c: io.output(0)) }
        }
        switch dtype {
        case .float32: return make(Float.self)
        case .int32: return make(Int32.self)
        case .int64: return make(Int64.self)
        case .int8: return make(Int8.self)
        default: return make(UInt8.self)
        }
    }
}

/// A unary op with bool output: Not (bool in), IsNaN (float32 in).
protocol BoolUnarySpec {
    static var opCode: OpCode { get }
    static var inputType: DType { get }
    static func map(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<UInt8>, _ r: Range<Int>)
}

enum NotSpec: BoolUnarySpec {
    static var opCode: OpCode { .not }
    static var inputType: DType { .bool }
    static func map(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<UInt8>, _ r: Range<Int>) {
        let p = x.assumingMemoryBound(to: UInt8.self)
        for i in r { y[i] = p[i] == 0 ? 1 : 0 }
    }
}

enum IsNaNSpec: BoolUnarySpec {
    static var opCode: OpCode { .isNaN }
    static var inputType: DType { .float32 }
    static func map(_ x: UnsafeRawPointer, _ y: UnsafeMutablePointer<UInt8>, _ r: Range<Int>) {
        let p = x.assumingMemoryBound(to: Float.self)
        for i in r { y[i] = p[i].isNaN ? 1 : 0 }
    }
}

final class BoolUnaryOperator<Spec: BoolUnarySpec>: Operator {
    static var opCode: OpCode { Spec.opCode }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let t = try ElemCheck.input(node, inputs, 0)
        guard t.dtype == Spec.inputType else {
            throw OpError(node, "input 0 is \(t), expected \(Spec.inputType)", kind: .unsupported)
        }
        return [TensorType(.bool, t.shape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        BoolUnaryKernel<Spec>(count: outputs[0].elementCount)
    }
}

final class BoolUnaryKernel<Spec: BoolUnarySpec>: Kernel {
    let count: Int
    init(count: Int) { self.count = count }
    func run(_ io: KernelIO) { Spec.map(io.rawInput(0), io.output(0), 0 ..< count) }
}

/// Where(condition bool, X, Y): X where the condition holds, else Y; numpy broadcasting of all
/// three; X and Y any dtype (the same).
final class WhereOperator: Operator {
    static var opCode: OpCode { .where }
    let node: Node

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 3 ... 3)
        self.node = node
    }

    func plan(_ inputs: [PlanInput]) throws -> (NaryBroadcastPlan, DType) {
        let c = try ElemCheck.input(node, inputs, 0), x = try ElemCheck.input(node, inputs, 1), y = try ElemCheck.input(node, inputs, 2)
        guard c.dtype == .bool else { throw OpError(node, "input 0 (condition) is \(c), expected bool", kind: .unsupported) }
        guard x.dtype == y.dtype else { throw OpError(node, "X is \(x) and Y is \(y), expected the same type", kind: .shape) }
        return (try broadcastPlan(node, [c.shape, x.shape, y.shape]), x.dtype)
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let (p, t) = try plan(inputs)
        return [TensorType(t, p.outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let (p, t) = try plan(inputs)
        func make<T>(_: T.Type) -> Kernel {
            BroadcastRowKernel(plan: p) { io in SelectRow<T>(cond: io.input(0), x: io.input(1), z: io.input(2), y: io.output(0)) }
        }
        switch t.byteSize {
        case 1: return make(UInt8.self)
        case 2: return make(UInt16.self)
        case 4:  // float32 / int32: the non-generic row (vectorized mask layouts)
            return BroadcastRowKernel(plan: p) { io in Select32Row(cond: io.input(0), x: io.input(1), z: io.input(2), y: io.output(0)) }
        default: return make(UInt64.self)
        }
    }
}

/// Expand(X, shape): X broadcast with a constant int64 shape (numpy rules: the output is the
/// broadcast of both); any dtype.
final class ExpandOperator: Operator {
    static var opCode: OpCode { .expand }
    let node: Node
    let target: [Int]

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 2 ... 2)
        self.node = node
        let t = try constantInts(node, graph, 1, "shape")
        guard t.allSatisfy({ $0 >= 0 && $0 <= 1 << 40 }) else {
            throw OpError(node, "input 1 (shape) is \(t), expected dims ≥ 0")
        }
        target = t.map { Int($0) }
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let x = try ElemCheck.input(node, inputs, 0)
        return [TensorType(x.dtype, try broadcastPlan(node, [x.shape], extra: [target]).outputShape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let x = try ElemCheck.input(node, inputs, 0)
        let p = try broadcastPlan(node, [x.shape], extra: [target])
        func make<T>(_: T.Type) -> Kernel {
            BroadcastRowKernel(plan: p) { io in BroadcastCopyRow<T>(x: io.input(0), y: io.output(0)) }
        }
        switch x.dtype.byteSize {
        case 1: return make(UInt8.self)
        case 2: return make(UInt16.self)
        case 4: return make(UInt32.self)
        default: return make(UInt64.self)
        }
    }
}

/// The elements of constant int input `k` (int64 or int32, rank ≤ 1), or an error naming it.
func constantInts(_ node: Node, _ graph: Graph, _ k: Int, _ role: String) throws -> [Int64] {
    let id = k < node.inputs.count ? Int(node.inputs[k]) : -1
    guard id >= 0, id < graph.tensors.count, let data = graph.tensors[id].data,
          graph.tensors[id].dtype == .int64 || graph.tensors[id].dtype == .int32, graph.tensors[id].shape.count <= 1 else {
        throw OpError(node, "input \(k) (\(role)) is not a constant int64 tensor of rank ≤ 1", kind: .unsupported)
    }
    if graph.tensors[id].dtype == .int32 { return data.elements(as: Int32.self).map { Int64($0) } }
    return data.elements(as: Int64.self)
}
