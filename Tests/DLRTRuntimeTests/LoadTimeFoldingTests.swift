@testable import DLRTRuntime
import DLRTModel
import XCTest

/// Load-time constant folding (Sources/DLRTRuntime/LoadTimeFolding.swift).
final class LoadTimeFoldingTests: XCTestCase {
    private func constant<T>(_ g: inout Graph, _ name: String, _ dtype: DType, _ values: [T], _ shape: [Int]) -> Int32 {
        g.addTensor(Tensor(name: name, dtype: dtype, shape: shape.map { .fixed($0) }, data: TensorData(blob: Blob.copying(values))))
    }
    private func value(_ g: inout Graph, _ name: String, _ shape: [Int], _ dtype: DType = .float32) -> Int32 {
        g.addTensor(Tensor(name: name, dtype: dtype, shape: shape.map { .fixed($0) }))
    }
    private let castToF32: [String: AttributeValue] = ["to": .int(Int64(DType.float32.rawValue))]

    /// Binds `inputs` (float32), runs, returns every output as floats.
    private func run(_ model: CompiledModel, _ inputs: [[Float]]) throws -> [[Float]] {
        let context = try Context(model: model)
        for (k, x) in inputs.enumerated() {
            let shape = (model.inputs[k].fixedShape ?? []).map(Int64.init)
            try shape.withUnsafeBufferPointer { s in
                try x.withUnsafeBytes { try context.setInput(k, dtype: .float32, shape: s, data: $0.baseAddress, byteCount: $0.count) }
            }
        }
        try withExtendedLifetime(inputs) { try context.run() }
        return try (0 ..< model.outputs.count).map { k in
            let r = try context.output(k)
            return Array(UnsafeBufferPointer(start: r.data?.assumingMemoryBound(to: Float.self), count: r.type.elementCount))
        }
    }

    private func castSteps(_ plan: Plan) -> Int {
        plan.steps.filter { String(describing: type(of: $0.kernel)).hasPrefix("CastKernel") }.count
    }

    func testCastOfFloat16ConstantFoldsToFloat32Values() throws {
        let source: [Float] = (0 ..< 40).map { Float($0) * 0.1 - 2 }
        let halves = source.map { Float16($0) }
        var g = Graph()
        let x = value(&g, "x", [40])
        g.inputs = [x]
        let h = constant(&g, "w", .float16, halves, [40])
        let w = value(&g, "w/float32", [40])
        let y = value(&g, "y", [40])
        g.nodes = [Node(name: "cast", op: .cast, inputs: [h], outputs: [w], attributes: castToF32),
                   Node(name: "add", op: .add, inputs: [x, w], outputs: [y])]
        g.outputs = [y]

        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.foldedNodeCount, 1)
        XCTAssertEqual(model.graph.nodes.map(\.op), [.add])
        let folded = model.graph.tensors[Int(w)]
        XCTAssertTrue(folded.isConstant)
        XCTAssertEqual(folded.dtype, .float32)
        XCTAssertEqual(folded.fixedShape, [40])
        XCTAssertEqual(folded.data?.elements(as: Float.self), halves.map { Float($0) })
        if let base = folded.data?.bytes.baseAddress { XCTAssertEqual(Int(bitPattern: base) % 64, 0, "64-byte aligned") }

