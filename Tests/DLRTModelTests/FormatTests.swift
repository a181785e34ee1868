import XCTest
@testable import DLRTModel

final class RoundTripTests: XCTestCase {
    func testRoundTripEveryFeature() throws {
        let g = sampleGraph()
        let bytes = try ModelWriter.serialize(g)
        let back = try readBytes(bytes)
        assertSameGraph(g, back)
        // Every dtype and attribute type is exercised.
        XCTAssertEqual(Set(back.tensors.map(\.dtype)), Set(DType.allCases))
        let tags = Set(back.nodes.flatMap { $0.attributes.values.map(\.typeTag) })
        XCTAssertEqual(tags, [1, 2, 3, 4, 5])
        XCTAssertEqual(back.metadataValue("onnx_opset"), "17")
        XCTAssertEqual(back.tensors[1].data?.elements(as: Float.self), [-1, -0.5, 0, 0.5, 1, 1.5])
        XCTAssertEqual(back.tensors[4].data?.elements(as: Int64.self), [-1, 32])
        // Deterministic: re-serializing the read graph gives the same bytes.
        XCTAssertEqual(try ModelWriter.serialize(back), bytes)
    }

    func testEmptyGraphRoundTrips() throws {
        let bytes = try ModelWriter.serialize(Graph())
        let back = try readBytes(bytes)
        XCTAssertTrue(back.tensors.isEmpty && back.nodes.isEmpty && back.metadata.isEmpty)
    }

    func testWeightsAreAlignedAndZeroCopy() throws {
        let bytes = try ModelWriter.serialize(sampleGraph())
        let blob = bytes.withUnsafeBytes { Blob(copying: $0) }
        let g = try ModelReader.read(blob, source: "mem")
        let weights = try XCTUnwrap(section(bytes, .weights))
        var constants = 0
        for t in g.tensors {
            guard let d = t.data else { continue }
            constants += 1
            XCTAssertEqual(d.offset % 64, 0, t.name)
            XCTAssertTrue(d.offset >= weights.offset && d.offset + d.byteCount <= weights.offset + weights.size)
            XCTAssertTrue(d.blob === blob, "constant \(t.name) must point into the caller's blob")
            XCTAssertEqual(Int(bitPattern: d.bytes.baseAddress) % 64, 0, t.name)
        }
        XCTAssertEqual(constants, 8)
        for s in sectionEntries(bytes) { XCTAssertEqual(s.offset % 64, 0) }
    }

    func testMisalignedBufferIsCopied() throws {
        let bytes = try ModelWriter.serialize(sampleGraph())
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes.count + 64, alignment: 64)
        defer { raw.deallocate() }
        let start = raw + 3
        bytes.withUnsafeBytes { start.copyMemory(from: $0.baseAddress!, byteCount: bytes.count) }
        let blob = Blob(bytes: UnsafeRawBufferPointer(start: start, count: bytes.count), release: nil)
        let g = try ModelReader.read(blob, source: "misaligned")
        for t in g.tensors { if let d = t.data { XCTAssertEqual(Int(bitPattern: d.bytes.baseAddress) % 64, 0) } }
        assertSameGraph(sampleGraph(), g)
    }
}

final class HeaderTests: XCTestCase {
    func testGoldenHeader() throws {
        let b = try ModelWriter.serialize(tinyGraph())
        XCTAssertEqual(Array(b[0 ..< 16]), [0x89, 0x44, 0x4C, 0x52, 0x54, 0x0D, 0x0A, 0x1A,  // magic
                                            0x01, 0x00, 0x00, 0x00,                          // 1.0
                                            0x40, 0x00, 0x00, 0x00])                         // header size 64
        XCTAssertEqual(le64(b, 16), UInt64(b.count))                   // file size
        XCTAssertEqual(le64(b, 24), 64)                                 // section table offset
        XCTAssertEqual(le32(b, 32), 5)                                  // section count
        XCTAssertEqual(le32(b, 36), formatCRC32(Array(b[64 ..< 64 + 5 * 32])))
        XCTAssertEqual(le32(b, 40), 0)                                  // flags
        XCTAssertEqual(Array(b[44 ..< 60]), [UInt8](repeating: 0, count: 16))
        XCTAssertEqual(le32(b, 60), formatCRC32(Array(b[0 ..< 60])))
        let kinds = sectionEntries(b).map(\.kind)
        XCTAssertEqual(kinds, [5, 1, 2, 3, 4])
        for s in sectionEntries(b) {
            XCTAssertEqual(s.offset % 64, 0)
            XCTAssertEqual(s.flags, s.kind == 4 ? 0 : 1)
            XCTAssertEqual(le32(b, s.entryAt + 24), formatCRC32(Array(b[s.offset ..< s.offset + s.size])))
            XCTAssertEqual(le32(b, s.entryAt + 28), 0)
        }
        XCTAssertEqual(FormatVersion.major, 1)
        XCTAssertEqual(FormatVersion.minor, 0)
    }

