@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// Op codes 60–79 through the registry: what a hostile `.dlrt` node can carry (bad attribute
/// types and values, arities, dtypes) fails with an error naming the node; zero-size and
/// multi-input cases compute ONNX's result. `runNode` pre-fills outputs with 0xFF bytes.
final class HeadsOpsTests: XCTestCase {
    func testHostileAttributesAreRefusedNamingTheNode() {
        let x = Operand.f32([1, 2, 3, 4, 5, 6], [2, 3])
        assertOpError(["node_under_test", "TopK", "'k' is required"]) { _ = try runNode(.topK, [x], outputs: 2) }
        assertOpError(["'k' is -1"]) { _ = try runNode(.topK, [x], attributes: ["k": .int(-1)], outputs: 2) }
        assertOpError(["'k'", "expected an int"]) { _ = try runNode(.topK, [x], attributes: ["k": .float(2)], outputs: 2) }
        assertOpError(["k = 4 is larger than axis 1", "[2, 3]"]) { _ = try runNode(.topK, [x], attributes: ["k": .int(4)], outputs: 2) }
        assertOpError(["'largest' is 2"]) { _ = try runNode(.topK, [x], attributes: ["k": .int(1), "largest": .int(2)]) }
        assertOpError(["has 3 outputs"]) { _ = try runNode(.topK, [x], attributes: ["k": .int(1)], outputs: 3) }
        assertOpError(["'axis' is 2", "out of range"]) { _ = try runNode(.topK, [x], attributes: ["k": .int(1), "axis": .int(2)]) }
        assertOpError(["ArgMax", "'keepdims' is 2"]) { _ = try runNode(.argMax, [x], attributes: ["keepdims": .int(2)]) }
        assertOpError(["ArgMin", "'axis' is -3"]) { _ = try runNode(.argMin, [x], attributes: ["axis": .int(-3)]) }
        assertOpError(["axis 1", "is empty"]) { _ = try runNode(.argMax, [.f32([], [2, 0])], attributes: ["axis": .int(1)]) }
        assertOpError(["bool", "expected float32, int32 or int64"]) { _ = try runNode(.argMax, [Operand([UInt8(1)], [1], .bool)]) }
        assertOpError(["Gelu", "'approximate'", "\"erf\""]) { _ = try runNode(.gelu, [x], attributes: ["approximate": .string("erf")]) }
        assertOpError(["'approximate' is 1"]) { _ = try runNode(.gelu, [x], attributes: ["approximate": .int(1)]) }
        assertOpError(["HardSigmoid", "'alpha'", "expected a float"]) { _ = try runNode(.hardSigmoid, [x], attributes: ["alpha": .string("a")]) }
        assertOpError(["Selu", "'gamma'"]) { _ = try runNode(.selu, [x], attributes: ["gamma": .ints([1])]) }
        assertOpError(["LogSoftmax", "'coerce_2d' is 3"]) { _ = try runNode(.logSoftmax, [x], attributes: ["coerce_2d": .int(3)]) }
        assertOpError(["LogSoftmax", "'axis' is 2"]) { _ = try runNode(.logSoftmax, [x], attributes: ["axis": .int(2)]) }
        assertOpError(["Sum", "has 0 inputs"]) { _ = try runNode(.sum, []) }
        assertOpError(["Max", "input 1", "one type"]) { _ = try runNode(.max, [x, .i32([1, 2, 3], [3])]) }
        assertOpError(["Sum", "int32 is not supported", "float32"]) { _ = try runNode(.sum, [.i32([1], [1]), .i32([2], [1])]) }
        assertOpError(["Min", "cannot broadcast"]) { _ = try runNode(.min, [x, .f32([1, 2], [2])]) }
        assertOpError(["PRelu", "does not broadcast to X"]) { _ = try runNode(.pRelu, [.f32([1, 2], [2, 1]), .f32([1, 2, 3, 4, 5, 6], [2, 3])]) }
        assertOpError(["Floor", "int32", "expected float32"]) { _ = try runNode(.floor, [.i32([1], [1])]) }
        assertOpError(["Softplus", "has 2 inputs"]) { _ = try runNode(.softplus, [x, x]) }
    }

