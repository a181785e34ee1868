@testable import DLRTRuntime
import DLRTModel
import XCTest

/// A deterministic generator for test data.
struct ElemRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state >> 11
    }
    mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(next() % 1_000_000) / 1_000_000 }
    mutating func floats(_ n: Int, _ lo: Float = -4, _ hi: Float = 4) -> [Float] { (0 ..< n).map { _ in float(lo, hi) } }
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt64(hi - lo + 1)) }
}

/// One input of a single-node test graph.
struct Operand {
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]
    var constant = false

    init<T>(_ values: [T], _ shape: [Int], _ dtype: DType, constant: Bool = false) {
        self.dtype = dtype
        self.shape = shape
        bytes = values.withUnsafeBytes { Array($0) }
        self.constant = constant
    }

    static func f32(_ v: [Float], _ shape: [Int]) -> Operand { Operand(v, shape, .float32) }
    static func i32(_ v: [Int32], _ shape: [Int]) -> Operand { Operand(v, shape, .int32) }
    static func i64(_ v: [Int64], _ shape: [Int], constant: Bool = false) -> Operand { Operand(v, shape, .int64, constant: constant) }
}

/// One output of a test run: its type and bytes.
struct Produced {
    var type: TensorType
    var bytes: [UInt8]

    func values<T>(_: T.Type) -> [T] {
        let n = bytes.count / MemoryLayout<T>.stride
        return bytes.withUnsafeBytes { raw in (0 ..< n).map { raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.stride, as: T.self) } }
    }
    var floats: [Float] { values(Float.self) }
}

/// Runs one operator end to end: builds a one-node graph, creates the operator through the
/// registry, infers output types, builds the kernel and runs it on fresh buffers. Outputs are
/// pre-filled with 0xFF bytes (NaN for float32) so unwritten elements show.
func runNode(_ op: OpCode, _ operands: [Operand], attributes: [String: AttributeValue] = [:],
             name: String = "node_under_test", outputs outputCount: Int = 1) throws -> [Produced] {
    var graph = Graph()
    var inputIDs: [Int32] = []
    for (k, o) in operands.enumerated() {
        let data = o.constant ? TensorData(blob: Blob.copying(o.bytes)) : nil
        inputIDs.append(graph.addTensor(Tensor(name: "in\(k)", dtype: o.dtype, shape: o.shape.map { .fixed($0) }, data: data)))
        if !o.constant { graph.inputs.append(inputIDs.last!) }
    }
    var outputIDs: [Int32] = []
    for k in 0 ..< outputCount {
        outputIDs.append(graph.addTensor(Tensor(name: "out\(k)", dtype: operands.first?.dtype ?? .float32, shape: [])))
    }
    graph.outputs = outputIDs
    let node = Node(name: name, op: op, inputs: inputIDs, outputs: outputIDs, attributes: attributes)
    graph.nodes = [node]

    let oper = try OperatorRegistry.make(node: node, graph: graph)
    let planInputs = operands.enumerated().map { k, o in
        PlanInput(type: TensorType(o.dtype, o.shape), constant: graph.tensors[k].data)
    }
    let types = try oper.outputTypes(planInputs)
    let kernel = try oper.makeKernel(inputs: planInputs, outputs: types)

    let slots = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: graph.tensors.count)
    var owned: [UnsafeMutableRawPointer] = []
    defer { for p in owned { p.deallocate() }; slots.deallocate() }
    for (k, o) in operands.enumerated() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(o.bytes.count, 1), alignment: 64)
        o.bytes.withUnsafeBytes { if let b = $0.baseAddress { p.copyMemory(from: b, byteCount: o.bytes.count) } }
        owned.append(p)
        slots[k] = p
    }
    for (k, t) in types.enumerated() {
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(t.byteCount, 1), alignment: 64)
        p.initializeMemory(as: UInt8.self, repeating: 0xFF, count: max(t.byteCount, 1))
        owned.append(p)
        slots[Int(outputIDs[k])] = p
    }
    var scratch: UnsafeMutableRawPointer?
    if kernel.scratchByteCount > 0 {
        scratch = UnsafeMutableRawPointer.allocate(byteCount: kernel.scratchByteCount, alignment: 64)
        owned.append(scratch!)
    }
    inputIDs.withUnsafeBufferPointer { ins in
        outputIDs.withUnsafeBufferPointer { outs in
            kernel.run(KernelIO(slots: slots, inputIDs: ins.baseAddress!, outputIDs: outs.baseAddress!,
                                scratch: scratch, workers: Workers.inline))
        }
    }
    return types.enumerated().map { k, t in
        Produced(type: t, bytes: Array(UnsafeRawBufferPointer(start: slots[Int(outputIDs[k])], count: t.byteCount)))
    }
}

/// Asserts `body` throws a ModelError whose message contains every string in `parts`.
func assertOpError(_ parts: [String], file: StaticString = #filePath, line: UInt = #line,
                   _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected an error mentioning \(parts)", file: file, line: line)
    } catch let e as ModelError {
        for p in parts where !e.message.contains(p) {
            XCTFail("error '\(e.message)' does not mention '\(p)'", file: file, line: line)
        }
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// |a − b| ≤ rel·|b| + abs, with NaN matching NaN and infinities matching exactly.
func elemClose(_ a: Float, _ b: Float, rel: Float = 2e-6, abs absTol: Float = 1e-37) -> Bool {
    if b.isNaN { return a.isNaN }
    if b.isInfinite || a.isInfinite { return a == b }
    return abs(a - b) <= rel * abs(b) + absTol
}

func assertAllClose(_ got: [Float], _ want: [Float], rel: Float = 2e-6, abs absTol: Float = 1e-37, _ what: String,
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what): count", file: file, line: line)
    var failures = 0
    for i in 0 ..< Swift.min(got.count, want.count) where !elemClose(got[i], want[i], rel: rel, abs: absTol) {
        failures += 1
        if failures <= 5 { XCTFail("\(what): [\(i)] got \(got[i]), want \(want[i])", file: file, line: line) }
    }
}
