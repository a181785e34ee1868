import DLRTKernels
import DLRTModel

/// One recurrent op (LSTM, GRU, RNN): its code and cell.
protocol RecurrentSpec {
    static var opCode: OpCode { get }
    static var kind: RecurrentCellKind { get }
}

/// LSTM, GRU and RNN in dlrt form (docs/OPS.md, codes 90–92):
/// inputs X, W, R, B?, sequence_lens?, initial_h?, initial_c? (LSTM), P? (LSTM);
/// outputs Y, Y_h?, Y_c? (LSTM), leading ones present;
/// attributes `hidden_size` (required), `direction` ("forward" | "reverse" | "bidirectional"),
/// `layout` (0 | 1), `clip` (float > 0; absent = none), `activations` (ints: 0 Sigmoid, 1 Tanh,
/// 2 Relu; absent = ONNX defaults), `input_forget` (LSTM), `linear_before_reset` (GRU),
/// `int8_weights` (0 | 1: W and R, constants, computed as int8 per gate row with u8 activations
/// quantized per row and step — `RecurrentInt8Weights`; written by `--weights int8`).
/// W, R, B, P are packed once here when all are constants; otherwise (fixed shapes, fed at run
/// time) they are packed into plan scratch on every run, same kernels.
final class RecurrentOperator<Spec: RecurrentSpec>: Operator {
    static var opCode: OpCode { Spec.opCode }

    let node: Node
    /// The attributes; seq, batch and input are filled per plan.
    let template: RecurrentConfig
    /// nil when one of W, R, B, P is not a constant (packed per run).
    let weights: RecurrentWeights?
    let weightLayout: RecurrentWeightLayout
    /// Shapes of W, R, B, P (nil = absent) as checked against each plan's inputs.
    let weightShapes: [(index: Int, name: String, shape: [Int])]
    /// W and R as int8 (attribute `int8_weights` = 1), or nil (float32 recurrence).
    let int8: RecurrentInt8Weights?

    init(node: Node, graph: Graph) throws {
        let a = DenseAttributes(node)
        let kind = Spec.kind
        let maxInputs = kind == .lstm ? 8 : 6
        try a.checkArity(inputs: 3, optional: maxInputs - 3, outputs: node.outputs.count)
        guard node.outputs.count >= 1, node.outputs.count <= (kind == .lstm ? 3 : 2) else {
            throw a.error("has \(node.outputs.count) outputs, expected 1…\(kind == .lstm ? 3 : 2)")
        }
        self.node = node
        let hidden = try a.int("hidden_size", default: 0)
        guard hidden >= 1, hidden <= 1 << 20 else { throw a.error("attribute 'hidden_size' is \(hidden), expected 1…2^20") }
        let direction = try a.string("direction", default: "forward")
        guard ["forward", "reverse", "bidirectional"].contains(direction) else {
            throw a.error("attribute 'direction' is \"\(direction)\", expected forward, reverse or bidirectional")
        }
        let dirs = direction == "bidirectional" ? 2 : 1
        let layout = try a.int("layout", default: 0)
        guard layout == 0 || layout == 1 else { throw a.error("attribute 'layout' is \(layout), expected 0 or 1") }
        var clip: Float? = nil
        if node.attributes["clip"] != nil {
            let c = try a.float("clip", default: 0)
            guard c > 0, c.isFinite else { throw a.error("attribute 'clip' is \(c), expected a finite value > 0") }
            clip = c
        }
        var activations = Array(repeating: kind.defaultActivations, count: dirs).flatMap { $0 }
        if let codes = try a.ints("activations") {
            guard codes.count == dirs * kind.activationCount else {
                throw a.error("attribute 'activations' has \(codes.count) values, expected \(dirs * kind.activationCount)")
            }
            activations = try codes.map {
                guard let act = RecurrentActivation(rawValue: $0) else {
                    throw a.error("attribute 'activations' value \($0) is not 0 (Sigmoid), 1 (Tanh) or 2 (Relu)")
                }
                return act
            }
        }
        let inputForget = kind == .lstm ? try a.flag("input_forget", default: false) : false
        let lbr = kind == .gru ? try a.flag("linear_before_reset", default: false) : false

        // Weights (constants or fixed-shape run-time inputs) with exactly the shapes the attributes imply.
        let gw = kind.gates * hidden
        let w = try Self.weight(a, graph, 1, "W", rank: 3, dims: [dirs, gw, nil])
        let input = w.shape[2]
        guard checkedElementCount([input, dirs * gw]) != nil, input <= 1 << 24 else {
            throw a.error("W \(describe(w.shape)) is too large")
        }
        let r = try Self.weight(a, graph, 2, "R", rank: 3, dims: [dirs, gw, hidden])
        let b = try Self.optionalWeight(a, graph, 3, "B", dims: [dirs, 2 * gw])
        let p = kind == .lstm ? try Self.optionalWeight(a, graph, 7, "P", dims: [dirs, 3 * hidden]) : nil
        weightShapes = [(1, "W", w.shape), (2, "R", r.shape)] + (b.map { [(3, "B", $0.shape)] } ?? [])
            + (p.map { [(7, "P", $0.shape)] } ?? [])
        template = RecurrentConfig(kind: kind, seq: 0, batch: 0, input: input, hidden: hidden, directions: dirs,
                                   reverse: direction == "reverse", batchFirst: layout == 1, clip: clip,
                                   inputForget: inputForget, linearBeforeReset: lbr, activations: activations)
        weightLayout = RecurrentWeightLayout(kind: kind, input: input, hidden: hidden, directions: dirs, linearBeforeReset: lbr,
                                             hasBias: b != nil, hasPeepholes: p != nil)
        if let wp = w.pointer, let rp = r.pointer, b == nil || b?.pointer != nil, p == nil || p?.pointer != nil {
            weights = RecurrentWeights(kind: kind, input: input, hidden: hidden, directions: dirs, linearBeforeReset: lbr,
                                       w: wp, r: rp, b: b?.pointer, p: p?.pointer)
        } else {
            weights = nil
        }
        if try a.flag("int8_weights", default: false) {
            guard let wp = w.pointer, let rp = r.pointer, weights != nil else {
                throw a.error("attribute 'int8_weights' = 1 needs constant W, R, B and P", kind: .unsupported)
            }
            guard input < Int(Int32.max) / 4, dirs * gw < Int(Int32.max) / 4 else {
                throw a.error("W \(describe(w.shape)) is too large for the int8 kernels")
            }
            int8 = RecurrentInt8Weights(layout: weightLayout, w: wp, r: rp)
        } else {
            int8 = nil
        }
    }

