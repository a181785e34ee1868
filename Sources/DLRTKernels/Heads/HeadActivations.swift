// Elementwise float32 activations of op codes 60–79 (Softplus, HardSigmoid, HardSwish, Selu,
// Mish, Gelu, Softsign, Floor, Ceil, Round, Sign) as `UnaryFloatFunction`s, so they share the
// activation loop (`mapUnary`). Plain references: Reference/HeadsReference.swift.
// Special values follow onnxruntime's formulas: NaN in → NaN out; x·0 with x = ±inf gives NaN
// (HardSwish(−inf), Mish(−inf), Gelu(−inf)); Softsign(±inf) = inf/inf = NaN.

/// ln(1 + t) for t in [0, 1]: 2·atanh(s) with s = t / (2 + t) in [0, 1/3], an odd series to s¹⁵
/// (truncation < 2e-9 relative); no exponent handling, exact for tiny t.
@inlinable @inline(__always)
public func ewLog1pUnit(_ t: SIMD8<Float>) -> SIMD8<Float> {
    let s = t / (2 + t)
    let z = s * s
    var p = SIMD8<Float>(repeating: 1 / 15)
    p = p * z + 1 / 13
    p = p * z + 1 / 11
    p = p * z + 1 / 9
    p = p * z + 1 / 7
    p = p * z + 1 / 5
    p = p * z + 1 / 3
    p = p * z + 1
    return 2 * s * p
}

/// ln(1 + e^x) = max(x, 0) + ln(1 + e^−|x|): no overflow, exact tail for very negative x.
public struct SoftplusFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let pos = x.replacing(with: 0, where: x .< 0)
        return pos + ewLog1pUnit(ewExp(-ewAbs(x)))
    }
}

/// max(0, min(1, alpha·x + beta)); NaN stays NaN.
public struct HardSigmoidFunction: UnaryFloatFunction {
    public let alpha: Float, beta: Float
    @inlinable public init(alpha: Float, beta: Float) { self.alpha = alpha; self.beta = beta }
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let y = alpha * x + beta
        return y.replacing(with: 1, where: y .> 1).replacing(with: 0, where: y .< 0)
    }
}

/// x · HardSigmoid(x) with alpha 1/6, beta 0.5 (ONNX HardSwish).
public struct HardSwishFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        x * HardSigmoidFunction(alpha: 1 / Float(6), beta: 0.5)(x)
    }
}

/// gamma · (x > 0 ? x : alpha·e^x − alpha).
public struct SeluFunction: UnaryFloatFunction {
    public let alpha: Float, gamma: Float
    @inlinable public init(alpha: Float, gamma: Float) { self.alpha = alpha; self.gamma = gamma }
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let neg = alpha * ewExp(x) - alpha
        return gamma * neg.replacing(with: x, where: x .> 0)
    }
}

/// x · tanh(ln(1 + e^x)), with tanh(ln(1 + n)) = n(n + 2) / (n(n + 2) + 2) for n = e^x; above
/// x = 20 the factor is 1 in float32 (and n² would overflow).
public struct MishFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let n = ewExp(x.replacing(with: 20, where: x .> 20))
        let q = n * (n + 2)
        let y = x * (q / (q + 2))
        return y.replacing(with: x, where: x .> 20)
    }
}

/// 0.5·x·(1 + erf(x/√2)) (ONNX Gelu, approximate = "none").
public struct GeluErfFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        0.5 * x * (1 + ewErf(x * 0.707_106_781_186_547_524))
    }
    /// Runs in the kernel table's `unary` entry (tfm: BERT's FFN activation, compute-bound).
    @inlinable public var kernel: (UnaryKernel, Float) { (.gelu, 0) }
}

/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (ONNX Gelu, approximate = "tanh").
public struct GeluTanhFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let inner = 0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)
        return 0.5 * x * (1 + ewTanh(inner))
    }
    /// Runs in the kernel table's `unary` entry (GPT-2's FFN activation, compute-bound).
    @inlinable public var kernel: (UnaryKernel, Float) { (.geluTanh, 0) }
}

/// x / (1 + |x|).
public struct SoftsignFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x / (1 + ewAbs(x)) }
}

/// ⌊x⌋ (vroundps; ±0, ±inf and NaN unchanged).
public struct FloorFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.rounded(.down) }
}

/// ⌈x⌉.
public struct CeilFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.rounded(.up) }
}

/// x rounded to the nearest integer, halves to even (ONNX Round).
public struct RoundFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.rounded(.toNearestOrEven) }
}

/// 1 for x > 0, −1 for x < 0, 0 for ±0 (positive zero, like onnxruntime); NaN stays NaN.
public struct SignFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let zero = SIMD8<Float>(repeating: 0)
        return zero.replacing(with: 1, where: x .> 0).replacing(with: -1, where: x .< 0).replacing(with: x, where: x .!= x)
    }
}
