// Elementwise float32 math for transformer graphs (Neg, Abs, Exp, Log, Reciprocal, Sqrt, Erf),
// as `UnaryFloatFunction`s so they share the activation loop (`mapUnary`).

import Glibc

public struct NegFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { -x }
}

public struct AbsFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewAbs(x) }
}

public struct ExpFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { ewExp(x) }
}

/// Natural log through libm per lane (exact libm results; log is rare in inference graphs).
public struct LogFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> {
        var r = x
        for j in 0 ..< 8 { r[j] = logf(x[j]) }
        return r
    }
}

/// 1 / x (IEEE: 1/0 = inf).
public struct ReciprocalFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { 1 / x }
}

/// IEEE square root (negative → NaN).
public struct SqrtFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ x: SIMD8<Float>) -> SIMD8<Float> { x.squareRoot() }
}

/// erf(x), lane-wise: a rational approximation on [-4, 4] (odd degree-13 numerator, even
/// degree-8 denominator, the Eigen/XLA coefficients); |error| < 2e-7 absolute. erf(±inf) = ±1,
/// NaN stays NaN.
public struct ErfFunction: UnaryFloatFunction {
    @inlinable public init() {}
    @inlinable @inline(__always)
    public func callAsFunction(_ a: SIMD8<Float>) -> SIMD8<Float> { ewErf(a) }
    /// Runs in the kernel table's `unary` entry (the same code on 16 lanes with AVX-512).
    @inlinable public var kernel: (UnaryKernel, Float) { (.erf, 0) }
}

@inlinable @inline(__always)
public func ewErf(_ a: SIMD8<Float>) -> SIMD8<Float> {
    let x = a.replacing(with: 4, where: a .> 4).replacing(with: -4, where: a .< -4)
    let x2 = x * x
    var p = x2 * -2.726_142_258_013_06e-10 + 2.770_681_424_959_02e-08
    p = x2 * p - 2.101_024_020_825_08e-06
    p = x2 * p - 5.692_506_394_623_46e-05
    p = x2 * p - 7.349_906_303_268_55e-04
    p = x2 * p - 2.954_599_808_540_25e-03
    p = x2 * p - 1.609_603_332_624_15e-02
    p = x * p
    var q = x2 * -1.456_607_184_649_96e-05 - 2.133_740_552_789_05e-04
    q = x2 * q - 1.682_826_974_382_03e-03
    q = x2 * q - 7.373_329_167_204_68e-03
    q = x2 * q - 1.426_473_905_141_89e-02
    let r = p / q
    return r.replacing(with: a, where: a .!= a)
}
