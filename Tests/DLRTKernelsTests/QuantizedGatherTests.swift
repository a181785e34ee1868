import DLRTKernels
import XCTest

/// QuantizedGather (op 118) kernel against its reference: widths 1…67 (vector body and tail),
/// NaN-filled outputs, negative and out-of-range indices, int32 and int64 indices.
final class QuantizedGatherTests: XCTestCase {
    func check<I: BinaryInteger>(rows: Int, width: Int, indices: [I], seed: UInt64) {
        var rng = SplitMix(seed)
        let table = (0 ..< rows * width).map { _ in Int8(truncatingIfNeeded: Int(rng.next() % 255) - 127) }
        let scales = (0 ..< rows).map { _ in Float(rng.next() % 1000 + 1) * 1e-4 }
        let want = referenceQuantizedGather(table: table, scales: scales, rowCount: rows, width: width,
                                            indices: indices.map { Int64($0) })
        var got = [Float](repeating: .nan, count: indices.count * width)
        table.withUnsafeBufferPointer { t in
            scales.withUnsafeBufferPointer { s in
                indices.withUnsafeBufferPointer { i in
                    got.withUnsafeMutableBufferPointer { o in
                        // Two ranges, as two workers would run them.
                        let half = indices.count / 2
                        quantizedGatherRows(t.baseAddress!, s.baseAddress!, i.baseAddress!, o.baseAddress!,
                                            rowCount: rows, width: width, rows: 0 ..< half)
                        quantizedGatherRows(t.baseAddress!, s.baseAddress!, i.baseAddress!, o.baseAddress!,
                                            rowCount: rows, width: width, rows: half ..< indices.count)
                    }
                }
            }
        }
        XCTAssertEqual(got, want, "rows \(rows) width \(width)")  // exact: one conversion and one multiply
    }

    func testWidthsAndIndices() {
        for width in 1 ... 67 {
            let rows = width % 7 + 3
            let idx: [Int64] = [0, Int64(rows - 1), -1, -Int64(rows), Int64(rows), -Int64(rows) - 1, 2, Int64.max, Int64.min]
            check(rows: rows, width: width, indices: idx, seed: UInt64(width))
            check(rows: rows, width: width, indices: idx.map { Int32(truncatingIfNeeded: $0) }, seed: UInt64(width) + 100)
        }
    }

    func testEmpty() {
        check(rows: 4, width: 5, indices: [Int64](), seed: 1)
        check(rows: 4, width: 0, indices: [Int64(1), 2], seed: 2)
    }
}

/// A tiny deterministic generator (tests only).
private struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
