import XCTest
@testable import DLRTModel

final class CorruptionTests: XCTestCase {
    func testEveryTruncationThrows() throws {
        let b = try ModelWriter.serialize(tinyGraph())
        for n in 0 ..< b.count {
            let cut = Array(b[0 ..< n])
            do {
                _ = try readBytes(cut)
                XCTFail("truncation to \(n) bytes was accepted")
            } catch let e as ModelError {
                if n >= 8 && n < 64 { XCTAssertTrue(e.message.contains("truncated"), e.message) }
                if n >= 64 {
                    XCTAssertTrue(e.message.contains("declares \(b.count) bytes but the file has \(n) bytes"), e.message)
                }
            }
        }
        expectModelError(.invalidModel, ["unexpected trailing data"]) { _ = try readBytes(b + [0]) }
    }

    func testEverySingleBitFlipIsRejected() throws {
        // Checksums cover the header, table and sections; padding between them must be zero.
        let b = try ModelWriter.serialize(tinyGraph())
        var accepted: [Int] = []
        for i in 0 ..< b.count {
            for bit in 0 ..< 8 {
                var c = b
                c[i] ^= UInt8(1 << bit)
                if (try? readBytes(c)) != nil { accepted.append(i * 8 + bit) }
            }
        }
        XCTAssertEqual(accepted, [], "bit flips accepted at bit positions \(accepted)")
    }

