import DLRTModel
@testable import DLRTRuntime
import XCTest

/// Bugs found by fuzzing (Tests/fuzz) and the resource-limit checks of docs/ROBUSTNESS.md.
final class FuzzRegressionTests: XCTestCase {
    private func oneNode(_ op: OpCode, input: [Dim], attributes: [String: AttributeValue] = [:]) -> Graph {
        Graph(tensors: [Tensor(name: "x", dtype: .float32, shape: input),
                        Tensor(name: "y", dtype: .float32, shape: input)],
              nodes: [Node(name: "n", op: op, inputs: [0], outputs: [1], attributes: attributes)],
              inputs: [0], outputs: [1])
    }

    private func loadError(_ graph: Graph, file: StaticString = #filePath, line: UInt = #line) -> ModelError? {
        do {
            // Through the file format, as a hostile file would arrive.
            let bytes = try ModelWriter.serialize(graph)
            let read = try bytes.withUnsafeBytes { try ModelReader.read(Blob(copying: $0), source: "hostile.dlrt") }
            _ = try CompiledModel(graph: read)
            XCTFail("the model loaded", file: file, line: line)
            return nil
        } catch let e as ModelError {
            return e
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
            return nil
        }
    }

    /// fuzz_dlrt: Softmax on a fixed input whose dims multiply past Int.max trapped (overflow in
    /// the operator's shape arithmetic) while the plan was built at load.
    /// Input: Tests/fuzz/regressions/dlrt/softmax-input-dims-overflow.
    func testInputDimsOverflowingIntFailAtLoad() {
        let e = loadError(oneNode(.softmax, input: [.fixed(1 << 30), .fixed(1 << 30), .fixed(1 << 30)]))
        XCTAssertEqual(e?.kind, .shape)
        XCTAssertTrue(e?.message.contains("graph input 'x'") ?? false, e?.message ?? "")
    }

    /// A hostile file whose input asks for 2^40 + 1 elements fails at load with a clear message and
    /// without allocating for it.
    func testInputAbove2To40ElementsFailsAtLoad() {
        let e = loadError(oneNode(.relu, input: [.fixed((1 << 40) + 1)]))
        XCTAssertEqual(e?.kind, .shape)
        XCTAssertTrue(e?.message.contains("more than 2^40 elements") ?? false, e?.message ?? "")
    }

    /// A context whose arena cannot be allocated reports out-of-memory instead of trapping
    /// (UnsafeMutableRawPointer.allocate traps on failure). 2^39 floats in, 2 TiB of arena.
    func testUnallocatableArenaIsAnError() throws {
        let model = try CompiledModel(graph: oneNode(.relu, input: [.symbolic("batch"), .fixed(1 << 20)]))
        let context = try Context(model: model)
        let shape: [Int64] = [1 << 19, 1 << 20]
        var dummy: Float = 0   // never read: planning fails before any kernel runs
        try shape.withUnsafeBufferPointer {
            try context.setInput(0, dtype: .float32, shape: $0, data: &dummy, byteCount: 1 << 41)
        }
        XCTAssertThrowsError(try context.run()) { error in
            XCTAssertEqual((error as? ModelError)?.kind, .outOfMemory, "\(error)")
        }
        // The context stays usable: a small batch plans and runs.
        var x = [Float](repeating: -1, count: 1 << 20)
        try [Int64(1), 1 << 20].withUnsafeBufferPointer {
            try context.setInput(0, dtype: .float32, shape: $0, data: &x, byteCount: 4 << 20)
        }
        try context.run()
        let out = try context.output(0)
        XCTAssertEqual(out.byteCount, 4 << 20)
        XCTAssertEqual(out.data?.load(as: Float.self), 0)
    }
}
