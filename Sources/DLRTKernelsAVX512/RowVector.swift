// The vector of this module's row kernels (RowMath.swift, VectorMath.swift, Binary.swift in
// ../DLRTKernelsShared): 16 lanes, one zmm register.
import DLRTKernelsCore

typealias RowVector = SIMD16<Float>
/// RowVector's lanes as signed and unsigned integers (bit casts in VectorMath.swift).
typealias RowVectorInt = SIMD16<Int32>
typealias RowVectorBits = SIMD16<UInt32>
@inline(__always) func rowLoad(_ p: UnsafePointer<Float>) -> RowVector { UnsafeRawPointer(p).loadUnaligned(as: RowVector.self) }
@inline(__always) func rowStore(_ v: RowVector, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: RowVector.self) }
/// a·b + c, fused (one rounding).
@inline(__always) func rowFMA(_ a: RowVector, _ b: RowVector, _ c: RowVector) -> RowVector { c.addingProduct(a, b) }
