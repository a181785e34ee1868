import DLRTModel
@testable import DLRTONNX
import XCTest

final class UnitTests: XCTestCase {
    func sha(_ s: String) -> String { Array(s.utf8).withUnsafeBytes { SHA256.hex($0) } }

    func testSHA256KnownVectors() {
        XCTAssertEqual(sha(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(sha("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(sha("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(sha(String(repeating: "a", count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    func testHalfToFloat() {
        XCTAssertEqual(ProtoReader.halfToFloat(0x3c00), 1)
        XCTAssertEqual(ProtoReader.halfToFloat(0xc000), -2)
        XCTAssertEqual(ProtoReader.halfToFloat(0x7bff), 65504)
        XCTAssertEqual(ProtoReader.halfToFloat(0x0001), Float(sign: .plus, exponent: -24, significand: 1))
        XCTAssertEqual(ProtoReader.halfToFloat(0x7c00), .infinity)
        XCTAssertTrue(ProtoReader.halfToFloat(0x7e00).isNaN)
    }

    func testReshapeTargetResolution() {
        let data: [Dim] = [.symbolic("batch"), .fixed(3), .fixed(4)]
        XCTAssertEqual(OpTable.resolveReshapeTarget([.symbolic("batch"), .fixed(-1)], data: data, allowzero: false), [0, -1])
        XCTAssertEqual(OpTable.resolveReshapeTarget([.symbolic("batch"), .fixed(12)], data: data, allowzero: false), [0, 12])
        // A symbolic dim not at its own index: the only unknown becomes -1.
        XCTAssertEqual(OpTable.resolveReshapeTarget([.fixed(3), .symbolic("batch"), .fixed(4)], data: data, allowzero: false), [3, -1, 4])
        XCTAssertNil(OpTable.resolveReshapeTarget([nil, nil], data: data, allowzero: false))
        XCTAssertNil(OpTable.resolveReshapeTarget([.symbolic("batch"), .fixed(-1)], data: data, allowzero: true))
        let out = OpTable.reshapeOutput(data: data, target: [.fixed(0), .fixed(-1)], allowzero: false, out: "y", g: WGraph())
        XCTAssertEqual(out, [.symbolic("batch"), .fixed(12)])
        let out2 = OpTable.reshapeOutput(data: data, target: [.fixed(12), .fixed(-1)], allowzero: false, out: "y", g: WGraph())
        XCTAssertEqual(out2, [.fixed(12), .symbolic("batch")])
    }

    func testBroadcastAndTransposeHelpers() {
        XCTAssertEqual(broadcastShapes([2, 1, 3], [4, 1]), [2, 4, 3])
        XCTAssertNil(broadcastShapes([2, 3], [4]))
        XCTAssertEqual(broadcastIndices(from: [3], to: [2, 3]), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(broadcastIndices(from: [2, 1], to: [2, 3]), [0, 0, 0, 1, 1, 1])
        let t = OpTable.transposeIndices([2, 3], [1, 0])
        XCTAssertEqual(t.out, [3, 2])
        XCTAssertEqual(t.idx, [0, 3, 1, 4, 2, 5])
        XCTAssertEqual(OpTable.idiv(-7, 2), -3)
        XCTAssertEqual(OpTable.idiv(7, 0), 0)
        XCTAssertEqual(OpTable.idiv(.min, -1), 0)
    }

    /// Folding a PyTorch-style chain built directly in the working graph, with a Slice / Cast /
    /// Mul path on the symbolic shape.
    func testSymbolicShapeChainFolding() throws {
        var g = WGraph()
        g.inputs = ["x"]
        g.outputs = ["y"]
        g.declared["x"] = ValueInfo(type: .float, shape: [.symbolic("B"), .fixed(2), .fixed(3), .fixed(5)])
        g.constants["starts"] = .int64([1]); g.constants["ends"] = .int64([3])
        g.constants["zero"] = .int64([0], shape: [])
        func node(_ op: String, _ i: [String], _ o: String, _ a: [String: OAttr] = [:]) -> WNode {
            WNode(name: o, op: op, domain: "", inputs: i, outputs: [o], attrs: a)
        }
        g.nodes = [
            node("Shape", ["x"], "s"),
            node("Slice", ["s", "starts", "ends"], "hw"),             // [2, 3]
            node("Gather", ["s", "zero"], "b"),                        // B (scalar)
            node("Unsqueeze", ["b"], "b1", ["axes": .ints([0])]),
            node("Cast", ["hw"], "hw64", ["to": .int(7)]),
            node("Slice", ["hw64", "zero1", "one1"], "h"),
            node("Slice", ["hw64", "one1", "two1"], "w"),
            node("Mul", ["h", "w"], "hw1"),                            // 6
            node("Concat", ["b1", "hw1", "five"], "target", ["axis": .int(0)]),
            node("Reshape", ["x", "target"], "y"),
        ]
        g.constants["zero1"] = .int64([0]); g.constants["one1"] = .int64([1]); g.constants["two1"] = .int64([2])
        g.constants["five"] = .int64([5])
        try ONNXConverter.simplify(&g)
        XCTAssertEqual(g.nodes.map(\.op), ["Reshape"])
        XCTAssertEqual(g.constants[g.nodes[0].inputs[1]]?.i, [0, 6, 5])
        XCTAssertEqual(g.info["y"]?.shape, [.symbolic("B"), .fixed(6), .fixed(5)])
        let graph = try Lowering.run(&g)
        try GraphValidator.validate(graph)
    }
}
