@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class TransformerNormTests: XCTestCase {
    func testLayerNormalization() throws {
        var rng = ElemRNG(3)
        for (shape, axis) in [([3, 37], -1), ([2, 3, 8], 1), ([5, 1], -1), ([4, 19], 0)] as [([Int], Int)] {
            let x = rng.floats(shape.reduce(1, *), -3, 5)
            let a = axis < 0 ? axis + shape.count : axis
            let norm = Array(shape[a...]), n = norm.reduce(1, *)
            let scale = rng.floats(n), bias = rng.floats(n)
            let y = try runNode(.layerNormalization, [.f32(x, shape), .f32(scale, norm), .f32(bias, norm)],
                                attributes: ["axis": .int(Int64(axis)), "epsilon": .float(1e-5)])[0]
            assertAllClose(y.floats, TransformerReference.layerNorm(x, n: n, scale: scale, bias: bias, epsilon: 1e-5),
                           rel: 1e-4, abs: 1e-5, "\(shape) axis \(axis)")
            let noBias = try runNode(.layerNormalization, [.f32(x, shape), .f32([2], [1])], attributes: ["axis": .int(Int64(axis))])[0]
            assertAllClose(noBias.floats, TransformerReference.layerNorm(x, n: n, scale: [2], bias: nil, epsilon: 1e-5),
                           rel: 1e-4, abs: 1e-5, "\(shape) no bias")
        }
        assertOpError(["ln", "Scale", "[5]"]) {
            _ = try runNode(.layerNormalization, [.f32([Float](repeating: 1, count: 8), [2, 4]), .f32([1, 1, 1, 1, 1], [5])], name: "ln")
        }
    }

    func testReductions() throws {
        var rng = ElemRNG(5)
        let kinds: [(OpCode, String)] = [(.reduceSum, "sum"), (.reduceMean, "mean"), (.reduceMax, "max"), (.reduceMin, "min"),
                                         (.reduceL2, "l2"), (.reduceProd, "prod")]
        let shapes: [([Int], [Int64])] = [([3, 37], [-1]), ([4, 5, 6], [1]), ([4, 5, 6], [0, 2]), ([2, 3, 4, 5], [1, 3]),
                                          ([7, 9], []), ([6, 11], [0]), ([3, 1, 5], [1])]
        for (shape, axes) in shapes {
            var x = rng.floats(shape.reduce(1, *), 0.5, 1.5)
            x[x.count / 2] = shape.count == 2 && axes == [0] ? .nan : x[x.count / 2]
            let r = Set(axes.isEmpty ? Array(shape.indices) : axes.map { Int($0 < 0 ? $0 + Int64(shape.count) : $0) })
            for (op, kind) in kinds {
                for keep in [0, 1] {
                    var attrs: [String: AttributeValue] = ["keepdims": .int(Int64(keep))]
                    if !axes.isEmpty { attrs["axes"] = .ints(axes) }
                    let y = try runNode(op, [.f32(x, shape)], attributes: attrs)[0]
                    let want = shape.indices.compactMap { r.contains($0) ? (keep == 1 ? 1 : nil) : shape[$0] }
                    XCTAssertEqual(y.type.shape, want, "\(op) \(shape) \(axes)")
                    assertAllClose(y.floats, TransformerReference.reduce(x, shape: shape, axes: r, kind: kind), rel: 2e-5,
                                   "\(op) \(shape) axes \(axes)")
                }
            }
        }
        let noop = try runNode(.reduceSum, [.f32([1, 2, 3], [3])], attributes: ["noop_with_empty_axes": .int(1)])[0]
        XCTAssertEqual(noop.floats, [1, 2, 3])
        let empty = try runNode(.reduceSum, [.f32([], [2, 0])], attributes: ["axes": .ints([1])])[0]
        XCTAssertEqual(empty.floats, [0, 0])
        assertOpError(["rs", "axes", "2"]) { _ = try runNode(.reduceMean, [.f32([1], [1])], attributes: ["axes": .ints([2])], name: "rs") }
    }

    func testSliceSplitSqueezeTriluRange() throws {
        let shape = [4, 5, 6]
        let x = (0 ..< 120).map { Int64($0) }
        let cases: [([Int64], [Int64], [Int64]?, [Int64]?, [(Int, Int, Int)])] = [
            ([1, 0], [3, 100], [0, 2], nil, [(1, 1, 2), (0, 1, 5), (0, 1, 6)]),
            ([-1], [-100], [1], [-2], [(0, 1, 4), (4, -2, 3), (0, 1, 6)]),
            ([0, 5, 1], [4, 0, 6], nil, [3, -1, 2], [(0, 3, 2), (4, -1, 4), (1, 2, 3)]),
            ([2], [2], [-1], nil, [(0, 1, 4), (0, 1, 5), (2, 1, 0)]),
        ]
        for (s, e, a, st, p) in cases {
            var attrs: [String: AttributeValue] = ["starts": .ints(s), "ends": .ints(e)]
            if let a { attrs["axes"] = .ints(a) }
            if let st { attrs["steps"] = .ints(st) }
            let y = try runNode(.slice, [.i64(x, shape)], attributes: attrs)[0]
            XCTAssertEqual(y.type.shape, p.map(\.2), "\(s) \(e)")
            XCTAssertEqual(y.values(Int64.self), TransformerReference.slice(x, shape: shape, params: p.map { ($0.0, $0.1, $0.2) }))
        }
        let parts = try runNode(.split, [.i64(x, shape)], attributes: ["axis": .int(1), "split": .ints([2, 0, 3])], outputs: 3)
        XCTAssertEqual(parts.map(\.type.shape), [[4, 2, 6], [4, 0, 6], [4, 3, 6]])
        XCTAssertEqual(parts[2].values(Int64.self), TransformerReference.slice(x, shape: shape, params: [(0, 1, 4), (2, 1, 3), (0, 1, 6)]))
        let eq = try runNode(.split, [.i64(x, shape)], attributes: ["axis": .int(-1)], outputs: 4)
        XCTAssertEqual(eq.map { $0.type.shape[2] }, [2, 2, 2, 0])
        assertOpError(["sp", "sums to 4"]) { _ = try runNode(.split, [.i64(x, shape)], attributes: ["axis": .int(1), "split": .ints([1, 3])], name: "sp", outputs: 2) }
        let sq = try runNode(.squeeze, [.f32([1, 2], [1, 2, 1])])[0]
        XCTAssertEqual(sq.type.shape, [2])
        let us = try runNode(.unsqueeze, [.f32([1, 2], [2])], attributes: ["axes": .ints([0, -1])])[0]
        XCTAssertEqual(us.type.shape, [1, 2, 1])
        XCTAssertEqual(us.floats, [1, 2])
        assertOpError(["sq", "axis 1", "size is 2"]) { _ = try runNode(.squeeze, [.f32([1, 2], [1, 2])], attributes: ["axes": .ints([1])], name: "sq") }
        for (k, upper) in [(0, true), (0, false), (2, true), (-1, false), (-9, true), (9, false)] {
            let t = try runNode(.trilu, [.i64(x, shape)], attributes: ["k": .int(Int64(k)), "upper": .int(upper ? 1 : 0)])[0]
            XCTAssertEqual(t.values(Int64.self), TransformerReference.trilu(x, shape: shape, k: k, upper: upper, zero: 0), "k \(k) upper \(upper)")
        }
        let r = try runNode(.range, [.i64(x, shape)], attributes: ["limit_axis": .int(1), "start": .float(1), "delta": .float(2)])[0]
        XCTAssertEqual(r.type, TensorType(.int64, [2]))
        XCTAssertEqual(r.values(Int64.self), [1, 3])
    }
}
