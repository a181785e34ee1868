// Elementwise float32 activations: one struct per function, one generic loop specialised per
// struct (callers pass a concrete function type; everything here is @inlinable so the loop is
// compiled for that type in the caller's module).

/// A float32 → float32 function evaluated 8 lanes at a time. The tail of a buffer is evaluated
/// through the same vector code (partial load), so every element gets the same result whatever
/// its position.
public protocol UnaryFloatFunction: Sendable {
    func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float>
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
}

public struct SigmoidFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewSigmoid(x) }
}

public struct TanhFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewTanh(x) }
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

/// dst[i] = f(src[i]) for i in 0..<count. `dst` may equal `src`.
@inlinable
public func mapUnary<F: UnaryFloatFunction>(_ f: F, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                            _ count: Int) {
    var i = 0
    while i + 32 <= count {
        let a = f(ewLoad8(src + i)), b = f(ewLoad8(src + i + 8))
        let c = f(ewLoad8(src + i + 16)), d = f(ewLoad8(src + i + 24))
        ewStore8(a, dst + i); ewStore8(b, dst + i + 8); ewStore8(c, dst + i + 16); ewStore8(d, dst + i + 24)
        i += 32
    }
    while i + 8 <= count {
        ewStore8(f(ewLoad8(src + i)), dst + i)
        i += 8
    }
    if i < count {
        ewStorePartial(f(ewLoadPartial(src + i, count - i)), dst + i, count - i)
    }
}
