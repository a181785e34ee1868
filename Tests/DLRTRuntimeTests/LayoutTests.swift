@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class LayoutTests: XCTestCase {
    // MARK: Reshape

    func reshape(_ input: [Int], _ shape: [Int64], allowzero: Int64? = nil, name: String = "rs") throws -> Produced {
        let x = (0 ..< input.reduce(1, *)).map { Int64($0) }
        var attrs: [String: AttributeValue] = [:]
        if let a = allowzero { attrs["allowzero"] = .int(a) }
        return try runNode(.reshape, [.i64(x, input), .i64(shape, [shape.count], constant: true)], attributes: attrs, name: name)[0]
    }

    func testReshape() throws {
        let cases: [([Int], [Int64], Int64?, [Int])] = [
            ([2, 3, 4], [4, 6], nil, [4, 6]),
            ([2, 3, 4], [-1], nil, [24]),
            ([2, 3, 4], [0, -1], nil, [2, 12]),
            ([2, 3, 4], [0, 0, 2, 2], nil, [2, 3, 2, 2]),
            ([2, 3, 4], [3, -1, 2], nil, [3, 4, 2]),
            ([0, 3], [3, 0], 1, [3, 0]),
            ([0, 3], [0, 3], 1, [0, 3]),
            ([6], [1, 1, 6, 1], nil, [1, 1, 6, 1]),
            ([1], [], nil, []),
        ]
        for (input, shape, az, want) in cases {
            let y = try reshape(input, shape, allowzero: az)
            XCTAssertEqual(y.type, TensorType(.int64, want), "\(input) → \(shape)")
            XCTAssertEqual(y.values(Int64.self), (0 ..< want.reduce(1, *)).map { Int64($0) })
        }
    }

    func testReshapeErrors() {
        assertOpError(["rs1", "[2, 3, 4]", "24 elements", "[5, 5]", "25"]) { _ = try self.reshape([2, 3, 4], [5, 5], name: "rs1") }
        assertOpError(["rs2", "[2, 3, 4]", "[5, -1]", "does not divide"]) { _ = try self.reshape([2, 3, 4], [5, -1], name: "rs2") }
        assertOpError(["rs3", "at most one"]) { _ = try self.reshape([2, 3, 4], [-1, -1], name: "rs3") }
        assertOpError(["rs4", "-2"]) { _ = try self.reshape([2, 3, 4], [-2, 12], name: "rs4") }
        assertOpError(["rs5", "entry 3 is 0", "rank 3"]) { _ = try self.reshape([2, 3, 4], [1, 1, 24, 0], name: "rs5") }
        assertOpError(["rs6", "allowzero"]) { _ = try self.reshape([2, 3, 4], [0, -1], allowzero: 1, name: "rs6") }
        assertOpError(["rs7", "int64 tensor"]) {
            _ = try runNode(.reshape, [.f32([1, 2], [2]), .f32([2], [1])], name: "rs7")
        }
    }

    // MARK: Flatten and Identity

    func testFlatten() throws {
        let x = (0 ..< 120).map(Float.init)
        let shape = [2, 3, 4, 5]
        for (axis, want) in [(0, [1, 120]), (1, [2, 60]), (2, [6, 20]), (3, [24, 5]), (4, [120, 1]), (-1, [24, 5]), (-4, [1, 120])] {
            let y = try runNode(.flatten, [.f32(x, shape)], attributes: ["axis": .int(Int64(axis))])[0]
            XCTAssertEqual(y.type, TensorType(.float32, want), "axis \(axis)")
            XCTAssertEqual(y.floats, x)
        }
        XCTAssertEqual(try runNode(.flatten, [.f32(x, shape)])[0].type.shape, [2, 60])
        assertOpError(["fl1", "axis", "5", "[2, 3, 4, 5]", "-4…4"]) {
            _ = try runNode(.flatten, [.f32(x, shape)], attributes: ["axis": .int(5)], name: "fl1")
        }
    }

    func testIdentityAnyDType() throws {
        let f = try runNode(.identity, [.f32([1, .nan, -0.0], [3])])[0]
        XCTAssertEqual(f.type, TensorType(.float32, [3]))
        XCTAssertEqual(f.bytes, Operand.f32([1, .nan, -0.0], [3]).bytes)
        let b = try runNode(.identity, [Operand([UInt8(1), 0, 1], [1, 3], .bool)])[0]
        XCTAssertEqual(b.type, TensorType(.bool, [1, 3]))
        XCTAssertEqual(b.bytes, [1, 0, 1])
        let e = try runNode(.identity, [.i64([], [0])])[0]
        XCTAssertEqual(e.bytes, [])
    }

    // MARK: Concat

    func testConcatAxesAndTypes() throws {
        var rng = ElemRNG(21)
        let shapes: [[Int]] = [[2, 3, 4], [2, 5, 4], [2, 1, 4], [2, 0, 4]]
        for axisSigned in [1, -2] {
            let xs = shapes.map { s in (0 ..< s.reduce(1, *)).map { _ in Int64(rng.int(-1000, 1000)) } }
            let y = try runNode(.concat, zip(xs, shapes).map { .i64($0, $1) }, attributes: ["axis": .int(Int64(axisSigned))])[0]
            XCTAssertEqual(y.type, TensorType(.int64, [2, 9, 4]))
            XCTAssertEqual(y.values(Int64.self), ElementwiseReference.concat(Array(zip(xs, shapes)), axis: 1))
        }
        for axis in 0 ..< 3 {
            var ss = [[3, 2, 5], [3, 2, 5], [3, 2, 5]]
            for k in 0 ..< 3 { ss[k][axis] = k + 1 }
            let xs = ss.map { s in rng.floats(s.reduce(1, *)) }
            let y = try runNode(.concat, zip(xs, ss).map { .f32($0, $1) }, attributes: ["axis": .int(Int64(axis))])[0]
            var want = [3, 2, 5]; want[axis] = 6
            XCTAssertEqual(y.type.shape, want)
            XCTAssertEqual(y.floats, ElementwiseReference.concat(Array(zip(xs, ss)), axis: axis))
        }
        let u = try runNode(.concat, [Operand([UInt8(1), 2], [2], .uint8), Operand([UInt8(3)], [1], .uint8)],
                            attributes: ["axis": .int(0)])[0]
        XCTAssertEqual(u.bytes, [1, 2, 3])
        let single = try runNode(.concat, [.f32([1, 2], [1, 2])], attributes: ["axis": .int(-1)])[0]
        XCTAssertEqual(single.floats, [1, 2])
    }

    func testConcatErrors() {
        let a = Operand.f32([Float](repeating: 0, count: 6), [2, 3])
        assertOpError(["cc1", "input 1", "[2, 3, 1]", "rank 3", "expected rank 2"]) {
            _ = try runNode(.concat, [a, .f32([0, 0, 0, 0, 0, 0], [2, 3, 1])], attributes: ["axis": .int(0)], name: "cc1")
        }
        assertOpError(["cc2", "input 2", "dim 0", "3", "expected 2", "[2, 3]"]) {
            _ = try runNode(.concat, [a, a, .f32([Float](repeating: 0, count: 9), [3, 3])], attributes: ["axis": .int(1)], name: "cc2")
        }
        assertOpError(["cc3", "axis", "missing"]) { _ = try runNode(.concat, [a, a], name: "cc3") }
        assertOpError(["cc4", "axis", "2", "-2…1"]) { _ = try runNode(.concat, [a, a], attributes: ["axis": .int(2)], name: "cc4") }
        assertOpError(["cc5", "input 1", "int32"]) {
            _ = try runNode(.concat, [a, .i32([0, 0, 0], [1, 3])], attributes: ["axis": .int(0)], name: "cc5")
        }
    }

    // MARK: Transpose

    func testTransposeAllElementSizes() throws {
        var rng = ElemRNG(31)
        let perms: [[Int]] = [[0], [1, 0], [0, 2, 1], [2, 0, 1], [1, 2, 0], [2, 1, 0], [1, 0, 2],
                              [0, 2, 3, 1], [0, 3, 1, 2], [3, 2, 1, 0], [1, 3, 0, 2], [4, 1, 3, 0, 2]]
        for perm in perms {
            for trial in 0 ..< 3 {
                let shape = perm.map { _ in trial == 2 ? rng.int(1, 3) : rng.int(1, 11) }
                let n = shape.reduce(1, *)
                let x32 = (0 ..< n).map { Float($0) }
                let y = try runNode(.transpose, [.f32(x32, shape)], attributes: ["perm": .ints(perm.map(Int64.init))])[0]
                XCTAssertEqual(y.type, TensorType(.float32, perm.map { shape[$0] }), "\(shape) \(perm)")
                XCTAssertEqual(y.floats, ElementwiseReference.transpose(x32, shape: shape, perm: perm), "\(shape) \(perm)")
                let x8 = (0 ..< n).map { UInt8(truncatingIfNeeded: $0 &* 7) }
                let y8 = try runNode(.transpose, [Operand(x8, shape, .uint8)], attributes: ["perm": .ints(perm.map(Int64.init))])[0]
                XCTAssertEqual(y8.bytes, ElementwiseReference.transpose(x8, shape: shape, perm: perm), "u8 \(shape) \(perm)")
                let x64 = (0 ..< n).map { Int64($0) << 33 }
                let y64 = try runNode(.transpose, [.i64(x64, shape)], attributes: ["perm": .ints(perm.map(Int64.init))])[0]
                XCTAssertEqual(y64.values(Int64.self), ElementwiseReference.transpose(x64, shape: shape, perm: perm))
                let x16 = (0 ..< n).map { UInt16(truncatingIfNeeded: $0) }
                let y16 = try runNode(.transpose, [Operand(x16, shape, .float16)], attributes: ["perm": .ints(perm.map(Int64.init))])[0]
                XCTAssertEqual(y16.values(UInt16.self), ElementwiseReference.transpose(x16, shape: shape, perm: perm))
            }
        }
    }

    func testTransposeDefaultPermAndLarge2D() throws {
        let x = (0 ..< 6).map(Float.init)
        let y = try runNode(.transpose, [.f32(x, [2, 3])])[0]
        XCTAssertEqual(y.type.shape, [3, 2])
        XCTAssertEqual(y.floats, [0, 3, 1, 4, 2, 5])
        let big = (0 ..< 37 * 45).map(Float.init)
        let t = try runNode(.transpose, [.f32(big, [37, 45])])[0]
        XCTAssertEqual(t.floats, ElementwiseReference.transpose(big, shape: [37, 45], perm: [1, 0]))
        let z = try runNode(.transpose, [.f32([], [0, 3])])[0]
        XCTAssertEqual(z.type.shape, [3, 0])
    }

    func testTransposeErrors() {
        let x = Operand.f32([Float](repeating: 0, count: 6), [2, 3])
        assertOpError(["tp1", "perm", "[0, 0]", "permutation"]) {
            _ = try runNode(.transpose, [x], attributes: ["perm": .ints([0, 0])], name: "tp1")
        }
        assertOpError(["tp2", "perm", "[0, 2]"]) {
            _ = try runNode(.transpose, [x], attributes: ["perm": .ints([0, 2])], name: "tp2")
        }
        assertOpError(["tp3", "perm", "3 entries", "[2, 3]"]) {
            _ = try runNode(.transpose, [x], attributes: ["perm": .ints([0, 2, 1])], name: "tp3")
        }
    }

    func testTransposePlanCollapses() {
        let p = TransposePlan(shape: [1, 64, 7, 7], perm: [0, 2, 3, 1], elementSize: 4)
        XCTAssertEqual(p.outputShape, [1, 7, 7, 64])
        XCTAssertEqual(p.dims, [49, 64])
        XCTAssertEqual(p.sourceStrides, [1, 49])
        XCTAssertTrue(TransposePlan(shape: [2, 1, 3], perm: [1, 0, 2], elementSize: 4).isCopy)
    }

    func testRegistryListsEveryOp() {
        let ops: [OpCode] = [.relu, .leakyRelu, .elu, .sigmoid, .tanh, .clip, .softmax, .add, .sub, .mul, .div,
                             .batchNormalization, .flatten, .reshape, .concat, .transpose, .identity]
        for op in ops { XCTAssertNotNil(OperatorRegistry.byCode[op], "\(op)") }
    }
}
