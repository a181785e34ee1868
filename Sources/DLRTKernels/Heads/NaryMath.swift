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

/// One output row of a two-operand step on raw addresses: y[out + j] = Op(a[o0 + j·s0],
/// b[o1 + j·s1]) for j in 0..<count (offsets in elements, strides 0 or 1).
public typealias NaryRowFunction = @Sendable (_ a: UnsafeRawPointer, _ o0: Int, _ s0: Int, _ b: UnsafeRawPointer, _ o1: Int, _ s1: Int,
                                              _ y: UnsafeMutableRawPointer, _ out: Int, _ count: Int) -> Void

/// The row function of `Op` on `T`. Call it with concrete types (from a concrete spec) so the
/// loop is compiled for them. `a` may be `y` itself (a step after the first reads the
/// accumulated output at the positions it writes). The contiguous cases are separate loops with
/// constant strides so the compiler vectorises them.
@inlinable @inline(__always)
public func naryRowFunction<Op: NaryCombine, T: NaryElement>(_: Op.Type, _: T.Type) -> NaryRowFunction {
    { a, o0, s0, b, o1, s1, y, out, count in
        let pa = a.assumingMemoryBound(to: T.self) + o0, pb = b.assumingMemoryBound(to: T.self) + o1
        let py = y.assumingMemoryBound(to: T.self) + out
        switch (s0, s1) {
        case (1, 1): for j in 0 ..< count { py[j] = Op.combine(pa[j], pb[j]) }
        case (1, 0): let vb = pb[0]; for j in 0 ..< count { py[j] = Op.combine(pa[j], vb) }
        case (0, 1): let va = pa[0]; for j in 0 ..< count { py[j] = Op.combine(va, pb[j]) }
        default: for j in 0 ..< count { py[j] = Op.combine(pa[j * s0], pb[j * s1]) }
        }
    }
}

/// A `NaryBroadcastPlan` row body calling a `NaryRowFunction`.
public struct NaryRow: BroadcastRowBody {
    public let f: NaryRowFunction
    public let a: UnsafeRawPointer, b: UnsafeRawPointer, y: UnsafeMutableRawPointer
    @inlinable public init(_ f: @escaping NaryRowFunction, a: UnsafeRawPointer, b: UnsafeRawPointer, y: UnsafeMutableRawPointer) {
        self.f = f; self.a = a; self.b = b; self.y = y
    }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        f(a, o0, s0, b, o1, s1, y, out, count)
    }
}

/// y[i] /= divisor for i in range (Mean's last step).
@inlinable
public func naryDivide(_ y: UnsafeMutablePointer<Float>, _ divisor: Float, _ range: Range<Int>) {
    for i in range { y[i] = y[i] / divisor }
}
