// MARK: - QuantizedGather (op 118): int8 embedding rows dequantized as they are gathered

/// Rows `rows` of a gather from an int8 table with one float scale per row: output row r
/// (`width` floats) = table[k, 0..<width] · scales[k], k = indices[r] (negative indices count
/// from the end; an index outside −rowCount..<rowCount writes zeros — a kernel cannot fail).
/// Each element is one int8 → float conversion and one multiply, so results do not depend on
/// the ISA or the thread count.
@inlinable
public func quantizedGatherRows<I: BinaryInteger>(_ table: UnsafePointer<Int8>, _ scales: UnsafePointer<Float>,
                                                  _ indices: UnsafePointer<I>, _ out: UnsafeMutablePointer<Float>,
                                                  rowCount: Int, width: Int, rows: Range<Int>) {
    for r in rows {
        var k = Int64(truncatingIfNeeded: indices[r])
        if k < 0 { k += Int64(rowCount) }
        let dst = out + r * width
        guard k >= 0 && k < Int64(rowCount) else {
            dst.initialize(repeating: 0, count: width)
            continue
        }
        let src = table + Int(k) * width
        let s = scales[Int(k)]
        var j = 0
        while j + 8 <= width {
            let q = UnsafeRawPointer(src + j).loadUnaligned(as: SIMD8<Int8>.self)
            let v = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: q)) * s
            UnsafeMutableRawPointer(dst + j).storeBytes(of: v, as: SIMD8<Float>.self)
            j += 8
        }
        while j < width { dst[j] = Float(src[j]) * s; j += 1 }
    }
}
