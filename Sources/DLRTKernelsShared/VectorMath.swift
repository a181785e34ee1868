// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
// exp / tanh / sigmoid / erf on this module's `RowVector` (16 lanes with AVX-512), compiled here for
// this module's ISA. A copy of DLRTKernelsCore/VectorMath.swift's code, lane for lane the same
// operations in the same order (no FMA: Swift does not contract `a * b + c`), so the results equal
// the portable SIMD8 functions bit for bit. Why a copy: the DLRTKernelsCore functions are not
// reliably inlined across modules (the 16-lane exp was measured called out of line, compiled
// without a target CPU), and a generic version would be a weak symbol shared between ISA modules.

/// |x| by clearing the sign bit.
@inline(__always)
func rowAbs(_ x: RowVector) -> RowVector {
    unsafeBitCast(unsafeBitCast(x, to: RowVectorBits.self) & 0x7FFF_FFFF, to: RowVector.self)
}

/// e^x: `ewExp` (DLRTKernelsCore/VectorMath.swift) on RowVector.
@inline(__always)
func rowExp(_ x: RowVector) -> RowVector {
    let xc = x.replacing(with: 89, where: x .> 89).replacing(with: -104, where: x .< -104)
    let magic: Float = 12_582_912
    let t = xc * 1.442_695_04 + magic
    let n = t - magic
    let ni = unsafeBitCast(t, to: RowVectorInt.self) &- 0x4B40_0000
    var r = xc - n * 0.693_359_375
    r = r - n * -2.121_944_4e-4
    let z = r * r
    var p = RowVector(repeating: 1.987_569_15e-4)
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = p * z + r + 1
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: RowVector.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: RowVector.self)
    let result = y * s1 * s2
    return result.replacing(with: x, where: x .!= x)
}

/// tanh(x): `ewTanh` on RowVector.
@inline(__always)
func rowTanh(_ x: RowVector) -> RowVector {
    let ax = rowAbs(x)
    let z = ax * ax
    @inline(__always) func c(_ v: Float) -> RowVector { RowVector(repeating: v) }  // see rowErf
    var p = c(-5.704_988_727_45e-3)
    p = p * z + c(2.063_908_879_54e-2)
    p = p * z - c(5.373_971_555_31e-2)
    p = p * z + c(1.333_144_220_36e-1)
    p = p * z - c(3.333_328_194_22e-1)
    let small = ax + ax * (z * p)
    let large = c(1) - c(2) / (rowExp(ax + ax) + c(1))
    let mag = small.replacing(with: large, where: .!(ax .< c(0.625)))
    let sign = unsafeBitCast(x, to: RowVectorBits.self) & 0x8000_0000
    return unsafeBitCast(unsafeBitCast(mag, to: RowVectorBits.self) | sign, to: RowVector.self)
}

/// 1 / (1 + e^−x): `ewSigmoid` on RowVector.
@inline(__always)
func rowSigmoid(_ x: RowVector) -> RowVector { 1 / (1 + rowExp(-x)) }

/// erf(x): `ewErf` (DLRTKernels/Transformer/UnaryMath.swift) on RowVector.
@inline(__always)
func rowErf(_ a: RowVector) -> RowVector {
    // Every constant an explicit RowVector: with scalar operands (`x2 * p - k`) the optimizer was
    // measured splitting the polynomial into ymm/xmm/scalar pieces and re-assembling the vector
    // (3× slower). The same operations in the same order as `ewErf`, so the results are unchanged.
    @inline(__always) func c(_ v: Float) -> RowVector { RowVector(repeating: v) }
    let x = a.replacing(with: c(4), where: a .> c(4)).replacing(with: c(-4), where: a .< c(-4))
    let x2 = x * x
    var p = x2 * c(-2.726_142_258_013_06e-10) + c(2.770_681_424_959_02e-08)
    p = x2 * p - c(2.101_024_020_825_08e-06)
    p = x2 * p - c(5.692_506_394_623_46e-05)
    p = x2 * p - c(7.349_906_303_268_55e-04)
    p = x2 * p - c(2.954_599_808_540_25e-03)
    p = x2 * p - c(1.609_603_332_624_15e-02)
    p = x * p
    var q = x2 * c(-1.456_607_184_649_96e-05) - c(2.133_740_552_789_05e-04)
    q = x2 * q - c(1.682_826_974_382_03e-03)
    q = x2 * q - c(7.373_329_167_204_68e-03)
    q = x2 * q - c(1.426_473_905_141_89e-02)
    let r = p / q
    return r.replacing(with: a, where: a .!= a)
}

/// e^x for the x ≤ 0 of softmax (x − max), with fused multiply-adds where the ISA has them (so
/// it differs from `rowExp` in the last bits): `rowExp`'s polynomial and scaling without the
/// upper clamp and the NaN blend (NaN in still gives NaN, through the arithmetic).
@inline(__always)
func rowExpNonPositive(_ x: RowVector) -> RowVector {
    @inline(__always) func c(_ v: Float) -> RowVector { RowVector(repeating: v) }
    let xc = x.replacing(with: -104, where: x .< -104)
    let magic = c(12_582_912)
    let t = rowFMA(xc, c(1.442_695_04), magic)
    let n = t - magic
    let ni = unsafeBitCast(t, to: RowVectorInt.self) &- 0x4B40_0000
    var r = rowFMA(n, c(-0.693_359_375), xc)
    r = rowFMA(n, c(2.121_944_4e-4), r)
    let z = r * r
    var p = rowFMA(c(1.987_569_15e-4), r, c(1.398_199_950_7e-3))
    p = rowFMA(p, r, c(8.333_451_907_3e-3))
    p = rowFMA(p, r, c(4.166_579_589_4e-2))
    p = rowFMA(p, r, c(1.666_666_545_9e-1))
    p = rowFMA(p, r, c(5.000_000_120_1e-1))
    let y = rowFMA(p, z, r) + 1
    let n1 = ni &>> 1
    let n2 = ni &- n1
    let s1 = unsafeBitCast((n1 &+ 127) &<< 23, to: RowVector.self)
    let s2 = unsafeBitCast((n2 &+ 127) &<< 23, to: RowVector.self)
    return y * s1 * s2
}
