@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import Glibc
import XCTest

final class TransformerOpsTests: XCTestCase {
    func testGatherAxesIndexTypesAndOutOfRange() throws {
        var rng = ElemRNG(1)
        for (shape, axis) in [([7, 5], 0), ([3, 4, 5], 1), ([3, 4, 5], 2), ([3, 4, 5], -1), ([9], 0)] as [([Int], Int)] {
            let x = rng.floats(shape.reduce(1, *))
            let a = axis < 0 ? axis + shape.count : axis
            let d = shape[a]
            let idx: [Int64] = [0, Int64(d - 1), -1, Int64(d), -Int64(d) - 1, 1, 0]
            let want = TransformerReference.gather(x, shape: shape, indices: idx, axis: a, zero: 0)
            for i32 in [false, true] {
                let ind = i32 ? Operand.i32(idx.map { Int32($0) }, [7]) : Operand.i64(idx, [7])
                let y = try runNode(.gather, [.f32(x, shape), ind], attributes: ["axis": .int(Int64(axis))])[0]
                var os = shape; os.replaceSubrange(a ... a, with: [7])
                XCTAssertEqual(y.type, TensorType(.float32, os))
                XCTAssertEqual(y.floats, want, "\(shape) axis \(axis) int32 \(i32)")
            }
        }
        // Embedding lookup: int64 table rows with [batch, seq] indices; scalar index.
        let table = (0 ..< 30).map { Int64($0) }
        let y = try runNode(.gather, [.i64(table, [10, 3]), .i64([2, 9, 0, 4], [2, 2])])[0]
        XCTAssertEqual(y.type, TensorType(.int64, [2, 2, 3]))
        XCTAssertEqual(y.values(Int64.self), [6, 7, 8, 27, 28, 29, 0, 1, 2, 12, 13, 14])
        let s = try runNode(.gather, [.i64(table, [10, 3]), .i64([3], [])], attributes: ["axis": .int(0)])[0]
        XCTAssertEqual(s.type, TensorType(.int64, [3]))
        assertOpError(["gt", "indices", "float32"]) { _ = try runNode(.gather, [.f32([1], [1]), .f32([0], [1])], name: "gt") }
    }

    func testCastPairs() throws {
        let f: [Float] = [0, -1.7, 2.9, .nan, 1e20, -1e20, 255.5, 0.5, -0.0]
        let i64 = try runNode(.cast, [.f32(f, [9])], attributes: ["to": .int(6)])[0]
        XCTAssertEqual(i64.values(Int64.self), [0, -1, 2, 0, .max, .min, 255, 0, 0])
        let b = try runNode(.cast, [.f32(f, [9])], attributes: ["to": .int(7)])[0]
        XCTAssertEqual(b.values(UInt8.self), [0, 1, 1, 1, 1, 1, 1, 1, 0])
        let u8 = try runNode(.cast, [.f32(f, [9])], attributes: ["to": .int(4)])[0]
        XCTAssertEqual(u8.values(UInt8.self), [0, 0, 2, 0, 255, 0, 255, 0, 0])
        let h = try runNode(.cast, [.f32(f, [9])], attributes: ["to": .int(2)])[0]
        XCTAssertEqual(h.type.dtype, .float16)
        XCTAssertEqual(h.values(Float16.self).map { Float($0) }.map { $0.isNaN ? -999 : $0 },
                       f.map { Float(Float16($0)) }.map { $0.isNaN ? -999 : $0 })
        let back = try runNode(.cast, [.i64([1, -3, 1 << 40, 0], [2, 2])], attributes: ["to": .int(5)])[0]
        XCTAssertEqual(back.type, TensorType(.int32, [2, 2]))
        XCTAssertEqual(back.values(Int32.self), [1, -3, 0, 0])
        let toF = try runNode(.cast, [Operand([UInt8(0), 1, 1], [3], .bool)], attributes: ["to": .int(1)])[0]
        XCTAssertEqual(toF.floats, [0, 1, 1])
        assertOpError(["ct", "'to'", "99"]) { _ = try runNode(.cast, [.f32([1], [1])], attributes: ["to": .int(99)], name: "ct") }
    }

