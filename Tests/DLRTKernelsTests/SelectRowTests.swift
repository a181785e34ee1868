import DLRTKernels
import XCTest

/// Select32Row (Where's 4-byte row) against the plain generic SelectRow, over every stride
/// combination of 0/1 and a strided fallback, row lengths 1…67, NaN-filled outputs and offsets.
final class SelectRowTests: XCTestCase {
    func testSelect32RowMatchesReference() {
        var rng = TestRNG(seed: 74)
        let strideSets: [(Int, Int, Int)] = [(0, 0, 0), (0, 0, 1), (0, 1, 0), (0, 1, 1), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1), (2, 1, 0), (1, 2, 3)]
        for count in 1 ... 67 {
            for (s0, s1, s2) in strideSets {
                let n = 3 * count + 8
                let cond = (0 ..< n).map { _ in UInt8(truncatingIfNeeded: rng.int(0 ... 3) == 0 ? 0 : rng.int(1 ... 255)) }
                var xv = (0 ..< n).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
                let zv = (0 ..< n).map { _ in UInt32(truncatingIfNeeded: rng.next()) }
                xv[0] = Float.nan.bitPattern | 5  // a NaN payload is copied, not canonicalized
                let (o0, o1, o2, out) = (rng.int(0 ... 3), rng.int(0 ... 3), rng.int(0 ... 3), rng.int(0 ... 3))
                var got = [UInt32](repeating: Float.nan.bitPattern, count: n)
                var want = got
                cond.withUnsafeBufferPointer { c in
                    xv.withUnsafeBufferPointer { x in
                        zv.withUnsafeBufferPointer { z in
                            got.withUnsafeMutableBufferPointer { y in
                                Select32Row(cond: c.baseAddress!, x: x.baseAddress!, z: z.baseAddress!, y: y.baseAddress!)
                                    .row(out: out, o0, o1, o2, count: count, s0, s1, s2)
                            }
                            want.withUnsafeMutableBufferPointer { y in
                                for j in 0 ..< count {
                                    y[out + j] = c[o0 + j * s0] != 0 ? x[o1 + j * s1] : z[o2 + j * s2]
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(got, want, "count \(count) strides \(s0),\(s1),\(s2)")
            }
        }
    }
}
