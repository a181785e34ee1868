@testable import DLRTRuntime
import DLRTModel
import XCTest

/// Value inputs (docs/ARCHITECTURE.md, "Operands fed at run time"): a Reshape whose shape is a
/// graph input. One Context re-plans when the values change, keeps its plan when they do not,
/// and turns hostile values into shape errors naming the node (never a trap); a good value after
/// an error runs normally.
final class RuntimeValueTests: XCTestCase {
    /// x float32 [2, 3, 4] and shape int64 [2] (both graph inputs) → Reshape "rs".
    func reshapeModel() throws -> CompiledModel {
        var graph = Graph()
        let x = graph.addTensor(Tensor(name: "x", dtype: .float32, shape: [.fixed(2), .fixed(3), .fixed(4)]))
        let s = graph.addTensor(Tensor(name: "shape", dtype: .int64, shape: [.fixed(2)]))
        let y = graph.addTensor(Tensor(name: "y", dtype: .float32, shape: [.symbolic("a"), .symbolic("b")]))
        graph.inputs = [x, s]
        graph.outputs = [y]
        graph.nodes = [Node(name: "rs", op: .reshape, inputs: [x, s], outputs: [y], attributes: [:])]
        return try CompiledModel(graph: graph)
    }

    func run(_ ctx: Context, _ shape: [Int64]) throws -> (shape: [Int], values: [Float]) {
        var x = (0 ..< 24).map(Float.init)
        var s = shape
        try [Int64(2), 3, 4].withUnsafeBufferPointer {
            try ctx.setInput(0, dtype: .float32, shape: $0, data: &x, byteCount: 96)
        }
        try [Int64(2)].withUnsafeBufferPointer {
            try ctx.setInput(1, dtype: .int64, shape: $0, data: &s, byteCount: 16)
        }
        try ctx.run()
        let out = try ctx.output(0)
        let n = out.byteCount / 4
        let values = (0 ..< n).map { out.data!.load(fromByteOffset: $0 * 4, as: Float.self) }
        return (out.type.shape, values)
    }

    func testValuesChangeBetweenRuns() throws {
        let model = try reshapeModel()
        XCTAssertNil(model.fixedPlan, "a model with value inputs has no load-time plan")
        XCTAssertEqual(model.valueInputs.positions, [1])
        let ctx = try Context(model: model)
        for (shape, want) in [([4, 6], [4, 6]), ([-1, 2], [12, 2]), ([0, -1], [2, 12]), ([4, 6], [4, 6])] as [([Int64], [Int])] {
            let r = try run(ctx, shape)
            XCTAssertEqual(r.shape, want, "\(shape)")
            XCTAssertEqual(r.values, (0 ..< 24).map(Float.init))
        }
        // Unchanged values keep the plan object.
        let plan = ctx.plan
        _ = try run(ctx, [4, 6])
        XCTAssertTrue(plan === ctx.plan)
        _ = try run(ctx, [6, 4])
        XCTAssertFalse(plan === ctx.plan)
    }

    func testHostileValues() throws {
        let ctx = try Context(model: try reshapeModel())
        let cases: [([Int64], [String])] = [
            ([5, 5], ["rs", "cannot reshape", "25"]),
            ([-1, -1], ["rs", "at most one"]),
            ([-7, 1], ["rs", "≥ -1"]),
            ([Int64.max, 2], ["rs", "overflows"]),
            ([Int64.min, 2], ["rs", "≥ -1"]),
            ([7, -1], ["rs", "does not divide"]),
            ([0, 0], ["rs", "cannot reshape"]),
        ]
        for (shape, parts) in cases {
            assertOpError(parts) { _ = try self.run(ctx, shape) }
            XCTAssertFalse(ctx.hasResults)
            let ok = try run(ctx, [3, 8])
            XCTAssertEqual(ok.shape, [3, 8])
        }
    }

    func testValueInputMustBeSmall() throws {
        var graph = Graph()
        let x = graph.addTensor(Tensor(name: "x", dtype: .float32, shape: [.fixed(2)]))
        let s = graph.addTensor(Tensor(name: "shape", dtype: .int64, shape: [.symbolic("k")]))
        let y = graph.addTensor(Tensor(name: "y", dtype: .float32, shape: [.symbolic("a")]))
        graph.inputs = [x, s]
        graph.outputs = [y]
        graph.nodes = [Node(name: "rs9", op: .reshape, inputs: [x, s], outputs: [y], attributes: [:])]
        assertOpError(["rs9", "shape", "value input", "64"]) { _ = try CompiledModel(graph: graph) }
    }
}
