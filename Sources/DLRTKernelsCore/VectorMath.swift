// Vector transcendental functions on SIMD8<Float>, inlined into the per-ISA modules (8 lanes: one
// ymm with AVX2/AVX-512, two xmm in the portable build).
// Accuracy: a few ulp of Glibc's expf / tanhf over the whole float range; ±inf and NaN follow
// the scalar libm conventions (exp(-inf) = 0, exp(+inf) = +inf, tanh(±inf) = ±1, NaN in → NaN out).

/// Loads 8 floats from a possibly unaligned address.
@inlinable @inline(__always)
public func ewLoad8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// Stores 8 floats at a possibly unaligned address.
@inlinable @inline(__always)
public func ewStore8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
}

/// Loads `count` (< 8) floats into the low lanes; the other lanes are `fill`.
@inlinable @inline(__always)
public func ewLoadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float = 0) -> SIMD8<Float> {
    var v = SIMD8<Float>(repeating: fill)
    var j = 0
    while j < count { v[j] = p[j]; j += 1 }
    return v
}

/// Stores the low `count` (< 8) lanes of `v`.
@inlinable @inline(__always)
public func ewStorePartial(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var j = 0
    while j < count { p[j] = v[j]; j += 1 }
}

/// |x| by clearing the sign bit.
@inlinable @inline(__always)
public func ewAbs(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF
    return unsafeBitCast(bits, to: SIMD8<Float>.self)
}

/// e^x, lane-wise (Cephes expf polynomial, range reduction by ln 2, two-step scaling so that
/// results in the subnormal range are produced with a single rounding).
@inlinable @inline(__always)
public func ewExp(_ x: SIMD8<Float>) -> SIMD8<Float> {
    // Clamp: above 89 the result is +inf anyway (the scaling overflows), below -104 it is 0.
    let xc = x.replacing(with: 89, where: x .> 89).replacing(with: -104, where: x .< -104)
    // n = round(x / ln 2) using the 1.5·2^23 trick (round-to-nearest-even in the FPU).
    let magic: Float = 12_582_912
    let t = xc * 1.442_695_04 + magic
    let n = t - magic
    let ni = unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000
    var r = xc - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    let z = r * r
    var p = SIMD8<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * z + r + 1
    // 2^n = 2^n1 · 2^n2 with n1 = n >> 1, both factors normal for n in [-150, 128].
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD8<Float>.self)
    let result = y * s1 * s2
    return result.replacing(with: x, where: x .!= x)
}

/// tanh(x), lane-wise: odd polynomial below |x| = 0.625 (Cephes tanhf), 1 − 2/(e^{2|x|} + 1)
/// above; the sign of x is restored bitwise (so tanh(−0) = −0).
@inlinable @inline(__always)
public func ewTanh(_ x: SIMD8<Float>) -> SIMD8<Float> {
    let ax = ewAbs(x)
    let z = ax * ax
    var p = SIMD8<Float>(repeating: -5.704_988_727_45e-3)
    p = p * z + 2.063_908_879_54e-2
    p = p * z - 5.373_971_555_31e-2
    p = p * z + 1.333_144_220_36e-1
    p = p * z - 3.333_328_194_22e-1
    let small = ax + ax * (z * p)
    let large = 1 - 2 / (ewExp(ax + ax) + 1)
    let mag = small.replacing(with: large, where: .!(ax .< 0.625))
    let sign = unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x8000_0000
    return unsafeBitCast(unsafeBitCast(mag, to: SIMD8<UInt32>.self) | sign, to: SIMD8<Float>.self)
}

/// 1 / (1 + e^−x), lane-wise. sigmoid(−100) = 0 (no NaN), sigmoid(+inf) = 1.
@inlinable @inline(__always)
public func ewSigmoid(_ x: SIMD8<Float>) -> SIMD8<Float> {
    1 / (1 + ewExp(-x))
}