    func testZeroSizeTensors() throws {
        let ls = try runNode(.logSoftmax, [.f32([], [0, 5])])[0]
        XCTAssertEqual(ls.type, TensorType(.float32, [0, 5]))
        let ls2 = try runNode(.logSoftmax, [.f32([], [3, 0])])[0]
        XCTAssertEqual(ls2.type, TensorType(.float32, [3, 0]))
        let tk = try runNode(.topK, [.f32([1, 2, 3], [1, 3])], attributes: ["k": .int(0)], outputs: 2)
        XCTAssertEqual(tk.map(\.type), [TensorType(.float32, [1, 0]), TensorType(.int64, [1, 0])])
        let tk0 = try runNode(.topK, [.f32([], [0, 3])], attributes: ["k": .int(2)], outputs: 2)
        XCTAssertEqual(tk0[1].type, TensorType(.int64, [0, 2]))
        let am = try runNode(.argMax, [.f32([], [0, 4])], attributes: ["axis": .int(1), "keepdims": .int(0)])[0]
        XCTAssertEqual(am.type, TensorType(.int64, [0]))
        let s = try runNode(.sum, [.f32([], [0, 3]), .f32([1, 2, 3], [3])])[0]
        XCTAssertEqual(s.type, TensorType(.float32, [0, 3]))
        let p = try runNode(.pRelu, [.f32([], [2, 0, 4]), .f32([0.1, 0.2, 0.3, 0.4], [4])])[0]
        XCTAssertEqual(p.type, TensorType(.float32, [2, 0, 4]))
    }

    func testNaryManyInputsAndSmallIntegers() throws {
        // Max of four int8 inputs broadcast to [2, 3]: later steps accumulate in the output.
        let a = Operand([Int8](arrayLiteral: -128, 5, 7, 0, -1, 127), [2, 3], .int8)
        let b = Operand([Int8](arrayLiteral: 3), [1], .int8)
        let c = Operand([Int8](arrayLiteral: -5, 9, 2), [3], .int8)
        let d = Operand([Int8](arrayLiteral: 4, -100), [2, 1], .int8)
        let y = try runNode(.max, [a, b, c, d])[0]
        XCTAssertEqual(y.type, TensorType(.int8, [2, 3]))
        XCTAssertEqual(y.values(Int8.self), [4, 9, 7, 3, 9, 127])
        let z = try runNode(.min, [Operand([UInt8](arrayLiteral: 200, 3, 0), [3], .uint8), Operand([UInt8](arrayLiteral: 100), [1], .uint8)])[0]
        XCTAssertEqual(z.values(UInt8.self), [100, 3, 0])
        // Mean of one input is the input; of three with broadcasting, the average.
        let m1 = try runNode(.mean, [.f32([1, .nan, -3], [3])])[0]
        XCTAssertEqual(m1.floats[0], 1)
        XCTAssertTrue(m1.floats[1].isNaN)
        let m3 = try runNode(.mean, [.f32([3, 6], [2, 1]), .f32([0, 3, 6], [3]), .f32([0], [1])])[0]
        XCTAssertEqual(m3.type, TensorType(.float32, [2, 3]))
        XCTAssertEqual(m3.floats, [1, 2, 3, 2, 3, 4])
        // NaN propagates through Max / Min whatever its position.
        let n = try runNode(.max, [.f32([1, .nan, 3], [3]), .f32([.nan, 2, 0], [3])])[0]
        XCTAssertTrue(n.floats[0].isNaN && n.floats[1].isNaN && n.floats[2] == 3)
    }

    func testTopKAndArgMaxThroughTheRegistry() throws {
        // Ties: lower index first; NaN ranks above every number.
        let x = Operand.f32([1, 5, 5, .nan, 2, 5], [1, 6])
        let r = try runNode(.topK, [x], attributes: ["k": .int(3)], outputs: 2)
        XCTAssertTrue(r[0].floats[0].isNaN)
        XCTAssertEqual(Array(r[0].floats[1...]), [5, 5])
        XCTAssertEqual(r[1].values(Int64.self), [3, 1, 2])
        let s = try runNode(.topK, [x], attributes: ["k": .int(2), "largest": .int(0)], outputs: 1)
        XCTAssertEqual(s.count, 1)
        XCTAssertEqual(s[0].floats, [1, 2])
        // Axis 0 of [3, 2] int64.
        let t = try runNode(.topK, [.i64([4, -1, 9, 7, 4, 7], [3, 2])], attributes: ["k": .int(2), "axis": .int(0)], outputs: 2)
        XCTAssertEqual(t[0].values(Int64.self), [9, 7, 4, 7])
        XCTAssertEqual(t[1].values(Int64.self), [1, 1, 0, 2])
        let a = try runNode(.argMax, [.i32([2, 9, 9, 1], [4])], attributes: ["select_last_index": .int(1), "keepdims": .int(0)])[0]
        XCTAssertEqual(a.type, TensorType(.int64, []))
        XCTAssertEqual(a.values(Int64.self), [2])
    }
}
