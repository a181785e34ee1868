import DLRTModel
@testable import DLRTONNX
import Glibc
import XCTest

/// Converts every .onnx file in $DLRT_ONNX_SWEEP_DIR (e.g. ONNX's node tests written out as in
/// /work/shared/NOTES.md) and prints each failure; skipped when the variable is unset. Guards
/// against traps on real-world inputs; failures are reported, not asserted.
final class SweepTests: XCTestCase {
    func testSweepDirectory() throws {
        guard let dirC = getenv("DLRT_ONNX_SWEEP_DIR") else { throw XCTSkip("DLRT_ONNX_SWEEP_DIR not set") }
        let dir = String(cString: dirC)
        guard let d = opendir(dir) else { throw XCTSkip("cannot open \(dir)") }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n.hasSuffix(".onnx") { names.append(n) }
        }
        var ok = 0
        for n in names.sorted() {
            do { _ = try ONNXConverter.convert(path: dir + "/" + n); ok += 1 }
            catch { print("SWEEP FAIL \(n): \(error)") }
        }
        print("SWEEP converted \(ok) of \(names.count)")
    }
}
