// Elementwise float32 activations: one struct per function, one generic loop (`mapUnary`, in
// DLRTKernels) specialised per struct. Here in DLRTKernelsCore so that the per-ISA modules can
// inline them: the exp-based ones (`kernel` ≠ .generic) run in the kernel table's `unary` entry.

/// Functions the kernel table evaluates itself (compiled per ISA); `.generic` ones run in the
/// caller's (portable) specialization of `mapUnary`.
public enum UnaryKernel: Int, Sendable {
    case generic = 0, elu, sigmoid, tanh, erf
    case gelu = 5  // tfm: 0.5·x·(1 + erf(x/√2)), GeluErfFunction
    case geluTanh = 6  // gpt2: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GeluTanhFunction
}

/// A float32 → float32 function evaluated 8 lanes at a time. The tail of a buffer is evaluated
/// through the same vector code (partial load), so every element gets the same result whatever
/// its position.
public protocol UnaryFloatFunction: Sendable {
    func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float>
    /// Which table entry evaluates it, and its parameter (Elu's alpha).
    var kernel: (UnaryKernel, Float) { get }
}

extension UnaryFloatFunction {
    @inlinable public var kernel: (UnaryKernel, Float) { (.generic, 0) }
}

/// max(x, 0); NaN stays NaN.
public struct ReluFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: 0, where: x .< 0) }
}

/// x < 0 ? alpha·x : x.
public struct LeakyReluFunction: UnaryFloatFunction {
    public let alpha: Float
    @inlinable public init(alpha: Float) { self.alpha = alpha }
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.replacing(with: x * alpha, where: x .< 0) }
}

/// x > 0 ? x : alpha·(e^x − 1).
public struct EluFunction: UnaryFloatFunction {
    public let alpha: Float
    @inlinable public init(alpha: Float) { self.alpha = alpha }
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        (alpha * (ewExp(x) - 1)).replacing(with: x, where: x .> 0)
    }
    @inlinable public var kernel: (UnaryKernel, Float) { (.elu, alpha) }
}

public struct SigmoidFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewSigmoid(x) }
    @inlinable public var kernel: (UnaryKernel, Float) { (.sigmoid, 0) }
}

public struct TanhFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewTanh(x) }
    @inlinable public var kernel: (UnaryKernel, Float) { (.tanh, 0) }
}

/// min(max(x, lo), hi) evaluated in that order (numpy.clip); NaN stays NaN.
public struct ClipFunction: UnaryFloatFunction {
    public let lo: Float
    public let hi: Float
    @inlinable public init(min lo: Float, max hi: Float) { self.lo = lo; self.hi = hi }
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // min(max(x, lo), hi) as ONNX defines it: when lo > hi every value becomes hi.
        let y = x.replacing(with: lo, where: x .< lo)
        return y.replacing(with: hi, where: y .> hi)
    }
}

/// Identity (a no-op function, handy in tests).
public struct IdentityFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x }
}

extension UnaryFloatFunction {
    /// The function at one point (through the vector code).
    @inlinable @inline(__always)
    public func scalar(_ x: Float) -> Float { self(SIMD8<Float>(repeating: x))[0] }
}


