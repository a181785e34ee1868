// The vector math of VectorMath.swift on SIMD16<Float> (one zmm register in the AVX-512 kernel
// module; the AVX2 and baseline modules use the SIMD8 versions). Lane for lane the same
// operations in the same order, so a 16-lane result equals the 8-lane one bit for bit (neither is
// contracted to FMA: Swift does not fuse `a * b + c`).

/// Loads 16 floats from a possibly unaligned address.
@inlinable @inline(__always)
public func ewLoad16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores 16 floats at a possibly unaligned address.
@inlinable @inline(__always)
public func ewStore16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// |x| by clearing the sign bit.
@inlinable @inline(__always)
public func ewAbs(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let bits = unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF
    return unsafeBitCast(bits, to: SIMD16<Float>.self)
}

/// e^x, lane-wise: `ewExp(SIMD8<Float>)` (VectorMath.swift) on 16 lanes.
@inlinable @inline(__always)
public func ewExp(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let xc = x.replacing(with: 89, where: x .> 89).replacing(with: -104, where: x .< -104)
    let magic: Float = 12_582_912
    let t = xc * 1.442_695_04 + magic
    let n = t - magic
    let ni = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000
    var r = xc - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    let z = r * r
    var p = SIMD16<Float>(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * z + r + 1
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: SIMD16<Float>.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: SIMD16<Float>.self)
    let result = y * s1 * s2
    return result.replacing(with: x, where: x .!= x)
}

/// tanh(x), lane-wise: `ewTanh(SIMD8<Float>)` on 16 lanes.
@inlinable @inline(__always)
public func ewTanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
    let ax = ewAbs(x)
    let z = ax * ax
    var p = SIMD16<Float>(repeating: -5.704_988_727_45e-3)
    p = p * z + 2.063_908_879_54e-2
    p = p * z - 5.373_971_555_31e-2
    p = p * z + 1.333_144_220_36e-1
    p = p * z - 3.333_328_194_22e-1
    let small = ax + ax * (z * p)
    let large = 1 - 2 / (ewExp(ax + ax) + 1)
    let mag = small.replacing(with: large, where: .!(ax .< 0.625))
    let sign = unsafeBitCast(x, to: SIMD16<UInt32>.self) & 0x8000_0000
    return unsafeBitCast(unsafeBitCast(mag, to: SIMD16<UInt32>.self) | sign, to: SIMD16<Float>.self)
}

/// 1 / (1 + e^−x), lane-wise.
@inlinable @inline(__always)
public func ewSigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
    1 / (1 + ewExp(-x))
}