    func testBadMagicShowsFoundAndExpected() {
        var b = [UInt8](repeating: 0, count: 80)
        b[0 ..< 4] = [0x7F, 0x45, 0x4C, 0x46]
        expectModelError(.invalidModel, ["elf.bin", "found 7f 45 4c 46 00 00 00 00", "expected 89 44 4c 52 54 0d 0a 1a"]) {
            _ = try readBytes(b, source: "elf.bin")
        }
    }

    func testDifferentMajorRejected() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        put16(&b, 8, 2)
        refreshChecksums(&b)
        expectModelError(.unsupported, ["2.0", "found major 2", "supports major 1"]) { _ = try readBytes(b) }
        put16(&b, 8, 0)
        refreshChecksums(&b)
        expectModelError(.unsupported, ["found major 0"]) { _ = try readBytes(b) }
    }

    func testNewerMinorWithUnknownOptionalSectionAndTrailingFieldsAccepted() throws {
        var options = ModelWriter.Options()
        options.minor = 7
        options.extraSections = [(kind: 99, flags: 0, bytes: [1, 2, 3, 4, 5])]
        options.recordTrailingBytes = 12
        let b = try ModelWriter.serialize(sampleGraph(), options: options)
        XCTAssertEqual(le16(b, 10), 7)
        assertSameGraph(sampleGraph(), try readBytes(b))

        // The same extra record fields in a 1.0 file are an error.
        options.minor = 0
        let strict = try ModelWriter.serialize(sampleGraph(), options: options)
        expectModelError(.invalidModel, ["tensor table section (kind 1)", "unexpected trailing bytes", "tensor 0 'x'"]) {
            _ = try readBytes(strict)
        }
    }

    func testUnknownOptionalSectionSkippedRequiredRejected() throws {
        var options = ModelWriter.Options()
        options.extraSections = [(kind: 77, flags: 0, bytes: Array("future data".utf8))]
        let optional = try ModelWriter.serialize(tinyGraph(), options: options)
        XCTAssertEqual(sectionEntries(optional).count, 6)
        assertSameGraph(tinyGraph(), try readBytes(optional))

        options.extraSections = [(kind: 77, flags: 1, bytes: Array("future data".utf8))]
        let required = try ModelWriter.serialize(tinyGraph(), options: options)
        expectModelError(.unsupported, ["unknown kind 77", "required"]) { _ = try readBytes(required) }
    }

    func testHandBuiltUnknownSection() throws {
        // Append a section by hand: grow the table into the padding before the first section.
        var b = try ModelWriter.serialize(tinyGraph())
        XCTAssertGreaterThanOrEqual(sectionEntries(b).map(\.offset).min() ?? 0, 64 + 6 * 32)
        let payload: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF]
        while b.count % 64 != 0 { b.append(0) }
        let offset = b.count
        b += payload
        let entry = 64 + 5 * 32
        put32(&b, entry, 1234); put32(&b, entry + 4, 0)
        put64(&b, entry + 8, UInt64(offset)); put64(&b, entry + 16, UInt64(payload.count))
        put32(&b, entry + 24, formatCRC32(payload)); put32(&b, entry + 28, 0)
        put32(&b, 32, 6)
        put64(&b, 16, UInt64(b.count))
        refreshChecksums(&b)
        assertSameGraph(tinyGraph(), try readBytes(b))
        put32(&b, entry + 4, 1)
        refreshChecksums(&b)
        expectModelError(.unsupported, ["kind 1234", "at byte \(offset)"]) { _ = try readBytes(b) }
    }

    func testDuplicateAndMissingSections() throws {
        var b = try ModelWriter.serialize(tinyGraph())
        let entries = sectionEntries(b)
        let meta = try XCTUnwrap(entries.first { $0.kind == 4 })
        put32(&b, meta.entryAt, 3)  // metadata entry now claims to be a second graph I/O section
        refreshChecksums(&b)
        expectModelError(.invalidModel, ["duplicate graph inputs/outputs section"]) { _ = try readBytes(b) }
        put32(&b, meta.entryAt, 4)
        let nodes = try XCTUnwrap(entries.first { $0.kind == 2 })
        put32(&b, nodes.entryAt, 50)
        put32(&b, nodes.entryAt + 4, 0)
        refreshChecksums(&b)
        expectModelError(.invalidModel, ["missing required node list section (kind 2)"]) { _ = try readBytes(b) }
    }
}