    func testComparisonsLogicWhereExpand() throws {
        let a: [Float] = [1, 2, .nan, 4, 5, 6], b: [Float] = [2, 2, 3]
        let cases: [(OpCode, (Float, Float) -> Bool)] = [(.equal, ==), (.less, <), (.greater, >), (.lessOrEqual, <=), (.greaterOrEqual, >=)]
        for (op, f) in cases {
            let y = try runNode(op, [.f32(a, [2, 3]), .f32(b, [3])])[0]
            XCTAssertEqual(y.type, TensorType(.bool, [2, 3]))
            XCTAssertEqual(y.values(UInt8.self), (0 ..< 6).map { f(a[$0], b[$0 % 3]) ? 1 : 0 }, "\(op)")
        }
        let ii = try runNode(.less, [.i64([1, 5, -2], [3, 1]), .i64([0, 2], [2])])[0]
        XCTAssertEqual(ii.values(UInt8.self), [0, 1, 0, 0, 1, 1])
        let p = Operand([UInt8(0), 1, 1, 0], [4], .bool), q = Operand([UInt8(0), 0, 1, 1], [4], .bool)
        XCTAssertEqual(try runNode(.and, [p, q])[0].values(UInt8.self), [0, 0, 1, 0])
        XCTAssertEqual(try runNode(.or, [p, q])[0].values(UInt8.self), [0, 1, 1, 1])
        XCTAssertEqual(try runNode(.xor, [p, q])[0].values(UInt8.self), [0, 1, 0, 1])
        XCTAssertEqual(try runNode(.not, [p])[0].values(UInt8.self), [1, 0, 0, 1])
        XCTAssertEqual(try runNode(.isNaN, [.f32(a, [6])])[0].values(UInt8.self), [0, 0, 1, 0, 0, 0])
        // Where: [2,1] condition, [3] X, scalar Y.
        let w = try runNode(.where, [Operand([UInt8(1), 0], [2, 1], .bool), .f32([1, 2, 3], [3]), .f32([-9], [])])[0]
        XCTAssertEqual(w.type, TensorType(.float32, [2, 3]))
        XCTAssertEqual(w.floats, [1, 2, 3, -9, -9, -9])
        let wi = try runNode(.where, [Operand([UInt8(1), 0, 1], [3], .bool), .i64([1, 2, 3], [3]), .i64([7, 8, 9], [3])])[0]
        XCTAssertEqual(wi.values(Int64.self), [1, 8, 3])
        // Expand: [3,1] to [2,3,4]; a target with 1s keeps the input dims.
        let e = try runNode(.expand, [.f32([1, 2, 3], [3, 1]), .i64([2, 1, 4], [3], constant: true)])[0]
        XCTAssertEqual(e.type, TensorType(.float32, [2, 3, 4]))
        XCTAssertEqual(e.floats, (0 ..< 24).map { Float(($0 / 4) % 3 + 1) })
        assertOpError(["ex", "cannot broadcast"]) {
            _ = try runNode(.expand, [.f32([1, 2, 3], [3]), .i64([2], [1], constant: true)], name: "ex")
        }
        assertOpError(["eq", "different types"]) { _ = try runNode(.equal, [.f32([1], [1]), .i64([1], [1])], name: "eq") }
    }

    func testUnaryMathAndPow() throws {
        var rng = ElemRNG(7)
        let x = rng.floats(37, -5, 5) + [0, -0.0, .infinity, -.infinity, .nan, 1e-30, 3.9, 4.1]
        let cases: [(OpCode, (Float) -> Float, Float)] = [
            (.neg, { -$0 }, 0), (.abs, { Swift.abs($0) }, 0), (.exp, { expf($0) }, 4e-6), (.log, { logf($0) }, 0),
            (.reciprocal, { 1 / $0 }, 0), (.sqrt, { $0.squareRoot() }, 0), (.erf, { erff($0) }, 0),
        ]
        for (op, f, rel) in cases {
            let y = try runNode(op, [.f32(x, [x.count])])[0]
            assertAllClose(y.floats, x.map(f), rel: rel, abs: op == .erf ? 3e-7 : 1e-37, "\(op)")
        }
        let base = rng.floats(19, 0.1, 3), expo: [Float] = [2, 0.5, -1, 3]
        for e in expo {
            let y = try runNode(.pow, [.f32(base, [19]), .f32([e], [1])])[0]
            assertAllClose(y.floats, base.map { powf($0, e) }, "pow \(e)")
        }
        let mixed = try runNode(.pow, [.f32([2, 3, -2], [3]), .f32([3, 2, 2], [3])])[0]
        XCTAssertEqual(mixed.floats, [8, 9, 4])
        assertOpError(["pw", "int64"]) { _ = try runNode(.pow, [.i64([2], [1]), .i64([2], [1])], name: "pw") }
    }
}
