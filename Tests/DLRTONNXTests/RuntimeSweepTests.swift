import DLRTModel
import DLRTONNX
import DLRTRuntime
import Glibc
import XCTest

/// End-to-end check against ONNX's node tests: for each directory in $DLRT_ONNX_NODE_DATA
/// holding model.onnx, in<k>.{txt,bin} and out<k>.{txt,bin} (txt: "f32|i64 dims…", bin: raw
/// little-endian data), convert, run with DLRTRuntime and compare. Skipped when unset.
/// Conversion refusals are counted, numeric mismatches printed; nothing is asserted.
final class RuntimeSweepTests: XCTestCase {

    func load(_ base: String) -> (dtype: DType, shape: [Int64], bytes: [UInt8])? {
        guard let f = fopen(base + ".txt", "r") else { return nil }
        var line = [CChar](repeating: 0, count: 256)
        fgets(&line, 256, f); fclose(f)
        let parts = String(cString: line).split(separator: " ").map(String.init)
        guard let kind = parts.first else { return nil }
        let shape = parts.dropFirst().compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard let bf = fopen(base + ".bin", "rb") else { return nil }
        defer { fclose(bf) }
        var bytes: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true { let n = fread(&buf, 1, buf.count, bf); if n <= 0 { break }; bytes += buf[0 ..< n] }
        return (kind == "f32" ? .float32 : .int64, shape, bytes)
    }

    func testNodeTestsRunCorrectly() throws {
        guard let dirC = getenv("DLRT_ONNX_NODE_DATA") else { throw XCTSkip("DLRT_ONNX_NODE_DATA not set") }
        let dir = String(cString: dirC)
        guard let d = opendir(dir) else { throw XCTSkip("cannot open \(dir)") }
        var cases: [String] = []
        while let e = readdir(d) {
            let n = withUnsafeBytes(of: e.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if n.hasPrefix("test_") { cases.append(n) }
        }
        closedir(d)
        var passed = 0, refused = 0, wrong = 0
        for c in cases.sorted() {
            let base = dir + "/" + c + "/"
            let graph: Graph
            do { graph = try ONNXConverter.convert(path: base + "model.onnx").graph } catch { refused += 1; continue }
            do {
                let ctx = try Context(model: try CompiledModel(graph: graph))
                var inputs: [(DType, [Int64], [UInt8])] = []
                for k in 0 ..< graph.inputs.count {
                    guard let t = load(base + "in\(k)") else { throw ModelError(.io, "missing input \(k)") }
                    inputs.append(t)
                }
                for (k, t) in inputs.enumerated() {
                    try t.1.withUnsafeBufferPointer { s in
                        try t.2.withUnsafeBytes { try ctx.setInput(k, dtype: t.0, shape: s, data: $0.baseAddress, byteCount: $0.count) }
                    }
                }
                try withExtendedLifetime(inputs) { try ctx.run() }
                var bad: String? = nil
                for k in 0 ..< graph.outputs.count {
                    guard let want = load(base + "out\(k)") else { continue }
                    let got = try ctx.output(k)
                    if got.type.shape.map(Int64.init) != want.shape { bad = "output \(k) shape \(got.type.shape) vs \(want.shape)"; break }
                    guard got.byteCount == want.bytes.count, let p = got.data else { bad = "output \(k) size"; break }
                    if want.dtype == .float32 {
                        let n = got.byteCount / 4
                        let g = p.bindMemory(to: Float.self, capacity: n)
                        let w = want.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                        for i in 0 ..< n where !(abs(g[i] - w[i]) <= 1e-4 + 1e-4 * abs(w[i]) || (g[i].isNaN && w[i].isNaN) || g[i] == w[i]) {
                            bad = "output \(k)[\(i)] = \(g[i]), expected \(w[i])"; break
                        }
                    } else if memcmp(p, want.bytes, got.byteCount) != 0 { bad = "output \(k) differs" }
                    if bad != nil { break }
                }
                if let bad { wrong += 1; print("NODE WRONG \(c): \(bad)") } else { passed += 1 }
            } catch {
                wrong += 1
                print("NODE ERROR \(c): \(error)")
            }
        }
        print("NODE passed \(passed), refused by converter \(refused), failed at run time or wrong \(wrong) of \(cases.count)")
    }
}
