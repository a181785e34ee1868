#if canImport(Glibc)
import Glibc
#endif

// Shapes and attributes shared by the recurrent kernels (ONNX LSTM, GRU, RNN) and their reference.
//
// ONNX tensor layouts (dirs = 1, or 2 when bidirectional; G = gate count: LSTM 4, GRU 3, RNN 1):
//   X         [seq, batch, input]        (batchFirst: [batch, seq, input])
//   W         [dirs, G·hidden, input]    gate blocks: LSTM i,o,f,c; GRU z,r,h; RNN one
//   R         [dirs, G·hidden, hidden]
//   B         [dirs, 2·G·hidden]         Wb then Rb
//   seqLens   [batch] int32
//   initialH  [dirs, batch, hidden]      (batchFirst: [batch, dirs, hidden]); initialC the same
//   P         [dirs, 3·hidden]           LSTM peepholes i, o, f
//   Y         [seq, dirs, batch, hidden] (batchFirst: [batch, seq, dirs, hidden])
//   Yh, Yc    like initialH

/// The cell an ONNX recurrent op computes.
public enum RecurrentCellKind: Sendable {
    case lstm, gru, rnn

    /// Gate blocks in W and R.
    public var gates: Int {
        switch self {
        case .lstm: return 4
        case .gru: return 3
        case .rnn: return 1
        }
    }

    /// Activation functions per direction (ONNX `activations` holds this many per direction).
    public var activationCount: Int {
        switch self {
        case .lstm: return 3
        case .gru: return 2
        case .rnn: return 1
        }
    }

    /// ONNX's default activations for one direction.
    public var defaultActivations: [RecurrentActivation] {
        switch self {
        case .lstm: return [.sigmoid, .tanh, .tanh]
        case .gru: return [.sigmoid, .tanh]
        case .rnn: return [.tanh]
        }
    }
}

/// The activation functions dlrt supports in recurrent ops (ONNX names Sigmoid, Tanh, Relu).
public enum RecurrentActivation: Int, Sendable, CaseIterable {
    case sigmoid = 0, tanh = 1, relu = 2

    /// ONNX's spelling.
    public var onnxName: String {
        switch self {
        case .sigmoid: return "Sigmoid"
        case .tanh: return "Tanh"
        case .relu: return "Relu"
        }
    }

    public init?(onnxName: String) {
        guard let a = RecurrentActivation.allCases.first(where: { $0.onnxName == onnxName }) else { return nil }
        self = a
    }

    /// Scalar form (the reference's).
    @inlinable
    public func apply(_ x: Float) -> Float {
        switch self {
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        case .relu: return x > 0 ? x : 0
        }
    }

    /// Applies the function to `count` floats in place (the switch is outside the loop).
    @inlinable
    public func apply(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        switch self {
        case .sigmoid: recurrentMap(p, count, ewSigmoid)
        case .tanh: recurrentMap(p, count, ewTanh)
        case .relu: recurrentMap(p, count) { $0.replacing(with: 0, where: .!($0 .> 0)) }
        }
    }
}

/// p[0..<count] = f(p[0..<count]), 8 lanes at a time.
@inlinable @inline(__always)
func recurrentMap(_ p: UnsafeMutablePointer<Float>, _ count: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>) {
    var j = 0
    while j + 8 <= count { ewStore8(f(ewLoad8(p + j)), p + j); j += 8 }
    if j < count { ewStorePartial(f(ewLoadPartial(p + j, count - j)), p + j, count - j) }
}

/// Everything that fixes the computation of one recurrent node for given input shapes.
public struct RecurrentConfig: Sendable, Equatable {
    public var kind: RecurrentCellKind
    public var seq: Int
    public var batch: Int
    public var input: Int
    public var hidden: Int
    /// 1 or 2 (bidirectional).
    public var directions: Int
    /// With one direction: runs the sequence backwards (ONNX direction "reverse").
    public var reverse: Bool
    /// ONNX layout = 1.
    public var batchFirst: Bool
    /// Pre-activations are clamped to [-clip, clip] when set.
    public var clip: Float?
    /// LSTM: f = 1 − i.
    public var inputForget: Bool
    /// GRU: r is applied after the recurrent product (PyTorch's form).
    public var linearBeforeReset: Bool
    /// `kind.activationCount` functions per direction, forward direction first.
    public var activations: [RecurrentActivation]

