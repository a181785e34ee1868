// Pow for float32 through the binary row machinery (`BinaryRowKernels`).

import Glibc

/// x^y lane-wise; exponent 2 (the decomposed LayerNorm's variance) and 1 take exact fast paths,
/// anything else goes through libm's powf per lane.
public enum PowOperation: BinaryOperation {
    @inlinable @inline(__always)
    public static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> {
        guard T.self == Float.self else { return a }   // the operator only plans float32
        let x = unsafeBitCast(a, to: SIMD8<Float>.self), y = unsafeBitCast(b, to: SIMD8<Float>.self)
        return unsafeBitCast(ewPow(x, y), to: SIMD8<T>.self)
    }
}

@inlinable @inline(__always)
public func ewPow(_ x: SIMD8<Float>, _ y: SIMD8<Float>) -> SIMD8<Float> {
    if all(y .== 2) { return x * x }
    if all(y .== 1) { return x }
    var r = x
    for j in 0 ..< 8 { r[j] = powf(x[j], y[j]) }
    return r
}

/// y = x^e for a float32 base and an integer exponent (ONNX Pow keeps the base's type); the
/// exponent is converted to float (exact up to 2^24, and powf saturates long before that).
public struct PowIntExponentRow<E: BinaryInteger>: BroadcastRowBody {
    public let x: UnsafePointer<Float>, e: UnsafePointer<E>, y: UnsafeMutablePointer<Float>
    @inlinable public init(x: UnsafePointer<Float>, e: UnsafePointer<E>, y: UnsafeMutablePointer<Float>) {
        self.x = x; self.e = e; self.y = y
    }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        for j in 0 ..< count {
            let k = e[o1 + j * s1], b = x[o0 + j * s0]
            y[out + j] = k == 2 ? b * b : (k == 1 ? b : powf(b, Float(k)))
        }
    }
}