    func testSectionChecksumMessageNamesSectionAndOffset() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        let nodes = try XCTUnwrap(section(b, .nodes))
        b[nodes.offset + 5] ^= 0x40
        expectModelError(.invalidModel, ["test.dlrt", "checksum mismatch in node list section (kind 2) at byte \(nodes.offset)"]) {
            _ = try readBytes(b)
        }
        var h = try ModelWriter.serialize(tinyGraph())
        h[20] ^= 1
        expectModelError(.invalidModel, ["header checksum mismatch"]) { _ = try readBytes(h) }
    }

    /// Mutations with valid checksums reach the decoders: each must parse or throw, never trap.
    func testMutationsWithFixedChecksumsNeverTrap() throws {
        let b = try ModelWriter.serialize(sampleGraph())
        var tried = 0, rejected = 0
        for kind in [SectionKind.tensors, .nodes, .graphIO, .metadata] {
            let s = try XCTUnwrap(section(b, kind))
            for i in s.offset ..< s.offset + s.size {
                for v: UInt8 in [0x00, 0xFF, 0x7F, 0x80, b[i] ^ 0x01, b[i] &+ 1, b[i] &- 1] where v != b[i] {
                    var c = b
                    c[i] = v
                    refreshChecksums(&c)
                    tried += 1
                    do { _ = try readBytes(c) } catch is ModelError { rejected += 1 } catch { XCTFail("\(error)") }
                }
            }
        }
        XCTAssertGreaterThan(tried, 1000)
        XCTAssertGreaterThan(rejected, tried / 2)
    }

    /// Random multi-byte edits anywhere in the file (deterministic seed), with checksums fixed.
    func testRandomEditsWithFixedChecksumsNeverTrap() throws {
        let b = try ModelWriter.serialize(sampleGraph())
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
        var accepted = 0
        for _ in 0 ..< 3000 {
            var c = b
            for _ in 0 ..< 1 + next(4) {
                let i = 64 + next(c.count - 64)
                c[i] = [0, 0xFF, 0x80, 0x7F, 1][next(5)]
            }
            refreshChecksums(&c)
            if let g = try? readBytes(c) {
                accepted += 1
                XCTAssertNoThrow(try ModelWriter.serialize(g))  // what the reader accepts, the writer writes
            }
        }
        XCTAssertLessThan(accepted, 3000)
    }

    func testRandomGarbageNeverTraps() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 7, 8, 63, 64, 65, 200, 1000] {
            for _ in 0 ..< 50 {
                var c = (0 ..< n).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }
                if n >= 8 { c[0 ..< 8] = [0x89, 0x44, 0x4C, 0x52, 0x54, 0x0D, 0x0A, 0x1A][...] }
                if n >= 64 { put16(&c, 8, 1); put64(&c, 16, UInt64(n)); refreshHeaderOnly(&c) }
                XCTAssertThrowsError(try readBytes(c))
            }
        }
    }

    private func refreshHeaderOnly(_ b: inout [UInt8]) { put32(&b, 60, formatCRC32(Array(b[0 ..< 60]))) }

    func testHostileCountsAreRejectedBeforeAllocating() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        let tensors = try XCTUnwrap(section(b, .tensors))
        put32(&b, tensors.offset, 0xFFFF_FFFF)
        refreshChecksums(&b)
        expectModelError(.invalidModel, ["tensor table section (kind 1) at byte \(tensors.offset)", "tensor count 4294967295"]) {
            _ = try readBytes(b)
        }
        // A huge section count must not index past the file.
        var t = try ModelWriter.serialize(tinyGraph())
        put32(&t, 32, 0x7FFF_FFFF)
        refreshChecksums(&t)
        expectModelError(.invalidModel, ["section table"]) { _ = try readBytes(t) }
        // A section range past the end of the file / misaligned.
        var r = try ModelWriter.serialize(tinyGraph())
        let nodes = try XCTUnwrap(section(r, .nodes))
        put64(&r, nodes.entryAt + 16, UInt64.max)
        refreshChecksums(&r)
        expectModelError(.invalidModel, ["node list section (kind 2)", "outside"]) { _ = try readBytes(r) }
        put64(&r, nodes.entryAt + 16, UInt64(nodes.size))
        put64(&r, nodes.entryAt + 8, UInt64(nodes.offset + 8))
        refreshChecksums(&r)
        expectModelError(.invalidModel, ["not 64-byte aligned"]) { _ = try readBytes(r) }
    }

    func testUnknownOpCodeNamesNode() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        let nodes = try XCTUnwrap(section(b, .nodes))
        // Record of node 1: "act" name, then the u16 op code.
        let name = try XCTUnwrap(find([3, 0, 0, 0] + Array("act".utf8), in: b, from: nodes.offset))
        put16(&b, name + 7, 99)
        refreshChecksums(&b)
        expectModelError(.unsupported, ["test.dlrt: node list section (kind 2) at byte \(name + 7)",
                                        "node 'act' (index 1): unknown op code 99"]) { _ = try readBytes(b) }
        put16(&b, name + 7, OpCode.leakyRelu.rawValue)
        put16(&b, name + 9, 2)  // op version 2
        refreshChecksums(&b)
        expectModelError(.unsupported, ["node 'act' (index 1, LeakyRelu)", "version 2"]) { _ = try readBytes(b) }
    }

    func testBadTensorFieldsAreNamed() throws {
        let b = try ModelWriter.serialize(tinyGraph())
        let tensors = try XCTUnwrap(section(b, .tensors))
        let nameB = try XCTUnwrap(find([1, 0, 0, 0, UInt8(ascii: "b")], in: b, from: tensors.offset + 4))
        let dtypeAt = nameB + 5
        var c = b
        c[dtypeAt] = 42
        refreshChecksums(&c)
        expectModelError(.unsupported, ["tensor 1 'b': unknown dtype tag 42", "at byte \(dtypeAt)"]) { _ = try readBytes(c) }
        // Data offset 8 bytes into the weights: misaligned.  Layout: dtype, flags, u16, rank, 1 dim.
        let dataAt = dtypeAt + 4 + 4 + 9
        c = b
        put64(&c, dataAt, le64(b, dataAt) + 64)
        refreshChecksums(&c)
        expectModelError(.invalidModel, ["tensor 1 'b'", "outside the weights section"]) { _ = try readBytes(c) }
        c = b
        put64(&c, dataAt, le64(b, dataAt) + 8)
        refreshChecksums(&c)
        expectModelError(.invalidModel, ["tensor 1 'b'", "not 64-byte aligned"]) { _ = try readBytes(c) }
        c = b
        put64(&c, dataAt + 8, 4)
        refreshChecksums(&c)
        expectModelError(.invalidModel, ["tensor 1 'b': constant data is 4 bytes but float32 [2] needs 8"]) { _ = try readBytes(c) }
        // Invalid UTF-8 in a name.
        c = b
        c[nameB + 4] = 0xFF
        refreshChecksums(&c)
        expectModelError(.invalidModel, ["not valid UTF-8"]) { _ = try readBytes(c) }
    }

    func testOutOfRangeTensorIdInGraphIO() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        let io = try XCTUnwrap(section(b, .graphIO))
        put32(&b, io.offset + 4, 1000)
        refreshChecksums(&b)
        expectModelError(.invalidModel, ["test.dlrt: graph input 0: tensor id 1000 is out of range"]) { _ = try readBytes(b) }
    }
}
