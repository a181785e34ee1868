import DLRTModel
import Glibc

/// A fused activation with its parameters (see docs/OPS.md, "Fused activation").
public struct DenseActivation: Sendable, Equatable {
    public var kind: FusedActivation
    /// Leaky relu slope.
    public var alpha: Float
    /// Clip bounds.
    public var min: Float
    public var max: Float

    public init(_ kind: FusedActivation = .none, alpha: Float = 0.01,
                min: Float = -Float.infinity, max: Float = Float.infinity) {
        self.kind = kind
        self.alpha = alpha
        self.min = min
        self.max = max
    }

    public static let none = DenseActivation()

    /// Scalar form; the definition the vector forms must match.
    @inlinable @inline(__always)
    public func apply(_ x: Float) -> Float {
        switch kind {
        case .none: return x
        case .relu: return x > 0 ? x : 0
        case .leakyRelu: return x < 0 ? x * alpha : x
        case .clip: return Swift.min(Swift.max(x, min), max)
        case .sigmoid: return 1 / (1 + expf(-x))
        case .tanh: return tanhf(x)
        }
    }

    /// True when `apply8` handles the kind in registers (the others go through `apply`).
    @inlinable @inline(__always)
    public var isVectorizable: Bool {
        switch kind {
        case .none, .relu, .leakyRelu, .clip: return true
        default: return false
        }
    }

    /// Vector form for the vectorizable kinds; identity otherwise.
    @inlinable @inline(always)  // `__always` left it an out-of-line call in sgemmFinishTile
    public func apply8(_ v: SIMD8<Float>) -> SIMD8<Float> {
        switch kind {
        case .relu: return v.replacing(with: 0, where: v .< 0)
        case .leakyRelu: return v.replacing(with: v * alpha, where: v .< 0)
        case .clip:  // min(max(v, min), max): when min > max every value becomes max
            let y = v.replacing(with: min, where: v .< min)
            return y.replacing(with: max, where: y .> max)
        default: return v
        }
    }

    /// Applies the activation in place to `count` floats.
    public func apply(_ p: UnsafeMutablePointer<Float>, count: Int) {
        if case .none = kind { return }
        var i = 0
        if isVectorizable {
            while i + 8 <= count {
                let raw = UnsafeMutableRawPointer(p + i)
                raw.storeBytes(of: apply8(raw.loadUnaligned(as: SIMD8<Float>.self)), as: SIMD8<Float>.self)
                i += 8
            }
        }
        while i < count { p[i] = apply(p[i]); i += 1 }
    }
}

/// What the GEMM writes: `C[i, j] = act(alpha * (A·B)[i, j] + beta * bias[i * biasRowStride + j * biasColStride])`.
/// Strides of 0 broadcast the bias (scalar: both 0; per column: (0, 1); per row: (1, 0); full: (ldb, 1)).
public struct DenseEpilogue {
    public var alpha: Float
    public var beta: Float
    public var bias: UnsafePointer<Float>?
    public var biasRowStride: Int
    public var biasColStride: Int
    public var activation: DenseActivation

    public init(alpha: Float = 1, beta: Float = 1, bias: UnsafePointer<Float>? = nil,
                biasRowStride: Int = 0, biasColStride: Int = 0, activation: DenseActivation = .none) {
        self.alpha = alpha
        self.beta = beta
        self.bias = bias
        self.biasRowStride = biasRowStride
        self.biasColStride = biasColStride
        self.activation = activation
    }

    /// The same epilogue for the sub-matrix starting at row `r`, column `c`.
    @inlinable @inline(__always)
    public func offset(row r: Int, col c: Int) -> DenseEpilogue {
        var e = self
        if let b = bias { e.bias = b + (r * biasRowStride + c * biasColStride) }
        return e
    }
}

// Small helpers shared by the portable code and the per-ISA kernel modules (inlined into each, so
// an ISA module compiles them with its own target CPU).
@inlinable @inline(__always) public func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

@inlinable @inline(__always) public func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

@inlinable @inline(__always) public func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

@inlinable @inline(__always) public func roundUp(_ x: Int, _ m: Int) -> Int { (x + m - 1) / m * m }