    public init(kind: RecurrentCellKind, seq: Int, batch: Int, input: Int, hidden: Int, directions: Int = 1,
                reverse: Bool = false, batchFirst: Bool = false, clip: Float? = nil, inputForget: Bool = false,
                linearBeforeReset: Bool = false, activations: [RecurrentActivation]? = nil) {
        self.kind = kind
        self.seq = seq
        self.batch = batch
        self.input = input
        self.hidden = hidden
        self.directions = directions
        self.reverse = reverse
        self.batchFirst = batchFirst
        self.clip = clip
        self.inputForget = inputForget
        self.linearBeforeReset = linearBeforeReset
        self.activations = activations ?? Array(repeating: kind.defaultActivations, count: directions).flatMap { $0 }
    }

    /// G · hidden: the width of one direction's W and R rows.
    public var gateWidth: Int { kind.gates * hidden }

    /// Whether direction `d` runs backwards in time.
    @inlinable
    public func backwards(_ d: Int) -> Bool { d == 1 || reverse }

    /// Activation `k` (0 = f, 1 = g, 2 = h) of direction `d`.
    @inlinable
    public func activation(_ d: Int, _ k: Int) -> RecurrentActivation { activations[d * kind.activationCount + k] }

    /// Row of X (and of the input projection) holding time `t`, batch `b`.
    @inlinable
    public func xRow(_ t: Int, _ b: Int) -> Int { batchFirst ? b * seq + t : t * batch + b }

    /// Offset of Y[t, d, b, 0] (either layout).
    @inlinable
    public func yOffset(_ t: Int, _ d: Int, _ b: Int) -> Int {
        (batchFirst ? (b * seq + t) * directions + d : (t * directions + d) * batch + b) * hidden
    }

    /// Offset of a state (initialH, initialC, Yh, Yc) of direction `d`, batch `b`.
    @inlinable
    public func stateOffset(_ d: Int, _ b: Int) -> Int {
        (batchFirst ? b * directions + d : d * batch + b) * hidden
    }

    /// Valid time steps of batch entry `b` (sequence_lens clamped to 0…seq).
    @inlinable
    public func length(_ seqLens: UnsafePointer<Int32>?, _ b: Int) -> Int {
        guard let seqLens else { return seq }
        return Swift.max(0, Swift.min(seq, Int(seqLens[b])))
    }

    /// Clamps a pre-activation to [-clip, clip] when clipping is on.
    @inlinable
    public func clipped(_ x: Float) -> Float {
        guard let c = clip else { return x }
        return Swift.min(Swift.max(x, -c), c)
    }
}

/// Where one run reads and writes (ONNX layouts above). Absent optional tensors are nil.
public struct RecurrentIO {
    public var x: UnsafePointer<Float>
    public var seqLens: UnsafePointer<Int32>?
    public var initialH: UnsafePointer<Float>?
    public var initialC: UnsafePointer<Float>?
    public var y: UnsafeMutablePointer<Float>?
    public var yh: UnsafeMutablePointer<Float>?
    public var yc: UnsafeMutablePointer<Float>?

    public init(x: UnsafePointer<Float>, seqLens: UnsafePointer<Int32>? = nil, initialH: UnsafePointer<Float>? = nil,
                initialC: UnsafePointer<Float>? = nil, y: UnsafeMutablePointer<Float>? = nil,
                yh: UnsafeMutablePointer<Float>? = nil, yc: UnsafeMutablePointer<Float>? = nil) {
        self.x = x
        self.seqLens = seqLens
        self.initialH = initialH
        self.initialC = initialC
        self.y = y
        self.yh = yh
        self.yc = yc
    }
}
