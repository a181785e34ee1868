import DLRTModel
@testable import DLRTONNX
import DLRTRuntime
import Glibc
import XCTest

/// `convert --weights float16` (Sources/DLRTONNX/Passes/Float16Weights.swift) and its load-time
/// folding in the runtime.
final class Float16WeightsTests: XCTestCase {
    private func convert(_ name: String, _ weights: DType) throws -> ConversionResult {
        var o = ConvertOptions()
        o.weights = weights
        return try ONNXConverter.convert(path: fixture(name), options: o)
    }

    /// Runs `graph` on the inputs of Fixtures/<name>.io.txt, returns output 0.
    private func run(_ graph: Graph, fixtureIO name: String) throws -> [Float] {
        // Fixtures/<name>.io.txt lines: `in K d0,d1,… v0 v1 …` (outputs: `out …`).
        let text = try ONNXConverter.convertFixtureText(String(fixture(name).dropLast(5)) + ".io.txt")
        var ins: [(dims: [Int64], values: [Float])] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ", omittingEmptySubsequences: false)
            guard f.count >= 3, f[0] == "in" else { continue }
            ins.append((f[2].split(separator: ",").compactMap { Int64($0) }, f.dropFirst(3).compactMap { Float(String($0)) }))
        }
        let ctx = try Context(model: try CompiledModel(graph: graph))
        for (k, i) in ins.enumerated() {
            try i.dims.withUnsafeBufferPointer { d in
                try i.values.withUnsafeBytes { try ctx.setInput(k, dtype: .float32, shape: d, data: $0.baseAddress, byteCount: $0.count) }
            }
        }
        try withExtendedLifetime(ins) { try ctx.run() }
        let r = try ctx.output(0)
        return Array(UnsafeBufferPointer(start: r.data?.assumingMemoryBound(to: Float.self), count: r.type.elementCount))
    }

    private func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) { ab += Double(x) * Double(y); aa += Double(x) * Double(x); bb += Double(y) * Double(y) }
        return ab / max((aa * bb).squareRoot(), 1e-30)
    }

    func testConvBNReluFixture() throws {
        let r32 = try convert("conv_bn_relu", .float32)
        let r16 = try convert("conv_bn_relu", .float16)
        let g = r16.graph
        XCTAssertEqual(g.metadataValue("weights"), "float16")
        XCTAssertNil(r32.graph.metadataValue("weights"))
        XCTAssertTrue(r16.summary.contains { $0.contains("float16 weights: 1 tensor converted") }, "\(r16.summary)")
        XCTAssertEqual(r16.parameterCount, r32.parameterCount)

        // Conv's W is a float16 constant (same name) read through a Cast; the bias stays float32.
        let conv = try XCTUnwrap(g.nodes.first { $0.op == .conv })
        let cast = try XCTUnwrap(g.nodes.first { $0.outputs == [conv.inputs[1]] })
        XCTAssertEqual(cast.op, .cast)
        XCTAssertEqual(cast.attributes["to"], .int(1))
        let w16 = g.tensor(cast.inputs[0])
        XCTAssertEqual(w16.dtype, .float16)
        if conv.inputs.count > 2, conv.inputs[2] >= 0 { XCTAssertEqual(g.tensor(conv.inputs[2]).dtype, .float32) }
        let conv32 = try XCTUnwrap(r32.graph.nodes.first { $0.op == .conv })
        let w32 = r32.graph.floats(conv32.inputs[1])
        XCTAssertEqual(w16.name, r32.graph.tensor(conv32.inputs[1]).name)
        XCTAssertEqual(w16.data?.elements(as: Float16.self), w32.map { Float16($0) }, "round to nearest even")

        // Through the file and back, then run: close to the float32 model.
        let path = "/tmp/dlrt_f16_test_\(getpid()).dlrt"
        defer { unlink(path) }
        try ModelWriter.write(g, to: path)
        let loaded = try ModelReader.load(path: path)
        XCTAssertEqual(loaded.tensors.filter { $0.dtype == .float16 && $0.isConstant }.count, 1)
        let model = try CompiledModel(graph: loaded)
        XCTAssertFalse(model.graph.nodes.contains { $0.op == .cast }, "the Casts fold at load")
        let want = try run(r32.graph, fixtureIO: "conv_bn_relu")
        let got = try run(loaded, fixtureIO: "conv_bn_relu")
        XCTAssertGreaterThan(cosine(got, want), 0.9999)
        assertClose(got, want, tol: 1e-2)
    }

    func testEveryFixtureWithIOConvertsAndStaysClose() throws {
        for name in ["mlp_flatten", "depthwise", "residual", "gemm_bn", "softmax_opset13"] {
            let want = try run(try convert(name, .float32).graph, fixtureIO: name)
            let r = try convert(name, .float16)
            let got = try run(r.graph, fixtureIO: name)
            XCTAssertGreaterThan(cosine(got, want), 0.999, name)
        }
    }

    // MARK: The pass on hand-built graphs

    private func gemmGraph(b values: [Float], bShape: [Int], bias: [Float]) -> Graph {
        var g = Graph()
        let k = bShape[0], n = bShape[1]
        let x = g.addTensor(Tensor(name: "x", dtype: .float32, shape: [.fixed(1), .fixed(k)]))
        g.inputs = [x]
        let b = g.addTensor(Tensor(name: "B", dtype: .float32, shape: bShape.map { .fixed($0) }, data: TensorData(blob: Blob.copying(values))))
        let c = g.addTensor(Tensor(name: "C", dtype: .float32, shape: [.fixed(n)], data: TensorData(blob: Blob.copying(bias))))
        let y = g.addTensor(Tensor(name: "y", dtype: .float32, shape: [.fixed(1), .fixed(n)]))
        g.nodes = [Node(name: "gemm", op: .gemm, inputs: [x, b, c], outputs: [y])]
        g.outputs = [y]
        return g
    }

    func testRoundToNearestEvenAndBiasKept() throws {
        // 1 + 2^-11 is a tie between 1 and 1 + 2^-10: even → 1. 1 + 3·2^-11 → 1 + 2^-9 (even).
        var values = [Float](repeating: 0.5, count: 32)
        values[0] = 1 + 0x1p-11
        values[1] = 1 + 3 * 0x1p-11
        values[2] = 65504
        values[3] = -65519   // rounds to -65504, still in range
        var g = gemmGraph(b: values, bShape: [4, 8], bias: [Float](repeating: 0.1, count: 8))
        let report = Float16Weights.apply(&g)
        XCTAssertEqual(report.converted, 1)
        XCTAssertEqual(report.bytesBefore, 128)
        XCTAssertEqual(report.bytesAfter, 64)
        XCTAssertTrue(report.warnings.isEmpty, "\(report.warnings)")
        try GraphValidator.validate(g)
        XCTAssertEqual(g.nodes.map(\.op), [.cast, .gemm])
        let b = g.tensors[Int(g.tensorID("B")!)]
        XCTAssertEqual(b.dtype, .float16)
        let h = try XCTUnwrap(b.data).elements(as: Float16.self)
        XCTAssertEqual(h[0], 1)
        XCTAssertEqual(h[1], Float16(1 + 0x1p-9 as Float))
        XCTAssertEqual(h[2], 65504)
        XCTAssertEqual(h[3], -65504)
        XCTAssertEqual(g.tensors[Int(g.tensorID("C")!)].dtype, .float32, "the bias stays float32")

        // And it runs: the model computes with the float16-rounded weights.
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.graph.nodes.map(\.op), [.gemm])
    }

    func testOverflowKeepsFloat32AndWarns() throws {
        var values = [Float](repeating: 1, count: 16)
        values[5] = -70000
        var g = gemmGraph(b: values, bShape: [2, 8], bias: [Float](repeating: 0, count: 8))
        let report = Float16Weights.apply(&g)
        XCTAssertEqual(report.converted, 0)
        XCTAssertEqual(g.nodes.map(\.op), [.gemm])
        XCTAssertEqual(g.tensors[Int(g.tensorID("B")!)].dtype, .float32)
        XCTAssertEqual(report.warnings.count, 1)
        let w = report.warnings.first ?? ""
        XCTAssertTrue(w.contains("'B'") && w.contains("70000") && w.contains("65504") && w.contains("kept as float32"), w)
    }

    func testSmallAndSharedTensorsStayFloat32() throws {
        // 15 elements: too small.
        var small = gemmGraph(b: [Float](repeating: 1, count: 15), bShape: [3, 5], bias: [Float](repeating: 0, count: 5))
        XCTAssertEqual(Float16Weights.apply(&small).converted, 0)
        XCTAssertEqual(small.nodes.count, 1)

        // B also read by an Add (not a weight operand): kept, so the Add sees exact values.
        var g = gemmGraph(b: [Float](repeating: 1, count: 16), bShape: [2, 8], bias: [Float](repeating: 0, count: 8))
        let b = g.tensorID("B")!
        let z = g.addTensor(Tensor(name: "z", dtype: .float32, shape: [.fixed(2), .fixed(8)]))
        g.nodes.append(Node(name: "add", op: .add, inputs: [b, b], outputs: [z]))
        g.outputs.append(z)
        XCTAssertEqual(Float16Weights.apply(&g).converted, 0)
        XCTAssertEqual(g.tensors[Int(b)].dtype, .float32)
    }

    func testSharedWeightOperandGetsOneCast() throws {
        // The same B read by two Gemms: one float16 constant, one Cast, both Gemms rewired.
        var g = gemmGraph(b: (0 ..< 64).map { Float($0) / 7 }, bShape: [8, 8], bias: [Float](repeating: 0, count: 8))
        let y = g.outputs[0]
        let b = g.tensorID("B")!
        let y2 = g.addTensor(Tensor(name: "y2", dtype: .float32, shape: [.fixed(1), .fixed(8)]))
        g.nodes.append(Node(name: "gemm2", op: .gemm, inputs: [y, b], outputs: [y2]))
        g.outputs = [y2]
        let report = Float16Weights.apply(&g)
        XCTAssertEqual(report.converted, 1)
        XCTAssertEqual(g.nodes.map(\.op), [.cast, .gemm, .gemm])
        XCTAssertEqual(g.nodes[1].inputs[1], g.nodes[0].outputs[0])
        XCTAssertEqual(g.nodes[2].inputs[1], g.nodes[0].outputs[0])
        try GraphValidator.validate(g)
        let model = try CompiledModel(graph: g)
        XCTAssertEqual(model.graph.nodes.map(\.op), [.gemm, .gemm])
    }
}