    /// Float32 input `i` of rank `rank` whose dims equal `dims` (nil = any): a constant (with its
    /// data) or a run-time input of fixed shape (pointer nil).
    static func weight(_ a: DenseAttributes, _ graph: Graph, _ i: Int, _ name: String, rank: Int,
                       dims: [Int?]) throws -> (pointer: UnsafePointer<Float>?, shape: [Int]) {
        let c = a.constantInput(i, graph: graph)
        let t = graph.tensors[Int(a.node.inputs[i])]
        guard let shape = c?.shape ?? t.fixedShape else {
            throw a.error("input \(name) is not a constant and its shape \(describe(t.shape)) is not fixed", kind: .unsupported)
        }
        let dtype = c?.dtype ?? t.dtype
        guard dtype == .float32 else { throw a.error("input \(name) is \(dtype), expected float32", kind: .unsupported) }
        guard shape.count == rank, zip(shape, dims).allSatisfy({ $1 == nil || $0 == $1 }) else {
            throw a.error("input \(name) has shape \(describe(shape)), expected [\(dims.map { $0.map(String.init) ?? "?" }.joined(separator: ", "))]",
                          kind: .shape)
        }
        guard let count = checkedElementCount(shape), count < 1 << 40 else {
            throw a.error("input \(name) \(describe(shape)) is too large")
        }
        guard let c else { return (nil, shape) }
        guard count * 4 <= c.data.byteCount, let base = c.data.bytes.baseAddress else {
            throw a.error("constant \(name) \(describe(c.shape)) has only \(c.data.byteCount) bytes")
        }
        return (base.assumingMemoryBound(to: Float.self), c.shape)
    }

    static func optionalWeight(_ a: DenseAttributes, _ graph: Graph, _ i: Int, _ name: String,
                               dims: [Int]) throws -> (pointer: UnsafePointer<Float>?, shape: [Int])? {
        guard i < a.node.inputs.count, a.node.inputs[i] >= 0 else { return nil }
        return try weight(a, graph, i, name, rank: dims.count, dims: dims)
    }

