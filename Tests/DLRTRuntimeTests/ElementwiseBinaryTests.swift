@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class ElementwiseBinaryTests: XCTestCase {
    static let floatOps: [(OpCode, (Float, Float) -> Float)] = [(.add, +), (.sub, -), (.mul, *), (.div, /)]

    func testSameShapeOddSizes() throws {
        var rng = ElemRNG(11)
        for (op, f) in Self.floatOps {
            for n in 1 ... 67 {
                let a = rng.floats(n), b = rng.floats(n, 0.5, 3)
                let y = try runNode(op, [.f32(a, [n]), .f32(b, [n])])[0]
                XCTAssertEqual(y.type, TensorType(.float32, [n]))
                XCTAssertEqual(y.floats, zip(a, b).map(f), "\(op) n=\(n)")
            }
        }
    }

    static let broadcastCases: [([Int], [Int])] = [
        ([2, 3, 4], [4]), ([2, 1, 4], [3, 1]), ([4], [2, 3, 4]), ([3, 1], [2, 1, 4]),
        ([], [5]), ([5], []), ([1], [7, 3]), ([2, 3, 4], [2, 3, 4]), ([2, 3, 4], [1, 3, 1]),
        ([1, 5, 3, 3], [5, 1, 1]), ([6, 1], [1, 9]), ([2, 1, 3, 1, 2], [1, 4, 1, 5, 1]),
        ([3, 17], [17]), ([3, 17], [3, 1]), ([1, 1, 1], [1]), ([0, 3], [3]), ([2, 0], [1, 1]),
    ]

    func testBroadcastFloat() throws {
        var rng = ElemRNG(12)
        for (sa, sb) in Self.broadcastCases {
            let a = rng.floats(sa.reduce(1, *)), b = rng.floats(sb.reduce(1, *), 0.5, 3)
            for (op, f) in Self.floatOps {
                let want = ElementwiseReference.broadcast(a, sa, b, sb, f)!
                let y = try runNode(op, [.f32(a, sa), .f32(b, sb)])[0]
                XCTAssertEqual(y.type.shape, want.shape, "\(op) \(sa) \(sb)")
                XCTAssertEqual(y.floats, want.values, "\(op) \(sa) \(sb)")
            }
        }
    }

    func testBroadcastIntegers() throws {
        var rng = ElemRNG(13)
        let ops32: [(OpCode, (Int32, Int32) -> Int32)] = [(.add, &+), (.sub, &-), (.mul, &*), (.div, ElementwiseReference.divide)]
        let ops64: [(OpCode, (Int64, Int64) -> Int64)] = [(.add, &+), (.sub, &-), (.mul, &*), (.div, ElementwiseReference.divide)]
        for (sa, sb) in Self.broadcastCases {
            let a = (0 ..< sa.reduce(1, *)).map { _ in Int32(rng.int(-50, 50)) }
            let b = (0 ..< sb.reduce(1, *)).map { _ in Int32(rng.int(-7, 7)) }
            for (op, f) in ops32 {
                let want = ElementwiseReference.broadcast(a, sa, b, sb, f)!
                let y = try runNode(op, [.i32(a, sa), .i32(b, sb)])[0]
                XCTAssertEqual(y.type, TensorType(.int32, want.shape))
                XCTAssertEqual(y.values(Int32.self), want.values, "\(op) int32 \(sa) \(sb)")
            }
            let a64 = a.map { Int64($0) * 1_000_000_007 }, b64 = b.map { Int64($0) }
            for (op, f) in ops64 {
                let want = ElementwiseReference.broadcast(a64, sa, b64, sb, f)!
                let y = try runNode(op, [.i64(a64, sa), .i64(b64, sb)])[0]
                XCTAssertEqual(y.type, TensorType(.int64, want.shape))
                XCTAssertEqual(y.values(Int64.self), want.values, "\(op) int64 \(sa) \(sb)")
            }
        }
    }

    func testIntegerDivisionEdges() throws {
        let a: [Int32] = [7, -7, 7, -7, 5, .min, .min, .max, 0, 1, -1]
        let b: [Int32] = [2, 2, -2, -2, 0, -1, 1, -1, 0, 3, 3]
        let y = try runNode(.div, [.i32(a, [11]), .i32(b, [11])])[0].values(Int32.self)
        XCTAssertEqual(y, [3, -3, -3, 3, 0, .min, .min, -.max, 0, 0, 0])
        let a64: [Int64] = [.min, .min, 9, -9, 9]
        let y64 = try runNode(.div, [.i64(a64, [5]), .i64([-1, 0, 4, 4, -4], [5])])[0].values(Int64.self)
        XCTAssertEqual(y64, [.min, 0, 2, -2, -2])
        // Scalar zero divisor, broadcast.
        let z = try runNode(.div, [.i64([1, 2, 3, 4, 5, 6, 7, 8, 9], [9]), .i64([0], [])])[0].values(Int64.self)
        XCTAssertEqual(z, [Int64](repeating: 0, count: 9))
        // Wrapping, never trapping.
        let w = try runNode(.add, [.i32([.max, .min], [2]), .i32([1, -1], [2])])[0].values(Int32.self)
        XCTAssertEqual(w, [.min, .max])
        let m = try runNode(.mul, [.i64([.max], [1]), .i64([2], [1])])[0].values(Int64.self)
        XCTAssertEqual(m, [-2])
    }

    func testFloatSpecialValues() throws {
        let a: [Float] = [1, -1, 0, .infinity, .nan, -0.0, 1e38]
        let b: [Float] = [0, 0, 0, .infinity, 1, 0, 10]
        let d = try runNode(.div, [.f32(a, [7]), .f32(b, [7])])[0].floats
        XCTAssertEqual(d[0], .infinity)
        XCTAssertEqual(d[1], -.infinity)
        XCTAssertTrue(d[2].isNaN && d[3].isNaN && d[4].isNaN && d[5].isNaN)
        XCTAssertEqual(d[6], 1e37)
        let s = try runNode(.sub, [.f32(a, [7]), .f32(b, [7])])[0].floats
        XCTAssertTrue(s[3].isNaN)
        XCTAssertEqual(try runNode(.mul, [.f32([1e38], [1]), .f32([1e38], [1])])[0].floats, [.infinity])
    }

    func testErrors() {
        assertOpError(["add1", "cannot broadcast", "[2, 3]", "[4]"]) {
            _ = try runNode(.add, [.f32([Float](repeating: 0, count: 6), [2, 3]), .f32([0, 0, 0, 0], [4])], name: "add1")
        }
        assertOpError(["mul1", "[2, 3, 4]", "[3, 3]"]) {
            _ = try runNode(.mul, [.f32([Float](repeating: 0, count: 24), [2, 3, 4]), .f32([Float](repeating: 0, count: 9), [3, 3])], name: "mul1")
        }
        assertOpError(["sub1", "float32", "int32"]) {
            _ = try runNode(.sub, [.f32([0], [1]), .i32([0], [1])], name: "sub1")
        }
        assertOpError(["div1", "uint8", "expected float32, int32 or int64"]) {
            _ = try runNode(.div, [Operand([UInt8(1)], [1], .uint8), Operand([UInt8(1)], [1], .uint8)], name: "div1")
        }
        assertOpError(["add2", "1 inputs", "expected 2"]) {
            _ = try runNode(.add, [.f32([0], [1])], name: "add2")
        }
    }

    func testBroadcastPlanCollapses() throws {
        let p = try XCTUnwrap(BroadcastPlan([1, 64, 56, 56], [64, 1, 1]))
        XCTAssertEqual(p.outputShape, [1, 64, 56, 56])
        XCTAssertEqual(p.dims, [64, 3136])
        XCTAssertEqual(p.stridesB, [1, 0])
        let q = try XCTUnwrap(BroadcastPlan([8, 16], [16]))
        XCTAssertEqual(q.dims, [8, 16])
        XCTAssertEqual(q.stridesB, [0, 1])
        XCTAssertEqual(try XCTUnwrap(BroadcastPlan([2, 3, 4], [2, 3, 4])).dims, [24])
        XCTAssertNil(BroadcastPlan([2, 3], [4]))
    }
}
