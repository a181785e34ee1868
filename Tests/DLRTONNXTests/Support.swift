import DLRTModel
@testable import DLRTONNX
import XCTest

/// Absolute path of a committed fixture (Tests/DLRTONNXTests/Fixtures/<name>.onnx).
func fixture(_ name: String, file: StaticString = #filePath) -> String {
    var dir = "\(file)"
    while let last = dir.last, last != "/" { dir.removeLast() }
    return dir + "Fixtures/" + name + ".onnx"
}

func convertFixture(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws -> ConversionResult {
    try ONNXConverter.convert(path: fixture(name))
}

/// The error a conversion throws (fails the test when none is thrown).
func conversionError(_ name: String, file: StaticString = #filePath, line: UInt = #line) -> ModelError? {
    do {
        _ = try ONNXConverter.convert(path: fixture(name))
        XCTFail("converting \(name) should fail", file: file, line: line)
    } catch let e as ModelError {
        return e
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
    return nil
}

extension Graph {
    var opNames: [String] { nodes.map(\.op.name) }
    func node(_ name: String) -> Node? { nodes.first { $0.name == name } }
    func tensor(_ id: Int32) -> Tensor { tensors[Int(id)] }
    func tensorID(_ name: String) -> Int32? { tensors.firstIndex { $0.name == name }.map(Int32.init) }
    func floats(_ id: Int32) -> [Float] { tensors[Int(id)].data?.elements(as: Float.self) ?? [] }
    func int64s(_ id: Int32) -> [Int64] { tensors[Int(id)].data?.elements(as: Int64.self) ?? [] }
    func constant(named name: String) -> [Float] { tensorID(name).map(floats) ?? [] }
}

func assertClose(_ a: [Float], _ b: [Float], tol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths differ", file: file, line: line)
    for (k, (x, y)) in zip(a, b).enumerated() where abs(x - y) > tol * max(1, abs(y)) {
        XCTFail("element \(k): \(x) vs \(y)", file: file, line: line)
        return
    }
}
