import DLRTModel
@testable import DLRTONNX
import XCTest

/// Crash inputs found by fuzz_onnx (Tests/fuzz), replayed through the converter: each must fail
/// with a ModelError (or convert), never trap.
final class FuzzRegressionTests: XCTestCase {
    private func regression(_ name: String, file: StaticString = #filePath) -> [UInt8]? {
        var dir = "\(file)"
        for _ in 0 ..< 3 { dir = String(dir[..<(dir.lastIndex(of: "/") ?? dir.startIndex)]) }
        let path = dir + "/Tests/fuzz/regressions/onnx/" + name
        guard let f = fopen(path, "rb") else { XCTFail("missing \(path)"); return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes += buffer[0 ..< n]
        }
        return bytes
    }

    /// A Mul node with one input: constant folding indexed its missing second input (trap).
    func testFoldOfNodeWithTooFewInputs() throws {
        let bytes = try XCTUnwrap(regression("mul-one-input-fold"))
        XCTAssertThrowsError(try bytes.withUnsafeBytes { try ONNXConverter.convert(bytes: $0, source: "fuzz") }) { error in
            XCTAssertTrue(error is ModelError, "\(error)")
        }
    }
}
