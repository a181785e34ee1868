// Cast between element types. Float sources go through Float, integer and bool sources through
// Int64. float → integer saturates to the target's range, NaN → 0; integer → narrower integer
// wraps (two's complement truncation, like C and onnxruntime); anything → bool is `!= 0`
// (NaN → true); bool → number is 0 or 1.

public protocol CastElement {
    static var isFloating: Bool { get }
    var castFloat: Float { get }
    var castInt: Int64 { get }
    init(castFromFloat v: Float)
    init(castFromInt v: Int64)
}

extension Float: CastElement {
    @inlinable public static var isFloating: Bool { true }
    @inlinable public var castFloat: Float { self }
    @inlinable public var castInt: Int64 { 0 }
    @inlinable public init(castFromFloat v: Float) { self = v }
    @inlinable public init(castFromInt v: Int64) { self = Float(v) }
}

extension Float16: CastElement {
    @inlinable public static var isFloating: Bool { true }
    @inlinable public var castFloat: Float { Float(self) }
    @inlinable public var castInt: Int64 { 0 }
    @inlinable public init(castFromFloat v: Float) { self = Float16(v) }
    @inlinable public init(castFromInt v: Int64) { self = Float16(Float(v)) }
}

/// Float → integer: truncation toward zero, saturated, NaN → 0.
@inlinable @inline(__always)
func saturatingInt<T: FixedWidthInteger>(_ v: Float) -> T {
    if v.isNaN { return 0 }
    if v <= Float(T.min) { return T.min }
    if v >= Float(T.max) { return T.max }
    return T(v.rounded(.towardZero))
}

extension Int64: CastElement {
    @inlinable public static var isFloating: Bool { false }
    @inlinable public var castFloat: Float { Float(self) }
    @inlinable public var castInt: Int64 { self }
    @inlinable public init(castFromFloat v: Float) { self = saturatingInt(v) }
    @inlinable public init(castFromInt v: Int64) { self = v }
}

extension Int32: CastElement {
    @inlinable public static var isFloating: Bool { false }
    @inlinable public var castFloat: Float { Float(self) }
    @inlinable public var castInt: Int64 { Int64(self) }
    @inlinable public init(castFromFloat v: Float) { self = saturatingInt(v) }
    @inlinable public init(castFromInt v: Int64) { self = Int32(truncatingIfNeeded: v) }
}

extension Int8: CastElement {
    @inlinable public static var isFloating: Bool { false }
    @inlinable public var castFloat: Float { Float(self) }
    @inlinable public var castInt: Int64 { Int64(self) }
    @inlinable public init(castFromFloat v: Float) { self = saturatingInt(v) }
    @inlinable public init(castFromInt v: Int64) { self = Int8(truncatingIfNeeded: v) }
}

extension UInt8: CastElement {
    @inlinable public static var isFloating: Bool { false }
    @inlinable public var castFloat: Float { Float(self) }
    @inlinable public var castInt: Int64 { Int64(self) }
    @inlinable public init(castFromFloat v: Float) { self = saturatingInt(v) }
    @inlinable public init(castFromInt v: Int64) { self = UInt8(truncatingIfNeeded: v) }
}

/// A bool element (one byte, nonzero is true).
public struct CastBool: CastElement {
    public var raw: UInt8
    @inlinable public static var isFloating: Bool { false }
    @inlinable public var castFloat: Float { raw != 0 ? 1 : 0 }
    @inlinable public var castInt: Int64 { raw != 0 ? 1 : 0 }
    @inlinable public init(castFromFloat v: Float) { raw = v != 0 ? 1 : 0 }
    @inlinable public init(castFromInt v: Int64) { raw = v != 0 ? 1 : 0 }
}

/// dst[i] = cast(src[i]) for i in `range`.
@inlinable
public func castElements<S: CastElement, D: CastElement>(_ src: UnsafePointer<S>, _ dst: UnsafeMutablePointer<D>,
                                                         _ range: Range<Int>) {
    if S.isFloating {
        for i in range { dst[i] = D(castFromFloat: src[i].castFloat) }
    } else {
        for i in range { dst[i] = D(castFromInt: src[i].castInt) }
    }
}

// MARK: - Gather

/// Gather rows `rows` of `outer · indexCount`: row r copies the `inner`-byte block at
/// data[o, idx[j]] (o = r / indexCount, j = r % indexCount); negative indices count from the
/// end; an index outside −axisSize..<axisSize writes zeros (a kernel cannot fail).
@inlinable
public func gatherRows<I: BinaryInteger>(_ data: UnsafeRawPointer, _ indices: UnsafePointer<I>,
                                         _ out: UnsafeMutableRawPointer, axisSize: Int, indexCount: Int,
                                         blockBytes: Int, rows: Range<Int>) {
    for r in rows {
        let o = r / indexCount, j = r % indexCount
        var k = Int64(truncatingIfNeeded: indices[j])
        if k < 0 { k += Int64(axisSize) }
        let dst = out + r * blockBytes
        if k < 0 || k >= Int64(axisSize) {
            dst.initializeMemory(as: UInt8.self, repeating: 0, count: blockBytes)
        } else {
            dst.copyMemory(from: data + (o * axisSize + Int(k)) * blockBytes, byteCount: blockBytes)
        }
    }
}
