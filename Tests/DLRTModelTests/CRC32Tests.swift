import CZlib
import XCTest
@testable import DLRTModel

/// `formatCRC32` (PCLMULQDQ bulk + zlib tail, CDLRTSupport/crc32.c) equals zlib's crc32 on every
/// length 0…4096 from misaligned starts, and on a few large buffers.
final class CRC32Tests: XCTestCase {
    func zlibCRC(_ b: UnsafeRawBufferPointer) -> UInt32 {
        UInt32(truncatingIfNeeded: crc32(0, b.baseAddress?.assumingMemoryBound(to: Bytef.self), uInt(b.count)))
    }

    func testMatchesZlib() {
        var state: UInt64 = 12345
        let bytes = (0 ..< 8192 + 64).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
        bytes.withUnsafeBytes { all in
            for offset in [0, 1, 3, 8] {
                for n in 0 ... 4096 {
                    let b = UnsafeRawBufferPointer(rebasing: all[offset ..< offset + n])
                    XCTAssertEqual(formatCRC32(b), zlibCRC(b), "offset \(offset) length \(n)")
                    if formatCRC32(b) != zlibCRC(b) { return }
                }
            }
            let big = UnsafeRawBufferPointer(rebasing: all[5 ..< all.count])
            XCTAssertEqual(formatCRC32(big), zlibCRC(big))
        }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        zeros.withUnsafeBytes { XCTAssertEqual(formatCRC32($0), zlibCRC($0)) }
    }
}