        let xs = (0 ..< 40).map { Float($0) }
        let out = try run(model, [xs])[0]
        XCTAssertEqual(out, zip(xs, halves).map { $0 + Float($1) })
        let plan = try XCTUnwrap(model.fixedPlan)
        XCTAssertEqual(plan.steps.count, 1)
        XCTAssertEqual(castSteps(plan), 0, "the plan has no Cast step")
    }

    func testChainOfConstantNodesFolds() throws {
        // Cast(f16) → Mul(·, 2) → Neg → Add(x, ·): the first three fold, in one pass.
        var g = Graph()
        let x = value(&g, "x", [2, 3])
        g.inputs = [x]
        let h = constant(&g, "h", .float16, [1, -2, 3, 0.5, 0.25, -8].map { Float16($0) }, [2, 3])
        let two = constant(&g, "two", .float32, [Float(2)], [])
        let a = value(&g, "a", [2, 3]), b = value(&g, "b", [2, 3]), c = value(&g, "c", [2, 3]), y = value(&g, "y", [2, 3])
        g.nodes = [Node(name: "cast", op: .cast, inputs: [h], outputs: [a], attributes: castToF32),
                   Node(name: "mul", op: .mul, inputs: [a, two], outputs: [b]),
                   Node(name: "neg", op: .neg, inputs: [b], outputs: [c]),
                   Node(name: "add", op: .add, inputs: [x, c], outputs: [y])]
        g.outputs = [y]
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.foldedNodeCount, 3)
        XCTAssertEqual(model.graph.nodes.map(\.name), ["add"])
        XCTAssertEqual(model.graph.tensors[Int(c)].data?.elements(as: Float.self), [-2, 4, -6, -1, -0.5, 16])
        XCTAssertEqual(try run(model, [[10, 10, 10, 10, 10, 10]])[0], [8, 14, 4, 9, 9.5, 26])
    }

    func testGraphOutputProducedFromConstantsStillWorks() throws {
        // y = Cast(h) is a graph output and also read by a later node; z = x + y.
        var g = Graph()
        let x = value(&g, "x", [4])
        g.inputs = [x]
        let h = constant(&g, "h", .float16, [1.5, -2, 0.125, 4].map { Float16($0) }, [4])
        let y = value(&g, "y", [4]), r = value(&g, "r", [4]), z = value(&g, "z", [4])
        g.nodes = [Node(name: "cast", op: .cast, inputs: [h], outputs: [y], attributes: castToF32),
                   Node(name: "relu", op: .relu, inputs: [y], outputs: [r]),
                   Node(name: "add", op: .add, inputs: [x, r], outputs: [z])]
        g.outputs = [y, z, r]
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.foldedNodeCount, 2, "cast and relu fold; their graph outputs get an Identity")
        XCTAssertEqual(model.graph.nodes.filter { $0.op == .identity }.count, 2)
        XCTAssertFalse(model.graph.nodes.contains { $0.op == .cast || $0.op == .relu })
        XCTAssertEqual(model.graph.outputs, [y, z, r], "output ids and names are unchanged")
        for _ in 0 ..< 2 {   // the second run reuses the plan
            let out = try run(model, [[1, 2, 3, 4]])
            XCTAssertEqual(out[0], [1.5, -2, 0.125, 4])
            XCTAssertEqual(out[1], [2.5, 2, 3.125, 8])
            XCTAssertEqual(out[2], [1.5, 0, 0.125, 4])
        }
        // Folding is idempotent: a folded graph (Identity of a constant per output) folds no further.
        XCTAssertEqual(LoadTimeFolding.fold(model.graph).folded, 0)
    }

    func testModelOfConstantsOnlyWithSymbolicNothing() throws {
        // No graph inputs at all: everything folds, the outputs are Identities of constants.
        var g = Graph()
        let h = constant(&g, "h", .float16, [Float16(3), Float16(-1)], [2])
        let y = value(&g, "y", [2])
        g.nodes = [Node(name: "cast", op: .cast, inputs: [h], outputs: [y], attributes: castToF32)]
        g.outputs = [y]
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.graph.nodes.map(\.op), [.identity])
        XCTAssertEqual(try run(model, [])[0], [3, -1])
    }

    func testNodeAboveMemoryGuardStaysInTheGraph() throws {
        // Expand of a scalar to 2^27 float32 (512 MB) is above the 256 MB guard: not folded.
        var g = Graph()
        let s = constant(&g, "s", .float32, [Float(1)], [])
        let shape = constant(&g, "shape", .int64, [Int64(1) << 27], [1])
        let y = value(&g, "y", [1 << 27])
        g.nodes = [Node(name: "expand", op: .expand, inputs: [s, shape], outputs: [y])]
        g.outputs = [y]
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.foldedNodeCount, 0)
        XCTAssertEqual(model.graph.nodes.map(\.op), [.expand])
    }

    func testGraphBudgetLimitsFoldingOfSmallFiles() throws {
        // 2^23 float32 = 32 MB from a few bytes of constants: above the graph's budget
        // (16 MB + 2 × its constants), so it is not folded; 2^21 (8 MB) is.
        for (count, folds) in [(1 << 23, false), (1 << 21, true)] {
            var g = Graph()
            let s = constant(&g, "s", .float32, [Float(1)], [])
            let shape = constant(&g, "shape", .int64, [Int64(count)], [1])
            let e = value(&g, "e", [count])
            g.nodes = [Node(name: "expand", op: .expand, inputs: [s, shape], outputs: [e])]
            g.outputs = [e]
            let model = try CompiledModel(graph: g)
            XCTAssertEqual(model.foldedNodeCount, folds ? 1 : 0, "\(count)")
        }
    }

    func testFailingConstantNodeIsReportedAsWithoutFolding() throws {
        // A Cast with a bad `to` cannot fold; loading reports the operator's own error.
        var g = Graph()
        let h = constant(&g, "h", .float16, [Float16(1)], [1])
        let y = value(&g, "y", [1])
        g.nodes = [Node(name: "badcast", op: .cast, inputs: [h], outputs: [y], attributes: ["to": .int(99)])]
        g.outputs = [y]
        assertOpError(["badcast", "to"]) { _ = try CompiledModel(graph: g) }
    }

    func testDeclaredDtypeMismatchIsNotFolded() throws {
        // Cast to float32 declared as int64: left to the plan, which names the mismatch.
        var g = Graph()
        let h = constant(&g, "h", .float16, [Float16(1)], [1])
        let y = value(&g, "y", [1], .int64)
        g.nodes = [Node(name: "cast", op: .cast, inputs: [h], outputs: [y], attributes: castToF32)]
        g.outputs = [y]
        assertOpError(["cast", "int64"]) { _ = try CompiledModel(graph: g) }
    }
}
