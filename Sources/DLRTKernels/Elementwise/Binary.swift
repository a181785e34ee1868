// Elementwise arithmetic (Add, Sub, Mul, Div) on float32, int32, int64, 8 lanes at a time.
// Integer arithmetic wraps (never traps); integer division truncates toward zero, x / 0 = 0 and
// MIN / −1 = MIN (the wrapped quotient). Float32 Add/Sub/Mul/Div rows run in the kernel table's
// `binary` entry (16 lanes with AVX-512; same bits on every ISA).

import DLRTKernelsCore

/// An element type the arithmetic ops support.
public protocol ArithmeticElement: SIMDScalar, Sendable, Hashable, Encodable, Decodable {
    static func ewAdd(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    static func ewSub(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    static func ewMul(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
    static func ewDiv(_ a: SIMD8<Self>, _ b: SIMD8<Self>) -> SIMD8<Self>
}

extension Float: ArithmeticElement {
    @inlinable @inline(__always) public static func ewAdd(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a + b }
    @inlinable @inline(__always) public static func ewSub(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a - b }
    @inlinable @inline(__always) public static func ewMul(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a * b }
    @inlinable @inline(__always) public static func ewDiv(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a / b }
}

/// Truncating division that never traps: x / 0 = 0, MIN / −1 = MIN.
@inlinable @inline(__always)
public func ewSafeDivide<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
    b == 0 ? 0 : a.dividedReportingOverflow(by: b).partialValue
}

extension Int32: ArithmeticElement {
    @inlinable @inline(__always) public static func ewAdd(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> { a &+ b }
    @inlinable @inline(__always) public static func ewSub(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> { a &- b }
    @inlinable @inline(__always) public static func ewMul(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> { a &* b }
    @inlinable @inline(__always) public static func ewDiv(_ a: SIMD8<Int32>, _ b: SIMD8<Int32>) -> SIMD8<Int32> {
        var r = SIMD8<Int32>()
        for j in 0 ..< 8 { r[j] = ewSafeDivide(a[j], b[j]) }
        return r
    }
}

extension Int64: ArithmeticElement {
    @inlinable @inline(__always) public static func ewAdd(_ a: SIMD8<Int64>, _ b: SIMD8<Int64>) -> SIMD8<Int64> { a &+ b }
    @inlinable @inline(__always) public static func ewSub(_ a: SIMD8<Int64>, _ b: SIMD8<Int64>) -> SIMD8<Int64> { a &- b }
    @inlinable @inline(__always) public static func ewMul(_ a: SIMD8<Int64>, _ b: SIMD8<Int64>) -> SIMD8<Int64> { a &* b }
    @inlinable @inline(__always) public static func ewDiv(_ a: SIMD8<Int64>, _ b: SIMD8<Int64>) -> SIMD8<Int64> {
        var r = SIMD8<Int64>()
        for j in 0 ..< 8 { r[j] = ewSafeDivide(a[j], b[j]) }
        return r
    }
}

/// One arithmetic operation, generic over the element type.
public protocol BinaryOperation {
    static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T>
    /// The kernel table's float32 version (`binary` entry), if it has one.
    static var floatKernel: BinaryKernel? { get }
}

extension BinaryOperation {
    @inlinable public static var floatKernel: BinaryKernel? { nil }
}

public enum AddOperation: BinaryOperation {
    @inlinable public static var floatKernel: BinaryKernel? { .add }
    @inlinable @inline(__always)
    public static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.ewAdd(a, b) }
}
public enum SubOperation: BinaryOperation {
    @inlinable public static var floatKernel: BinaryKernel? { .sub }
    @inlinable @inline(__always)
    public static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.ewSub(a, b) }
}
public enum MulOperation: BinaryOperation {
    @inlinable public static var floatKernel: BinaryKernel? { .mul }
    @inlinable @inline(__always)
    public static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.ewMul(a, b) }
}
public enum DivOperation: BinaryOperation {
    @inlinable public static var floatKernel: BinaryKernel? { .div }
    @inlinable @inline(__always)
    public static func apply<T: ArithmeticElement>(_ a: SIMD8<T>, _ b: SIMD8<T>) -> SIMD8<T> { T.ewDiv(a, b) }
}

/// A row loop on raw addresses: c[i] = a[i·sa] op b[i·sb] for i in 0..<n, with the strides
/// fixed by the variant (both contiguous, `a` broadcast, `b` broadcast).
public typealias BinaryRowFunction = @Sendable (UnsafeRawPointer, UnsafeRawPointer, UnsafeMutableRawPointer, Int) -> Void

/// The three row loops of one (operation, element type) pair.
public struct BinaryRowKernels: Sendable {
    public let elementSize: Int
    /// Both operands contiguous.
    public let same: BinaryRowFunction
    /// `a` is one element broadcast along the row.
    public let scalarA: BinaryRowFunction
    /// `b` is one element broadcast along the row.
    public let scalarB: BinaryRowFunction

    @inlinable
    public init<Op: BinaryOperation, T: ArithmeticElement>(_ op: Op.Type, _ element: T.Type) {
        elementSize = MemoryLayout<T>.stride
        if T.self == Float.self, let kind = Op.floatKernel {
            // float32 Add/Sub/Mul/Div: the kernel table's loop (same bits, wider vectors).
            let entry = KernelTable.active.binary
            same = { a, b, c, n in binaryRowTable(kind, a, 1, b, 1, c, n, entry: entry) }
            scalarA = { a, b, c, n in binaryRowTable(kind, a, 0, b, 1, c, n, entry: entry) }
            scalarB = { a, b, c, n in binaryRowTable(kind, a, 1, b, 0, c, n, entry: entry) }
            return
        }
        same = { a, b, c, n in
            binaryRow(Op.self, a.assumingMemoryBound(to: T.self), 1, b.assumingMemoryBound(to: T.self), 1,
                      c.assumingMemoryBound(to: T.self), n)
        }
        scalarA = { a, b, c, n in
            binaryRow(Op.self, a.assumingMemoryBound(to: T.self), 0, b.assumingMemoryBound(to: T.self), 1,
                      c.assumingMemoryBound(to: T.self), n)
        }
        scalarB = { a, b, c, n in
            binaryRow(Op.self, a.assumingMemoryBound(to: T.self), 1, b.assumingMemoryBound(to: T.self), 0,
                      c.assumingMemoryBound(to: T.self), n)
        }
    }
}

/// c[i] = a[i·sa] op b[i·sb] (float32, sa and sb each 0 or 1) through a kernel table's `binary` entry.
@inlinable @inline(__always)
public func binaryRowTable(_ op: BinaryKernel, _ a: UnsafeRawPointer, _ sa: Int, _ b: UnsafeRawPointer, _ sb: Int,
                           _ c: UnsafeMutableRawPointer, _ n: Int, entry: KernelTable.Entry) {
    if n <= 0 { return }
    callKernel(entry, BinaryArgs(op: op, a: a.assumingMemoryBound(to: Float.self), sa: sa,
                                 b: b.assumingMemoryBound(to: Float.self), sb: sb,
                                 c: c.assumingMemoryBound(to: Float.self), count: n))
}

@inlinable @inline(__always)
func ewLoadVector<T: SIMDScalar>(_ p: UnsafePointer<T>, _ stride: Int) -> SIMD8<T> {
    stride == 0 ? SIMD8<T>(repeating: p.pointee) : UnsafeRawPointer(p).loadUnaligned(as: SIMD8<T>.self)
}

/// c[i] = a[i·sa] op b[i·sb], sa and sb each 0 or 1. The partial tail goes through the same
/// vector code; its unused lanes repeat a[0] and b[0] (harmless: integer division never traps).
@inlinable
public func binaryRow<Op: BinaryOperation, T: ArithmeticElement>(
    _ op: Op.Type, _ a: UnsafePointer<T>, _ sa: Int, _ b: UnsafePointer<T>, _ sb: Int,
    _ c: UnsafeMutablePointer<T>, _ n: Int
) {
    var i = 0
    if sa == 0 {
        let va = SIMD8<T>(repeating: a.pointee)
        while i + 8 <= n {
            UnsafeMutableRawPointer(c + i).storeBytes(of: Op.apply(va, ewLoadVector(b + i, 1)), as: SIMD8<T>.self)
            i += 8
        }
    } else if sb == 0 {
        let vb = SIMD8<T>(repeating: b.pointee)
        while i + 8 <= n {
            UnsafeMutableRawPointer(c + i).storeBytes(of: Op.apply(ewLoadVector(a + i, 1), vb), as: SIMD8<T>.self)
            i += 8
        }
    } else {
        while i + 8 <= n {
            UnsafeMutableRawPointer(c + i).storeBytes(of: Op.apply(ewLoadVector(a + i, 1), ewLoadVector(b + i, 1)),
                                                      as: SIMD8<T>.self)
            i += 8
        }
    }
    if i < n {
        var va = SIMD8<T>(repeating: a.pointee), vb = SIMD8<T>(repeating: b.pointee)
        var j = 0
        while i + j < n { va[j] = a[(i + j) * sa]; vb[j] = b[(i + j) * sb]; j += 1 }
        let r = Op.apply(va, vb)
        j = 0
        while i + j < n { c[i + j] = r[j]; j += 1 }
    }
}
