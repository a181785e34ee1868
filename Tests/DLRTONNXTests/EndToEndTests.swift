import DLRTModel
@testable import DLRTONNX
import DLRTRuntime
import XCTest

/// Converts fixtures and runs them with DLRTRuntime on the inputs make_fixtures.py fed to
/// onnxruntime, comparing with onnxruntime's outputs (Fixtures/<name>.io.txt).
final class EndToEndTests: XCTestCase {
    struct IO { var dims: [Int64]; var values: [Float] }

    func readIO(_ name: String) throws -> (inputs: [IO], outputs: [IO]) {
        let path = String(fixture(name).dropLast(5)) + ".io.txt"
        let bytes = try ONNXConverter.convertFixtureText(path)
        var ins: [IO] = [], outs: [IO] = []
        for line in bytes.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count >= 3 else { continue }
            let dims = f[2].split(separator: ",").compactMap { Int64($0) }
            let io = IO(dims: dims, values: f.dropFirst(3).compactMap { Float(String($0)) })
            if f[0] == "in" { ins.append(io) } else { outs.append(io) }
        }
        return (ins, outs)
    }

    func check(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let graph = try convertFixture(name).graph
        let (ins, outs) = try readIO(name)
        let ctx = try Context(model: try CompiledModel(graph: graph))
        for (k, i) in ins.enumerated() {
            try i.dims.withUnsafeBufferPointer { d in
                try i.values.withUnsafeBytes { try ctx.setInput(k, dtype: .float32, shape: d, data: $0.baseAddress, byteCount: $0.count) }
            }
        }
        try withExtendedLifetime(ins) { try ctx.run() }
        XCTAssertEqual(graph.outputs.count, outs.count, name, file: file, line: line)
        for (k, want) in outs.enumerated() {
            let got = try ctx.output(k)
            XCTAssertEqual(got.type.shape.map(Int64.init), want.dims, "\(name) output \(k) shape", file: file, line: line)
            guard let p = got.data, got.byteCount == want.values.count * 4 else {
                XCTFail("\(name) output \(k): \(got.byteCount) bytes", file: file, line: line); continue
            }
            let values = Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: Float.self), count: want.values.count))
            assertClose(values, want.values, tol: 1e-4, file: file, line: line)
        }
    }

    func testConvertedFixturesMatchOnnxruntime() throws {
        for name in ["mlp_flatten", "mlp_flatten_opset11", "conv_bn_relu", "gemm_bn", "depthwise", "residual",
                     "softmax_opset11", "softmax_opset13", "clip_opset13", "identity_dropout"] {
            try check(name)
        }
    }
}

extension ONNXConverter {
    /// Reads a small text fixture (test helper).
    static func convertFixtureText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }
}
