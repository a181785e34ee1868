// The vector of this module's row kernels (RowMath.swift, Binary.swift in ../DLRTKernelsShared):
// 8 lanes (one ymm with AVX2, two xmm in the baseline build).
import DLRTKernelsCore

typealias RowVector = SIMD8<Float>
@inline(__always) func rowLoad(_ p: UnsafePointer<Float>) -> RowVector { ewLoad8(p) }
@inline(__always) func rowStore(_ v: RowVector, _ p: UnsafeMutablePointer<Float>) { ewStore8(v, p) }
