// Elementwise float32 activations of op codes 60–79 (Softplus, HardSigmoid, HardSwish, Selu,
// Mish, Gelu, Softsign, Floor, Ceil, Round, Sign) as `UnaryFloatFunction`s, so they share the
// activation loop (`mapUnary`). Plain references: Reference/HeadsReference.swift.
// Special values follow onnxruntime's formulas: NaN in → NaN out; x·0 with x = ±inf gives NaN
// (HardSwish(−inf), Mish(−inf), Gelu(−inf)); Softsign(±inf) = inf/inf = NaN.

/// ln(x) for positive, finite, normal x (Cephes logf: mantissa in [√½, √2), degree-8
/// polynomial); a few ulp. Callers keep x in that domain.
@inlinable @inline(__always)
public func ewLogPositive(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let bits = unsafeBitCast(x, to: SIMD8<Int32>.self)
    var e = SIMD8<Float>((bits &>> 23) &- 126)
    // m in [0.5, 1)
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: SIMD8<Float>.self)
    let small = m .< 0.707_106_781_186_547_524
    e = e.replacing(with: e - 1, where: small)
    m = (m + m.replacing(with: 0, where: .!small)) - 1
    let z = m * m
    var p = SIMD8<Float>(repeating: 7.037_683_629_2e-2)
    p = p * m - 1.151_461_031_0e-1
    p = p * m + 1.167_699_874_0e-1
    p = p * m - 1.242_014_084_6e-1
    p = p * m + 1.424_932_278_7e-1
    p = p * m - 1.666_805_766_5e-1
    p = p * m + 2.000_071_476_5e-1
    p = p * m - 2.499_999_399_3e-1
    p = p * m + 3.333_333_117_4e-1
    var y = p * m * z
    y = y + e * -2.121_944_4e-4
    y = y - 0.5 * z
    return m + y + e * 0.693_359_375
}

/// ln(1 + t) for t in [0, 1] (u = 1 + t; log(u)·t/(u − 1) corrects the rounding of u).
@inlinable @inline(__always)
public func ewLog1pUnit(_ t: SIMD8<Float>) -> SIMD8<Float> {
    let u = 1 + t
    let d = u - 1
    let r = ewLogPositive(u) * (t / d.replacing(with: 1, where: d .== 0))
    return r.replacing(with: t, where: d .== 0)
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
}

/// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (ONNX Gelu, approximate = "tanh").
public struct GeluTanhFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let inner = 0.797_884_560_802_865_4 * (x + 0.044_715 * x * x * x)
        return 0.5 * x * (1 + ewTanh(inner))
    }
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