    /// The configuration for these inputs, validated.
    func config(_ inputs: [PlanInput]) throws -> RecurrentConfig {
        let a = DenseAttributes(node)
        let x = try denseFloatInput(inputs, 0, "X", a)
        guard x.count == 3 else { throw a.error("X has shape \(describe(x)), expected rank 3", kind: .shape) }
        for (i, name, shape) in weightShapes {
            guard i < inputs.count, let t = inputs[i].type, t.dtype == .float32, t.shape == shape else {
                throw a.error("input \(name) is \(i < inputs.count ? inputs[i].type.map { "\($0)" } ?? "absent" : "absent"), expected float32\(describe(shape))",
                              kind: .shape)
            }
        }
        var cfg = template
        cfg.seq = cfg.batchFirst ? x[1] : x[0]
        cfg.batch = cfg.batchFirst ? x[0] : x[1]
        guard x[2] == cfg.input else {
            throw a.error("X has shape \(describe(x)) but W expects \(cfg.input) input features", kind: .shape)
        }
        let state = cfg.batchFirst ? [cfg.batch, cfg.directions, cfg.hidden] : [cfg.directions, cfg.batch, cfg.hidden]
        if inputs.count > 4, let t = inputs[4].type {
            guard t.dtype == .int32, t.shape == [cfg.batch] else {
                throw a.error("sequence_lens is \(t), expected int32[\(cfg.batch)]", kind: .shape)
            }
        }
        for (i, name) in [(5, "initial_h"), (6, "initial_c")] where i < inputs.count {
            guard let t = inputs[i].type else { continue }
            guard t.dtype == .float32, t.shape == state else {
                throw a.error("\(name) is \(t), expected float32\(describe(state))", kind: .shape)
            }
        }
        return cfg
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        let c = try config(inputs)
        let y = c.batchFirst ? [c.batch, c.seq, c.directions, c.hidden] : [c.seq, c.directions, c.batch, c.hidden]
        let state = c.batchFirst ? [c.batch, c.directions, c.hidden] : [c.directions, c.batch, c.hidden]
        return [TensorType(.float32, y), TensorType(.float32, state), TensorType(.float32, state)]
            .prefix(node.outputs.count).map { $0 }
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let cfg = try config(inputs)
        func present(_ i: Int) -> Bool { i < inputs.count && inputs[i].type != nil }
        return RecurrentKernel(cfg: cfg, weights: weights, layout: weightLayout, hasSeqLens: present(4), hasInitialH: present(5),
                               hasInitialC: present(6), outputCount: outputs.count, int8: int8)
    }
}

final class RecurrentKernel: Kernel {
    let cfg: RecurrentConfig
    /// nil: W, R, B?, P? (inputs 1, 2, 3, 7) are packed per run into scratch after the workspace.
    let weights: RecurrentWeights?
    let layout: RecurrentWeightLayout
    let hasSeqLens: Bool, hasInitialH: Bool, hasInitialC: Bool
    let outputCount: Int
    let int8: RecurrentInt8Weights?
    /// Floats of the recurrence's workspace (16-aligned); the per-run pack follows it.
    let workspaceCount: Int
    let scratchByteCount: Int

    init(cfg: RecurrentConfig, weights: RecurrentWeights?, layout: RecurrentWeightLayout, hasSeqLens: Bool,
         hasInitialH: Bool, hasInitialC: Bool, outputCount: Int, int8: RecurrentInt8Weights? = nil) {
        self.cfg = cfg
        self.weights = weights
        self.layout = layout
        self.hasSeqLens = hasSeqLens
        self.hasInitialH = hasInitialH
        self.hasInitialC = hasInitialC
        self.outputCount = outputCount
        self.int8 = int8
        workspaceCount = (RecurrentWorkspace(cfg).floatCount + 15) / 16 * 16
            + (int8 == nil ? 0 : RecurrentInt8Workspace(cfg).floatCount)
        scratchByteCount = 4 * (workspaceCount + (weights == nil ? layout.floatCount : 0))
    }

    func run(_ io: KernelIO) {
        let rio = RecurrentIO(x: io.input(0, as: Float.self),
                              seqLens: hasSeqLens ? io.input(4, as: Int32.self) : nil,
                              initialH: hasInitialH ? io.input(5, as: Float.self) : nil,
                              initialC: hasInitialC ? io.input(6, as: Float.self) : nil,
                              y: io.output(0, as: Float.self),
                              yh: outputCount > 1 ? io.output(1, as: Float.self) : nil,
                              yc: outputCount > 2 ? io.output(2, as: Float.self) : nil)
        guard let scratch = io.scratch?.assumingMemoryBound(to: Float.self) else { return }
        let packed: RecurrentPackedWeights
        if let weights {
            packed = weights.packed
        } else {
            packed = layout.pack(w: io.input(1, as: Float.self), r: io.input(2, as: Float.self),
                                 b: layout.hasBias ? io.input(3, as: Float.self) : nil,
                                 p: layout.hasPeepholes ? io.input(7, as: Float.self) : nil, into: scratch + workspaceCount)
        }
        recurrentRun(cfg, packed, rio, scratch: scratch, parallel: io.workers, int8: int8)
    }
}
