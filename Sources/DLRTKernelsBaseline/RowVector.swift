// The vector of this module's row kernels (RowMath.swift, VectorMath.swift, Binary.swift in
// ../DLRTKernelsShared): 8 lanes (one ymm with AVX2, two xmm in the baseline build).
import DLRTKernelsCore

typealias RowVector = SIMD8<Float>
/// RowVector's lanes as signed and unsigned integers (bit casts in VectorMath.swift).
typealias RowVectorInt = SIMD8<Int32>
typealias RowVectorBits = SIMD8<UInt32>
@inline(__always) func rowLoad(_ p: UnsafePointer<Float>) -> RowVector { UnsafeRawPointer(p).loadUnaligned(as: RowVector.self) }
@inline(__always) func rowStore(_ v: RowVector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: RowVector.self) }
/// a·b + c, not fused (a fused multiply-add would be an `fmaf` call per lane without a target CPU).
@inline(__always) func rowFMA(_ a: RowVector, _ b: RowVector, _ c: RowVector) -> RowVector { a * b + c }
