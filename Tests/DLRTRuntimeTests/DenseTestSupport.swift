@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// Builds one-node graphs in memory for the dense op tests.
struct DenseGraphBuilder {
    var graph = Graph()

    mutating func input(_ shape: [Int], name: String = "x") -> Int32 {
        let id = graph.addTensor(Tensor(name: name + String(graph.tensors.count), dtype: .float32, shape: shape.map { .fixed($0) }))
        graph.inputs.append(id)
        return id
    }

    mutating func constant(_ values: [Float], _ shape: [Int]) -> Int32 {
        graph.addTensor(Tensor(name: "c\(graph.tensors.count)", dtype: .float32, shape: shape.map { .fixed($0) },
                               data: TensorData(blob: Blob.copying(values))))
    }

    /// Adds the node with one output (declared shape `outShape`) and makes it the graph output.
    mutating func node(_ op: OpCode, _ inputs: [Int32], _ attributes: [String: AttributeValue] = [:],
                       outShape: [Int] = []) -> Node {
        let out = graph.addTensor(Tensor(name: "y", dtype: .float32, shape: outShape.map { .fixed($0) }))
        let n = Node(name: "n", op: op, inputs: inputs, outputs: [out], attributes: attributes)
        graph.nodes.append(n)
        graph.outputs = [out]
        return n
    }
}

/// Plan inputs of a node: types from the declared shapes, constants' bytes.
func densePlanInputs(_ g: Graph, _ n: Node) -> [PlanInput] {
    n.inputs.map { id in
        id < 0 ? PlanInput(type: nil, constant: nil)
            : PlanInput(type: TensorType(g.tensors[Int(id)].dtype, g.tensors[Int(id)].fixedShape ?? []),
                        constant: g.tensors[Int(id)].data)
    }
}

/// Runs a one-output graph through CompiledModel + Context; returns the output and its shape.
func denseRun(_ g: Graph, _ inputs: [[Float]], threads: Int = 1) throws -> ([Float], [Int]) {
    let model = try CompiledModel(graph: g)
    var options = Context.Options()
    options.threadCount = threads
    let ctx = try Context(model: model, options: options)
    var buffers: [UnsafeMutableBufferPointer<Float>] = []
    defer { buffers.forEach { $0.deallocate() } }
    for (i, values) in inputs.enumerated() {
        let buf = UnsafeMutableBufferPointer<Float>.allocate(capacity: max(1, values.count))
        _ = buf.initialize(from: values)
        buffers.append(buf)
        let shape = (g.tensors[Int(g.inputs[i])].fixedShape ?? []).map { Int64($0) }
        try shape.withUnsafeBufferPointer {
            try ctx.setInput(i, dtype: .float32, shape: $0, data: buf.baseAddress, byteCount: values.count * 4)
        }
    }
    try ctx.run()
    let out = try ctx.output(0)
    let count = out.byteCount / 4
    let p = out.data?.assumingMemoryBound(to: Float.self)
    return ((0 ..< count).map { p![$0] }, out.type.shape)
}

func denseRandom(_ n: Int, seed: UInt64) -> [Float] {
    var s = seed &* 0x9E37_79B9_7F4A_7C15 | 1
    return (0 ..< n).map { _ in
        s ^= s << 13; s ^= s >> 7; s ^= s << 17
        return Float(s >> 40) / Float(1 << 23) - 1
    }
}

func denseAssertClose(_ got: [Float], _ want: [Float], tol: Float = 1e-4, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, file: file, line: line)
    for i in 0 ..< min(got.count, want.count) where !(abs(got[i] - want[i]) <= tol * (1 + abs(want[i]))) {
        XCTFail("element \(i): got \(got[i]), want \(want[i])", file: file, line: line)
        return
    }
}

/// Asserts `body` throws a ModelError of `kind` whose message contains every string of `contains`.
func denseAssertThrows<T>(_ kind: ModelError.Kind, _ contains: [String], file: StaticString = #filePath, line: UInt = #line,
                          _ body: () throws -> T) {
    do {
        _ = try body()
        XCTFail("expected an error containing \(contains)", file: file, line: line)
    } catch let e as ModelError {
        XCTAssertEqual(e.kind, kind, "\(e.message)", file: file, line: line)
        for s in contains where !e.message.contains(s) {
            XCTFail("message \"\(e.message)\" lacks \"\(s)\"", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}
