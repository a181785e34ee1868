@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class DenseConvTests: XCTestCase {
    func convTypes(x: [Int], w: [Int], _ attrs: [String: AttributeValue] = [:]) throws -> [Int] {
        var b = DenseGraphBuilder()
        let xi = b.input(x)
        let wi = b.constant([Float](repeating: 0.5, count: w.reduce(1, *)), w)
        let n = b.node(.conv, [xi, wi], attrs)
        let op = try ConvOperator(node: n, graph: b.graph)
        return try op.outputTypes(densePlanInputs(b.graph, n))[0].shape
    }

    func testShapeRule() throws {
        XCTAssertEqual(try convTypes(x: [1, 3, 10, 12], w: [8, 3, 3, 3],
                                     ["pads": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]), [1, 8, 5, 6])
        XCTAssertEqual(try convTypes(x: [2, 3, 10, 12], w: [8, 3, 3, 3], ["auto_pad": .string("SAME_UPPER"),
                                                                           "strides": .ints([2, 2])]), [2, 8, 5, 6])
        XCTAssertEqual(try convTypes(x: [1, 3, 10, 12], w: [8, 3, 3, 3], ["auto_pad": .string("VALID")]), [1, 8, 8, 10])
        XCTAssertEqual(try convTypes(x: [1, 4, 10, 12], w: [8, 2, 3, 3], ["group": .int(2), "dilations": .ints([2, 1])]),
                       [1, 8, 6, 10])
        XCTAssertEqual(try convTypes(x: [1, 4, 20], w: [6, 4, 5], ["pads": .ints([2, 2])]), [1, 6, 20])
    }

    func testAttributeErrors() {
        denseAssertThrows(.invalidModel, ["pads has 3 values, expected 4"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["pads": .ints([1, 1, 1])])
        }
        denseAssertThrows(.invalidModel, ["kernel_shape [5, 5]", "[3, 3]"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["kernel_shape": .ints([5, 5])])
        }
        denseAssertThrows(.invalidModel, ["strides has 1 values, expected 2"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["strides": .ints([1])])
        }
        denseAssertThrows(.invalidModel, ["group 3"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 1, 3, 3], ["group": .int(3)])
        }
        denseAssertThrows(.invalidModel, ["auto_pad", "SAME"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["auto_pad": .string("SAME")])
        }
        denseAssertThrows(.invalidModel, ["activation", "9"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["activation": .int(9)])
        }
        denseAssertThrows(.invalidModel, ["strides", "float"]) {
            try convTypes(x: [1, 3, 8, 8], w: [4, 3, 3, 3], ["strides": .float(1)])
        }
        denseAssertThrows(.unsupported, ["W has shape [4, 3, 3, 3, 3]"]) { try convTypes(x: [1, 3, 8, 8, 8], w: [4, 3, 3, 3, 3]) }
    }

    func testShapeErrorsNameShapes() {
        denseAssertThrows(.shape, ["[1, 4, 10, 10]", "[8, 3, 3, 3]", "4 channels"]) {
            try convTypes(x: [1, 4, 10, 10], w: [8, 3, 3, 3])
        }
        denseAssertThrows(.shape, ["[1, 3, 10]", "rank 4"]) { try convTypes(x: [1, 3, 10], w: [8, 3, 3, 3]) }
        denseAssertThrows(.shape, ["smaller than the window extent 5"]) { try convTypes(x: [1, 3, 4, 9], w: [2, 3, 5, 5]) }
    }

    /// A run-time W of fixed shape is packed per run (test_runtime_values.py); of unknown shape, refused.
    func testNonConstantWeightsOfUnknownShapeAreUnsupported() {
        var b = DenseGraphBuilder()
        let x = b.input([1, 3, 8, 8]), w = b.input([4, 3, 3, 3])
        let n = b.node(.conv, [x, w])
        XCTAssertNoThrow(try ConvOperator(node: n, graph: b.graph))
        var g = b.graph
        g.tensors[Int(w)].shape = [.symbolic("m"), .fixed(3), .fixed(3), .fixed(3)]
        denseAssertThrows(.unsupported, ["W", "not a constant", "not fixed"]) { try ConvOperator(node: n, graph: g) }
    }

    func testBiasShapeError() {
        var b = DenseGraphBuilder()
        let x = b.input([1, 3, 8, 8])
        let w = b.constant([Float](repeating: 1, count: 4 * 27), [4, 3, 3, 3])
        let bias = b.constant([1, 2, 3], [3])
        let n = b.node(.conv, [x, w, bias])
        denseAssertThrows(.shape, ["B has shape [3]", "expected [4]"]) {
            try ConvOperator(node: n, graph: b.graph).outputTypes(densePlanInputs(b.graph, n))
        }
    }

    /// Conv through CompiledModel + Context, 1 and 2 threads, against the reference.
    func runConv(x xs: [Int], w ws: [Int], group: Int = 1, strides: [Int], pads: [Int], autoPad: String? = nil,
                 activation: Int = 1) throws {
        var b = DenseGraphBuilder()
        let xv = denseRandom(xs.reduce(1, *), seed: 1), wv = denseRandom(ws.reduce(1, *), seed: 2)
        let bv = denseRandom(ws[0], seed: 3)
        let x = b.input(xs)
        let w = b.constant(wv, ws), bias = b.constant(bv, [ws[0]])
        var attrs: [String: AttributeValue] = ["strides": .ints(strides.map(Int64.init)), "group": .int(Int64(group)),
                                               "activation": .int(Int64(activation))]
        if let autoPad { attrs["auto_pad"] = .string(autoPad) } else { attrs["pads"] = .ints(pads.map(Int64.init)) }
        _ = b.node(.conv, [x, w, bias], attrs)
        let act = DenseActivation(FusedActivation(rawValue: Int64(activation))!)
        let (want, wantShape) = referenceConv(x: xv, xShape: xs, w: wv, wShape: ws, bias: bv, strides: strides, pads: pads,
                                              dilations: strides.map { _ in 1 }, group: group, activation: act)
        let (got1, shape1) = try denseRun(b.graph, [xv], threads: 1)
        let (got2, _) = try denseRun(b.graph, [xv], threads: 2)
        XCTAssertEqual(shape1, wantShape)
        denseAssertClose(got1, want)
        XCTAssertEqual(got1, got2, "1 and 2 threads differ")
    }

    func testEndToEnd() throws {
        try runConv(x: [2, 8, 20, 24], w: [16, 8, 3, 3], strides: [1, 1], pads: [1, 1, 1, 1])
        try runConv(x: [1, 16, 14, 14], w: [32, 16, 1, 1], strides: [1, 1], pads: [0, 0, 0, 0])
        try runConv(x: [1, 12, 17, 19], w: [12, 1, 3, 3], group: 12, strides: [2, 2], pads: [1, 1, 1, 1],  // SAME_UPPER resolves to these
                    autoPad: "SAME_UPPER", activation: 0)
        try runConv(x: [1, 8, 9, 9], w: [12, 2, 3, 3], group: 4, strides: [1, 1], pads: [1, 1, 1, 1])
        try runConv(x: [1, 4, 50], w: [6, 4, 5], strides: [2], pads: [2, 2])
    }
}
