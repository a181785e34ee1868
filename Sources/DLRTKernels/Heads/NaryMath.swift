// Variadic Min, Max, Mean, Sum with numpy broadcasting, computed as a chain of two-operand
// steps: y = x0 ∘ x1, then y = y ∘ x2, … (each step a `NaryBroadcastPlan` of [acc, next] to the
// full output shape). Min / Max propagate NaN (onnxruntime); Mean = Sum, then ÷ N.

/// An element type of the n-ary ops: float32 (all four), int8 / uint8 / int32 / int64 (Min, Max).
public protocol NaryElement: Comparable, Sendable {
    static func naryAdd(_ a: Self, _ b: Self) -> Self
}
extension Float: NaryElement {
    @inlinable @inline(__always) public static func naryAdd(_ a: Float, _ b: Float) -> Float { a + b }
}
extension Int32: NaryElement {
    @inlinable @inline(__always) public static func naryAdd(_ a: Int32, _ b: Int32) -> Int32 { a &+ b }
}
extension Int64: NaryElement {
    @inlinable @inline(__always) public static func naryAdd(_ a: Int64, _ b: Int64) -> Int64 { a &+ b }
}
extension Int8: NaryElement {
    @inlinable @inline(__always) public static func naryAdd(_ a: Int8, _ b: Int8) -> Int8 { a &+ b }
}
extension UInt8: NaryElement {
    @inlinable @inline(__always) public static func naryAdd(_ a: UInt8, _ b: UInt8) -> UInt8 { a &+ b }
}

/// The two-operand step of one n-ary op.
public protocol NaryCombine {
    static func combine<T: NaryElement>(_ a: T, _ b: T) -> T
}
/// max; NaN if either is NaN (`a != a` is false for integers).
public enum NaryMax: NaryCombine {
    @inlinable @inline(__always)
    public static func combine<T: NaryElement>(_ a: T, _ b: T) -> T { (a != a || a > b) ? a : b }
}
public enum NaryMin: NaryCombine {
    @inlinable @inline(__always)
    public static func combine<T: NaryElement>(_ a: T, _ b: T) -> T { (a != a || a < b) ? a : b }
}
/// Sum and Mean (Mean divides once at the end).
public enum NarySum: NaryCombine {
    @inlinable @inline(__always)
    public static func combine<T: NaryElement>(_ a: T, _ b: T) -> T { T.naryAdd(a, b) }
}

/// y[out + j] = Op(a[o0 + j·s0], b[o1 + j·s1]); strides 0 or 1. The contiguous cases are separate
/// loops with constant strides so the compiler vectorises them. `a` may be `y` itself (a step
/// after the first reads the accumulated output at the same positions it writes).
public struct NaryRow<Op: NaryCombine, T: NaryElement>: BroadcastRowBody {
    public let a: UnsafePointer<T>, b: UnsafePointer<T>, y: UnsafeMutablePointer<T>
    @inlinable public init(a: UnsafePointer<T>, b: UnsafePointer<T>, y: UnsafeMutablePointer<T>) { self.a = a; self.b = b; self.y = y }

    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        let pa = a + o0, pb = b + o1, py = y + out
        switch (s0, s1) {
        case (1, 1): for j in 0 ..< count { py[j] = Op.combine(pa[j], pb[j]) }
        case (1, 0): let vb = pb[0]; for j in 0 ..< count { py[j] = Op.combine(pa[j], vb) }
        case (0, 1): let va = pa[0]; for j in 0 ..< count { py[j] = Op.combine(va, pb[j]) }
        default: for j in 0 ..< count { py[j] = Op.combine(pa[j * s0], pb[j * s1]) }
        }
    }
}

/// y[i] /= divisor for i in range (Mean's last step).
@inlinable
public func naryDivide(_ y: UnsafeMutablePointer<Float>, _ divisor: Float, _ range: Range<Int>) {
    for i in range { y[i] = y[i] / divisor }
}
