import XCTest
import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import DLRTModel

final class FileIOTests: XCTestCase {
    private var dir = ""

    override func setUpWithError() throws {
        var template = Array("/tmp/dlrt-format-XXXXXX".utf8CString)
        let p = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        dir = String(cString: try XCTUnwrap(p))
    }

    override func tearDown() {
        if !dir.isEmpty { try? FileManager.default.removeItem(atPath: dir) }
    }

    private func contents(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map { [UInt8]($0) }
    }

    func testWriteThenLoad() throws {
        let path = dir + "/model.dlrt"
        try ModelWriter.write(sampleGraph(), to: path)
        XCTAssertEqual(contents(path), try ModelWriter.serialize(sampleGraph()))
        let g = try ModelReader.load(path: path)
        assertSameGraph(sampleGraph(), g)
        for t in g.tensors {
            if let d = t.data { XCTAssertEqual(Int(bitPattern: d.bytes.baseAddress) % 64, 0, t.name) }
        }
        // Overwriting an existing file works and leaves no temp file behind.
        try ModelWriter.write(tinyGraph(), to: path)
        assertSameGraph(tinyGraph(), try ModelReader.load(path: path))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["model.dlrt"])
    }

    func testLoadErrors() throws {
        expectModelError(.io, [dir + "/missing.dlrt: No such file or directory"]) {
            _ = try ModelReader.load(path: dir + "/missing.dlrt")
        }
        expectModelError(.io, [dir + ": Is a directory"]) { _ = try ModelReader.load(path: dir) }
        let empty = dir + "/empty.dlrt"
        XCTAssertTrue(FileManager.default.createFile(atPath: empty, contents: Data()))
        expectModelError(.io, [empty + ": empty file"]) { _ = try ModelReader.load(path: empty) }
        let junk = dir + "/junk.dlrt"
        XCTAssertTrue(FileManager.default.createFile(atPath: junk, contents: Data("hello world".utf8)))
        expectModelError(.invalidModel, [junk + ": not a .dlrt file"]) { _ = try ModelReader.load(path: junk) }
    }

    func testAtomicWriteKeepsExistingFileWhenSerializationFails() throws {
        let path = dir + "/model.dlrt"
        try ModelWriter.write(tinyGraph(), to: path)
        let before = contents(path)
        var bad = tinyGraph()
        bad.outputs = [42]
        expectModelError(.invalidModel, ["graph output 0"]) { try ModelWriter.write(bad, to: path) }
        XCTAssertEqual(contents(path), before)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["model.dlrt"])
    }

    func testWriteIntoMissingDirectoryFails() {
        let path = dir + "/no/such/dir/model.dlrt"
        expectModelError(.io, [path]) { try ModelWriter.write(tinyGraph(), to: path) }
    }

    func testWriteOverDirectoryFailsAndCleansUp() throws {
        let target = dir + "/sub"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        try "x".write(toFile: target + "/keep", atomically: false, encoding: .utf8)
        expectModelError(.io, [target]) { try ModelWriter.write(tinyGraph(), to: target) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir), ["sub"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target), ["keep"])
    }
}
