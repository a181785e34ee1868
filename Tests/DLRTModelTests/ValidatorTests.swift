import XCTest
@testable import DLRTModel

final class ValidatorTests: XCTestCase {
    private func check(_ g: Graph, _ fragments: [String], kind: ModelError.Kind = .invalidModel,
                       file: StaticString = #filePath, line: UInt = #line) {
        expectModelError(kind, fragments, file: file, line: line) { try GraphValidator.validate(g) }
        // The writer refuses the same graph.
        expectModelError(kind, fragments, file: file, line: line) { _ = try ModelWriter.serialize(g) }
    }

    func testValidGraphsPass() throws {
        try GraphValidator.validate(sampleGraph())
        try GraphValidator.validate(tinyGraph())
        try GraphValidator.validate(Graph())
    }

    func testUseBeforeDefine() {
        var g = tinyGraph()
        g.nodes.swapAt(0, 1)
        check(g, ["node 'act' (index 0, LeakyRelu): input 0 uses tensor 2 'c' before it is defined",
                  "produced later by node 'add' (index 1)"])
        var h = tinyGraph()
        h.nodes[0].inputs = [0, 3]  // reads its own consumer's output: a cycle
        check(h, ["node 'add' (index 0, Add)", "tensor 3 'd' before it is defined"])
        var s = tinyGraph()
        s.nodes[1].inputs = [3]  // reads its own output
        check(s, ["node 'act' (index 1, LeakyRelu)", "before it is defined"])
        var u = tinyGraph()
        u.addTensor(Tensor(name: "orphan", dtype: .float32, shape: [.fixed(1)]))
        u.nodes[1].inputs = [4]
        check(u, ["tensor 4 'orphan'", "no node produces it"])
    }

    func testDuplicateProducers() {
        var g = tinyGraph()
        g.nodes.append(Node(name: "again", op: .relu, inputs: [0], outputs: [3]))
        check(g, ["node 'again' (index 2, Relu): output 0: tensor 3 'd' is already produced by node 'act' (index 1)"])
        var h = tinyGraph()
        h.nodes[1].outputs = [3, 3]
        check(h, ["node 'act' (index 1, LeakyRelu): output 1", "already produced"])
        var c = tinyGraph()
        c.nodes[1].outputs = [1]
        check(c, ["output 0 writes tensor 1 'b', which is a constant"])
        var i = tinyGraph()
        i.nodes[1].outputs = [0]
        check(i, ["output 0 writes tensor 0 'a', which is a graph input"])
    }

    func testBadIds() {
        var g = tinyGraph()
        g.nodes[0].inputs = [0, 17]
        check(g, ["node 'add' (index 0, Add): input 1 is tensor id 17, out of range"])
        g = tinyGraph()
        g.nodes[0].inputs = [0, -2]
        check(g, ["input 1 is tensor id -2"])
        g = tinyGraph()
        g.nodes[1].outputs = [-1]
        check(g, ["node 'act' (index 1, LeakyRelu): output 0 is tensor id -1"])
        g = tinyGraph()
        g.nodes[1].outputs = []
        check(g, ["has no outputs"])
        g = tinyGraph()
        g.inputs = [9]
        check(g, ["graph input 0: tensor id 9 is out of range"])
        g = tinyGraph()
        g.outputs = [-1]
        check(g, ["graph output 0: tensor id -1 is out of range"])
        g = tinyGraph()
        g.outputs = [0]
        check(g, ["graph output 0: tensor 0 'a' is not produced by any node"])
        g = tinyGraph()
        g.nodes[0].inputs = [0, -1]  // absent optional input is fine
        XCTAssertNoThrow(try GraphValidator.validate(g))
    }

    func testGraphInputRules() {
        var g = tinyGraph()
        g.inputs = [0, 1]
        check(g, ["graph input 1: tensor 1 'b' is a constant"])
        g = tinyGraph()
        g.inputs = [0, 0]
        check(g, ["graph input 1: tensor 0 'a' is listed twice"])
        g = tinyGraph()
        let other = g.addTensor(Tensor(name: "a", dtype: .float32, shape: [.fixed(2)]))
        g.inputs = [0, other]
        check(g, ["duplicate graph input name 'a'"])
        g = tinyGraph()
        g.inputs = [0, 2]
        check(g, ["output 0 writes tensor 2 'c', which is a graph input"])
    }

    func testTensorRules() {
        var g = tinyGraph()
        g.tensors[0].shape = [.fixed(-3)]
        check(g, ["tensor 0 'a': dimension 0 is -3"])
        g = tinyGraph()
        g.tensors[0].shape = [.symbolic("")]
        check(g, ["symbolic dimension 0 has an empty name"])
        g = tinyGraph()
        g.tensors[1].shape = [.fixed(3)]
        check(g, ["tensor 1 'b': constant has 8 bytes but float32 [3] needs 12"])
        g = tinyGraph()
        g.tensors[1].shape = [.symbolic("n")]
        check(g, ["tensor 1 'b': constant with symbolic shape [n]"])
        g = tinyGraph()
        g.tensors[1].shape = [.fixed(Int.max / 2), .fixed(4)]
        check(g, ["tensor 1 'b': element count"])
        g = tinyGraph()
        g.tensors[1].data = TensorData(blob: Blob.copying([Float(1), 2]), offset: 4, byteCount: 8)
        check(g, ["tensor 1 'b': constant data [4, +8) lies outside its 8-byte blob"])
        g = tinyGraph()
        g.tensors[1].quantization = Quantization(axis: 0, scales: [1, 2], zeroPoints: [0])
        check(g, ["2 scales but 1 zero points"])
        g.tensors[1].quantization = Quantization(axis: 0, scales: [1, 2, 3], zeroPoints: [0, 0, 0])
        check(g, ["quantization axis 0 has 2 channels but 3 scales"])
        g.tensors[1].quantization = Quantization(axis: 1, scales: [1, 2], zeroPoints: [0, 0])
        check(g, ["quantization axis 1 is out of range for rank 1"])
        g.tensors[1].quantization = Quantization(axis: nil, scales: [1, 2], zeroPoints: [0, 0])
        check(g, ["per-tensor quantization needs exactly 1 scale, found 2"])
        g.tensors[1].quantization = Quantization(axis: nil, scales: [.nan], zeroPoints: [0])
        check(g, ["quantization scale 0 is nan"])
        g = tinyGraph()
        g.tensors[2].name = "bad\u{0}name"
        check(g, ["tensor 2: name contains a NUL byte"])
    }

    func testNodeVersionAndAttributes() {
        var g = tinyGraph()
        g.nodes[0].version = 2
        check(g, ["node 'add' (index 0, Add): op version 2 is newer than the supported version 1"], kind: .unsupported)
        g.nodes[0].version = 0
        check(g, ["op version 0 is invalid"])
        g = tinyGraph()
        g.nodes[0].attributes[""] = .int(1)
        check(g, ["attribute with an empty name"])
    }
}
