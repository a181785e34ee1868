// The vector of this module's row kernels (RowMath.swift, Binary.swift in ../DLRTKernelsShared):
// 16 lanes, one zmm register.
import DLRTKernelsCore

typealias RowVector = SIMD16<Float>
@inline(__always) func rowLoad(_ p: UnsafePointer<Float>) -> RowVector { ewLoad16(p) }
@inline(__always) func rowStore(_ v: RowVector, _ p: UnsafeMutablePointer<Float>) { ewStore16(v, p) }
