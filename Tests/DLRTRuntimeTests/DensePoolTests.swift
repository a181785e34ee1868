@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class DensePoolTests: XCTestCase {
    func poolTypes(_ op: OpCode, x: [Int], _ attrs: [String: AttributeValue]) throws -> [Int] {
        var b = DenseGraphBuilder()
        let n = b.node(op, [b.input(x)], attrs)
        let inputs = densePlanInputs(b.graph, n)
        switch op {
        case .maxPool: return try MaxPoolOperator(node: n, graph: b.graph).outputTypes(inputs)[0].shape
        case .averagePool: return try AveragePoolOperator(node: n, graph: b.graph).outputTypes(inputs)[0].shape
        case .globalMaxPool: return try GlobalMaxPoolOperator(node: n, graph: b.graph).outputTypes(inputs)[0].shape
        default: return try GlobalAveragePoolOperator(node: n, graph: b.graph).outputTypes(inputs)[0].shape
        }
    }

    func testShapeRules() throws {
        XCTAssertEqual(try poolTypes(.maxPool, x: [1, 3, 112, 112], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                                    "pads": .ints([1, 1, 1, 1])]), [1, 3, 56, 56])
        XCTAssertEqual(try poolTypes(.maxPool, x: [1, 3, 6, 7], ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2]),
                                                                "ceil_mode": .int(1)]), [1, 3, 3, 4])
        XCTAssertEqual(try poolTypes(.averagePool, x: [1, 2, 9, 9], ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]),
                                                                    "auto_pad": .string("SAME_LOWER")]), [1, 2, 5, 5])
        XCTAssertEqual(try poolTypes(.averagePool, x: [1, 2, 30], ["kernel_shape": .ints([4])]), [1, 2, 27])
        XCTAssertEqual(try poolTypes(.globalAveragePool, x: [2, 5, 7, 3], [:]), [2, 5, 1, 1])
        XCTAssertEqual(try poolTypes(.globalMaxPool, x: [2, 5, 7], [:]), [2, 5, 1])
    }

    func testErrors() {
        denseAssertThrows(.invalidModel, ["kernel_shape", "required"]) { try self.poolTypes(.maxPool, x: [1, 1, 4, 4], [:]) }
        denseAssertThrows(.invalidModel, ["pads has 2 values, expected 4"]) {
            try self.poolTypes(.maxPool, x: [1, 1, 4, 4], ["kernel_shape": .ints([2, 2]), "pads": .ints([1, 1])])
        }
        denseAssertThrows(.invalidModel, ["smaller than the window extent"]) {
            try self.poolTypes(.averagePool, x: [1, 1, 4, 4], ["kernel_shape": .ints([2, 2]), "pads": .ints([2, 0, 0, 0])])
        }
        denseAssertThrows(.shape, ["[1, 4, 4]", "rank 4"]) {
            try self.poolTypes(.maxPool, x: [1, 4, 4], ["kernel_shape": .ints([2, 2])])
        }
        denseAssertThrows(.unsupported, ["3-D"]) {
            try self.poolTypes(.maxPool, x: [1, 1, 4, 4, 4], ["kernel_shape": .ints([2, 2, 2])])
        }
        denseAssertThrows(.invalidModel, ["ceil_mode", "2"]) {
            try self.poolTypes(.maxPool, x: [1, 1, 4, 4], ["kernel_shape": .ints([2, 2]), "ceil_mode": .int(2)])
        }
        denseAssertThrows(.shape, ["rank ≥ 3"]) { try self.poolTypes(.globalAveragePool, x: [2, 5], [:]) }
    }

    func testEndToEnd() throws {
        let xs = [2, 3, 11, 13]
        let xv = denseRandom(xs.reduce(1, *), seed: 11)
        for isMax in [true, false] {
            var b = DenseGraphBuilder()
            _ = b.node(isMax ? .maxPool : .averagePool, [b.input(xs)],
                       ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 0, 1, 1]),
                        "ceil_mode": .int(1), "count_include_pad": .int(isMax ? 0 : 1)])
            let (want, wantShape) = referencePool(isMax: isMax, x: xv, xShape: xs, kernel: [3, 3], strides: [2, 2],
                                                  pads: [1, 0, 1, 1], dilations: [1, 1], ceilMode: true, countIncludePad: !isMax)
            let (got, shape) = try denseRun(b.graph, [xv], threads: 2)
            XCTAssertEqual(shape, wantShape)
            denseAssertClose(got, want)
        }
        for isMax in [true, false] {
            var b = DenseGraphBuilder()
            _ = b.node(isMax ? .globalMaxPool : .globalAveragePool, [b.input(xs)])
            let (got, shape) = try denseRun(b.graph, [xv], threads: 2)
            XCTAssertEqual(shape, [2, 3, 1, 1])
            denseAssertClose(got, referenceGlobalPool(isMax: isMax, x: xv, xShape: xs))
        }
        // auto_pad SAME_UPPER average without count_include_pad.
        var b = DenseGraphBuilder()
        _ = b.node(.averagePool, [b.input(xs)], ["kernel_shape": .ints([2, 3]), "strides": .ints([1, 2]),
                                                 "auto_pad": .string("SAME_UPPER")])
        // SAME_UPPER: H: out 11, total pad 1 → [0, 1]; W: out 7, total (6·2+3−13)=2 → [1, 1].
        let (want, _) = referencePool(isMax: false, x: xv, xShape: xs, kernel: [2, 3], strides: [1, 2], pads: [0, 1, 1, 1],
                                      dilations: [1, 1], ceilMode: false, countIncludePad: false)
        let (got, shape) = try denseRun(b.graph, [xv])
        XCTAssertEqual(shape, [2, 3, 11, 7])
        denseAssertClose(got, want)
    }
}
