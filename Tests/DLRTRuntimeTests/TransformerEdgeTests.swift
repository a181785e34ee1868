@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import Glibc
import XCTest

/// Zero-size dims and extreme attribute values for the transformer ops: each computes ONNX's
/// result or fails with an error naming the node; none may trap. `runNode` pre-fills outputs with
/// 0xFF bytes (NaN for float32), so an element a kernel forgets to write shows.
final class TransformerEdgeTests: XCTestCase {
    let inf = Float.infinity

    // MARK: Reductions

    func testReduceOverEmptySet() throws {
        // [2, 0, 4] reduced over axis 1: 8 outputs, each the reduction of nothing.
        let want: [(OpCode, Float)] = [(.reduceSum, 0), (.reduceMax, -inf), (.reduceMin, inf), (.reduceL2, 0), (.reduceProd, 1)]
        for (op, v) in want {
            for keep in [Int64(1), 0] {
                let y = try runNode(op, [.f32([], [2, 0, 4])], attributes: ["axes": .ints([1]), "keepdims": .int(keep)])[0]
                XCTAssertEqual(y.type, TensorType(.float32, keep == 1 ? [2, 1, 4] : [2, 4]), "\(op)")
                XCTAssertEqual(y.floats, [Float](repeating: v, count: 8), "\(op) keepdims \(keep)")
            }
            // Two reduced axes, one of them empty (the offset-table path).
            let g = try runNode(op, [.f32([], [2, 0, 3, 4])], attributes: ["axes": .ints([1, 3])])[0]
            XCTAssertEqual(g.type, TensorType(.float32, [2, 1, 3, 1]))
            XCTAssertEqual(g.floats, [Float](repeating: v, count: 6), "\(op) gathered")
            // All axes of an empty tensor: one element.
            let all = try runNode(op, [.f32([], [0, 3])], attributes: ["keepdims": .int(0)])[0]
            XCTAssertEqual(all.type, TensorType(.float32, []))
            XCTAssertEqual(all.floats, [v], "\(op) all axes")
        }
        let mean = try runNode(.reduceMean, [.f32([], [2, 0, 4])], attributes: ["axes": .ints([1])])[0]
        XCTAssertTrue(mean.floats.count == 8 && mean.floats.allSatisfy(\.isNaN))
        // A zero-size dim that is kept: an empty output, nothing read or written.
        for op in [OpCode.reduceSum, .reduceMax, .reduceMin, .reduceL2, .reduceProd, .reduceMean] {
            let y = try runNode(op, [.f32([], [2, 0, 4])], attributes: ["axes": .ints([2])])[0]
            XCTAssertEqual(y.type, TensorType(.float32, [2, 0, 1]))
            let z = try runNode(op, [.f32([], [0, 5])], attributes: ["axes": .ints([1, 0]), "keepdims": .int(0)])[0]
            XCTAssertEqual(z.floats.count, 1)
        }
    }

    func testReduceNoopAndAxesErrors() throws {
        // noop_with_empty_axes without axes: the output is the input (not |x| for L2).
        let x: [Float] = [-3, 4, -0.5, 2]
        for op in [OpCode.reduceL2, .reduceSum, .reduceMax, .reduceProd] {
            let y = try runNode(op, [.f32(x, [2, 2])], attributes: ["noop_with_empty_axes": .int(1)])[0]
            XCTAssertEqual(y.type, TensorType(.float32, [2, 2]))
            XCTAssertEqual(y.floats, x, "\(op)")
        }
        let e = try runNode(.reduceL2, [.f32([], [0, 2])], attributes: ["noop_with_empty_axes": .int(1)])[0]
        XCTAssertEqual(e.type, TensorType(.float32, [0, 2]))
        for axes in [[2], [-3], [Int64.max], [Int64.min]] as [[Int64]] {
            assertOpError(["rs", "axes", "out of range"]) {
                _ = try runNode(.reduceSum, [.f32(x, [2, 2])], attributes: ["axes": .ints(axes)], name: "rs")
            }
        }
        assertOpError(["rs", "twice"]) { _ = try runNode(.reduceMax, [.f32(x, [2, 2])], attributes: ["axes": .ints([1, -1])], name: "rs") }
        assertOpError(["rb", "bool"]) { _ = try runNode(.reduceMax, [Operand([UInt8(1)], [1], .bool)], name: "rb") }
    }

    // MARK: Trilu

    func testTriluZeroSizeAndHugeK() throws {
        // ONNX's tril_zero / triu_zero: [3, 0, 5] with k = 6.
        for upper in [Int64(0), 1] {
            let y = try runNode(.trilu, [.f32([], [3, 0, 5])], attributes: ["upper": .int(upper), "k": .int(6)])[0]
            XCTAssertEqual(y.type, TensorType(.float32, [3, 0, 5]))
            let z = try runNode(.trilu, [.f32([], [2, 3, 0])], attributes: ["upper": .int(upper)])[0]
            XCTAssertEqual(z.type, TensorType(.float32, [2, 3, 0]))
        }
        let x: [Float] = (1 ... 6).map(Float.init)   // [2, 3]
        for (k, upper, want) in [(Int64.max, Int64(1), [Float](repeating: 0, count: 6)), (Int64.max, 0, x),
                                 (Int64.min, 1, x), (Int64.min, 0, [Float](repeating: 0, count: 6)),
                                 (1 << 41, 1, [Float](repeating: 0, count: 6)), (-(1 << 41), 1, x)] {
            let y = try runNode(.trilu, [.f32(x, [2, 3])], attributes: ["upper": .int(upper), "k": .int(k)])[0]
            XCTAssertEqual(y.floats, want, "k \(k) upper \(upper)")
        }
        let i = try runNode(.trilu, [.i64([1, 2, 3, 4], [2, 2])], attributes: ["upper": .int(0)])[0]
        XCTAssertEqual(i.values(Int64.self), [1, 0, 3, 4])
        assertOpError(["tr", "rank"]) { _ = try runNode(.trilu, [.f32([1, 2], [2])], name: "tr") }
    }

    // MARK: Slice, Split, Squeeze, Unsqueeze

    func testSliceExtremesAndZeroSize() throws {
        let x: [Float] = (0 ..< 12).map(Float.init)   // [3, 4]
        func slice(_ s: [Int64], _ e: [Int64], _ axes: [Int64]? = nil, _ steps: [Int64]? = nil,
                   _ input: Operand? = nil) throws -> Produced {
            var a: [String: AttributeValue] = ["starts": .ints(s), "ends": .ints(e)]
            if let axes { a["axes"] = .ints(axes) }
            if let steps { a["steps"] = .ints(steps) }
            return try runNode(.slice, [input ?? .f32(x, [3, 4])], attributes: a, name: "sl")[0]
        }
        // Whole tensor through extreme bounds.
        XCTAssertEqual(try slice([Int64.min, Int64.min], [Int64.max, Int64.max]).floats, x)
        // Reversed with the most negative step: one element per axis (the first visited).
        let r = try slice([Int64.max, Int64.max], [Int64.min, Int64.min], nil, [Int64.min, Int64.min])
        XCTAssertEqual(r.type, TensorType(.float32, [1, 1]))
        XCTAssertEqual(r.floats, [11])
        let full = try slice([-1], [Int64.min], [1], [-1])
        XCTAssertEqual(full.floats, [3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8])
        XCTAssertEqual(try slice([0], [Int64.max], [0], [Int64.max]).floats, [0, 1, 2, 3])
        // Empty results: start past the end, start == end, wrong direction.
        XCTAssertEqual(try slice([5], [9], [1]).type, TensorType(.float32, [3, 0]))
        XCTAssertEqual(try slice([2], [2], [0]).type, TensorType(.float32, [0, 4]))
        XCTAssertEqual(try slice([0], [3], [0], [-1]).type, TensorType(.float32, [0, 4]))
        // A zero-size input, any bounds and steps.
        for step in [Int64(1), -1, Int64.max, Int64.min] {
            let y = try slice([Int64.min, 0], [Int64.max, 3], nil, [step, 1], .f32([], [0, 4]))
            XCTAssertEqual(y.type, TensorType(.float32, [0, 3]), "step \(step)")
        }
        assertOpError(["sl", "steps", "0"]) { _ = try slice([0], [1], [0], [0]) }
        assertOpError(["sl", "axes", "out of range"]) { _ = try slice([0], [1], [Int64.min]) }
        // Ends read from the dims of input 1 (`ends_axes`): x[:like.dim1, 1:] and bad forms.
        func dynamic(_ endsAxes: [Int64], like: [Int], inputs: Int = 2) throws -> Produced {
            let a: [String: AttributeValue] = ["starts": .ints([0, 1]), "ends": .ints([0, 4]), "ends_axes": .ints(endsAxes)]
            let ops: [Operand] = [.f32(x, [3, 4]), .f32([Float](repeating: 0, count: like.reduce(1, *)), like)]
            return try runNode(.slice, Array(ops.prefix(inputs)), attributes: a, name: "dyn")[0]
        }
        let d = try dynamic([1, -1], like: [5, 2])
        XCTAssertEqual(d.type, TensorType(.float32, [2, 3]))
        XCTAssertEqual(d.floats, [1, 2, 3, 5, 6, 7])
        XCTAssertEqual(try dynamic([1, -1], like: [5, 9]).type, TensorType(.float32, [3, 3]))   // clamped to the dim
        XCTAssertEqual(try dynamic([0, -1], like: [0, 9]).type, TensorType(.float32, [0, 3]))
        assertOpError(["dyn", "ends_axes", "dim 7"]) { _ = try dynamic([7, -1], like: [5, 2]) }
        assertOpError(["dyn", "ends_axes", "input 1"]) { _ = try dynamic([1, -1], like: [5, 2], inputs: 1) }
        assertOpError(["dyn", "different lengths"]) { _ = try dynamic([1], like: [5, 2]) }
        assertOpError(["sl", "different lengths"]) { _ = try slice([0, 0], [1]) }
        assertOpError(["sl", "twice"]) { _ = try slice([0, 0], [1, 1], [1, -1]) }
    }

    func testSplitSizes() throws {
        let x: [Float] = (0 ..< 6).map(Float.init)
        // Zero-size parts, and the default equal split of an empty dim.
        let p = try runNode(.split, [.f32(x, [6])], attributes: ["split": .ints([0, 6, 0])], outputs: 3)
        XCTAssertEqual(p.map(\.type.shape), [[0], [6], [0]])
        XCTAssertEqual(p[1].floats, x)
        let e = try runNode(.split, [.f32([], [2, 0])], attributes: ["axis": .int(1)], outputs: 2)
        XCTAssertEqual(e.map(\.type.shape), [[2, 0], [2, 0]])
        let o = try runNode(.split, [.f32([], [0, 4])], attributes: ["axis": .int(1), "split": .ints([1, 3])], outputs: 2)
        XCTAssertEqual(o.map(\.type.shape), [[0, 1], [0, 3]])
        // More outputs than elements: the equal parts end with empty ones.
        let m = try runNode(.split, [.f32([1, 2], [2])], outputs: 3)
        XCTAssertEqual(m.map(\.type.shape), [[1], [1], [0]])
        assertOpError(["sp", "sums to 5"]) {
            _ = try runNode(.split, [.f32(x, [6])], attributes: ["split": .ints([2, 3])], name: "sp", outputs: 2)
        }
        assertOpError(["sp", "split"]) {
            _ = try runNode(.split, [.f32(x, [6])], attributes: ["split": .ints([7, -1])], name: "sp", outputs: 2)
        }
        assertOpError(["sp", "split"]) {
            _ = try runNode(.split, [.f32(x, [6])], attributes: ["split": .ints([Int64.max, 1])], name: "sp", outputs: 2)
        }
        assertOpError(["sp", "axis", "out of range"]) {
            _ = try runNode(.split, [.f32(x, [6])], attributes: ["axis": .int(Int64.min)], name: "sp", outputs: 2)
        }
    }

    func testSqueezeUnsqueezeZeroSizeAndBadAxes() throws {
        let s = try runNode(.squeeze, [.f32([], [0, 1, 3])], attributes: ["axes": .ints([1])])[0]
        XCTAssertEqual(s.type, TensorType(.float32, [0, 3]))
        let u = try runNode(.unsqueeze, [.f32([], [0, 3])], attributes: ["axes": .ints([0, -1])])[0]
        XCTAssertEqual(u.type, TensorType(.float32, [1, 0, 3, 1]))
        assertOpError(["sq", "size is 0"]) { _ = try runNode(.squeeze, [.f32([], [0, 3])], attributes: ["axes": .ints([0])], name: "sq") }
        for a in [Int64.max, Int64.min, 3, -4] {
            assertOpError(["sq", "out of range"]) { _ = try runNode(.squeeze, [.f32([1], [1, 1, 1])], attributes: ["axes": .ints([a])], name: "sq") }
            assertOpError(["uq", "out of range"]) { _ = try runNode(.unsqueeze, [.f32([1, 2], [2])], attributes: ["axes": .ints([a])], name: "uq") }
        }
    }

    // MARK: Range

    func testRangeDegenerateAndExtreme() throws {
        // limit = dim 1 of `like`, which is 0: empty output.
        let e = try runNode(.range, [.f32([], [3, 0])], attributes: ["limit_axis": .int(1)])[0]
        XCTAssertEqual(e.type, TensorType(.int64, [0]))
        // start 1e30, delta -1e29 toward a limit of 4: ten values far outside Int64, saturated.
        let big = try runNode(.range, [.f32([], [4])], attributes: ["limit_axis": .int(0), "start": .float(1e30), "delta": .float(-1e29)])[0]
        XCTAssertEqual(big.type, TensorType(.int64, [10]))
        XCTAssertEqual(big.values(Int64.self).first, .max)
        XCTAssertEqual(big.values(Int64.self).last, .max)
        let neg = try runNode(.range, [.f32([], [0])], attributes: ["limit_axis": .int(0), "start": .float(-3e9), "delta": .float(1e9), "to": .int(5)])[0]
        XCTAssertEqual(neg.values(Int32.self), [Int32.min, -2_000_000_000, -1_000_000_000])
        let f = try runNode(.range, [.f32([], [2, 3])], attributes: ["limit_axis": .int(-1), "delta": .float(0.5), "to": .int(1)])[0]
        XCTAssertEqual(f.floats, [0, 0.5, 1, 1.5, 2, 2.5])
        for (start, delta) in [(Float(0), Float(0)), (.nan, 1), (0, .infinity), (0, -.nan)] {
            assertOpError(["rg", "delta"]) {
                _ = try runNode(.range, [.f32([], [2])], attributes: ["limit_axis": .int(0), "start": .float(start), "delta": .float(delta)], name: "rg")
            }
        }
        assertOpError(["rg", "limit_axis", "out of range"]) {
            _ = try runNode(.range, [.f32([], [2])], attributes: ["limit_axis": .int(Int64.min)], name: "rg")
        }
        assertOpError(["rg", "'to'"]) { _ = try runNode(.range, [.f32([], [2])], attributes: ["limit_axis": .int(0), "to": .int(-1)], name: "rg") }
    }

    // MARK: Gather, Cast, Where, Expand, comparisons

    func testGatherZeroSize() throws {
        let noIdx = try runNode(.gather, [.f32([1, 2, 3, 4], [2, 2]), .i64([], [0])], attributes: ["axis": .int(1)])[0]
        XCTAssertEqual(noIdx.type, TensorType(.float32, [2, 0]))
        let noData = try runNode(.gather, [.f32([], [0, 3]), .i64([0, -1], [2])], attributes: ["axis": .int(1)])[0]
        XCTAssertEqual(noData.type, TensorType(.float32, [0, 2]))
        // An empty axis: every index is out of range; its block is zeros (docs/OPS.md).
        let z = try runNode(.gather, [.f32([], [0, 2]), .i64([0, Int64.min, Int64.max], [3])])[0]
        XCTAssertEqual(z.type, TensorType(.float32, [3, 2]))
        XCTAssertEqual(z.floats, [0, 0, 0, 0, 0, 0])
        let w = try runNode(.gather, [.f32([1, 2], [2]), .i32([Int32.min, Int32.max, -2], [3])])[0]
        XCTAssertEqual(w.floats, [0, 0, 1])
        assertOpError(["ga", "out of range"]) { _ = try runNode(.gather, [.f32([1], [1]), .i64([0], [1])], attributes: ["axis": .int(Int64.max)], name: "ga") }
    }

    func testElementwiseOpsOnEmptyTensors() throws {
        for op in [OpCode.neg, .abs, .exp, .log, .reciprocal, .sqrt, .erf] {
            XCTAssertEqual(try runNode(op, [.f32([], [0, 3])])[0].type, TensorType(.float32, [0, 3]), "\(op)")
        }
        XCTAssertEqual(try runNode(.isNaN, [.f32([], [2, 0])])[0].type, TensorType(.bool, [2, 0]))
        XCTAssertEqual(try runNode(.not, [Operand([UInt8](), [0], .bool)])[0].type, TensorType(.bool, [0]))
        XCTAssertEqual(try runNode(.cast, [.f32([], [0, 2])], attributes: ["to": .int(6)])[0].type, TensorType(.int64, [0, 2]))
        for op in [OpCode.equal, .less, .greater, .lessOrEqual, .greaterOrEqual] {
            XCTAssertEqual(try runNode(op, [.f32([], [0, 3]), .f32([1, 2, 3], [3])])[0].type, TensorType(.bool, [0, 3]), "\(op)")
        }
        XCTAssertEqual(try runNode(.and, [Operand([UInt8](), [2, 0], .bool), Operand([UInt8(1)], [1], .bool)])[0].type,
                       TensorType(.bool, [2, 0]))
        let w = try runNode(.where, [Operand([UInt8](), [0, 1], .bool), .f32([1, 2], [2]), .f32([3], [1])])[0]
        XCTAssertEqual(w.type, TensorType(.float32, [0, 2]))
        let ex = try runNode(.expand, [.f32([7], [1]), .i64([3, 0], [2], constant: true)])[0]
        XCTAssertEqual(ex.type, TensorType(.float32, [3, 0]))
        let ex2 = try runNode(.expand, [.f32([], [0, 1]), .i64([0, 4], [2], constant: true)])[0]
        XCTAssertEqual(ex2.type, TensorType(.float32, [0, 4]))
        assertOpError(["ex", "dims ≥ 0"]) { _ = try runNode(.expand, [.f32([7], [1]), .i64([-1], [1], constant: true)], name: "ex") }
        assertOpError(["ex", "dims ≥ 0"]) { _ = try runNode(.expand, [.f32([7], [1]), .i64([Int64.max], [1], constant: true)], name: "ex") }
        assertOpError(["ex", "cannot broadcast"]) { _ = try runNode(.expand, [.f32([], [0]), .i64([3], [1], constant: true)], name: "ex") }
    }

    func testLayerNormalizationZeroSize() throws {
        let rows0 = try runNode(.layerNormalization, [.f32([], [0, 4]), .f32([1, 1, 1, 1], [4])])[0]
        XCTAssertEqual(rows0.type, TensorType(.float32, [0, 4]))
        let n0 = try runNode(.layerNormalization, [.f32([], [3, 0]), .f32([], [0])])[0]
        XCTAssertEqual(n0.type, TensorType(.float32, [3, 0]))
        assertOpError(["ln", "axis", "out of range"]) {
            _ = try runNode(.layerNormalization, [.f32([1, 2], [2]), .f32([1], [1])], attributes: ["axis": .int(Int64.min)], name: "ln")
        }
        assertOpError(["ln", "epsilon"]) {
            _ = try runNode(.layerNormalization, [.f32([1, 2], [2]), .f32([1], [1])], attributes: ["epsilon": .float(-.infinity)], name: "ln")
        }
    }

    // MARK: Pow

    func testPowExponentTypesAndEmpty() throws {
        let base: [Float] = [2, -3, 0.5, 0, -2]
        let y32 = try runNode(.pow, [.f32(base, [5]), .i32([3, 2, -1, 0, 1], [5])])[0]
        XCTAssertEqual(y32.type, TensorType(.float32, [5]))
        XCTAssertEqual(y32.floats, [8, 9, 2, 1, -2])
        let y64 = try runNode(.pow, [.f32(base, [5, 1]), .i64([2, Int64.max], [2])])[0]
        XCTAssertEqual(y64.type, TensorType(.float32, [5, 2]))
        XCTAssertEqual(y64.floats[0 ..< 2], [4, .infinity])
        XCTAssertEqual(try runNode(.pow, [.f32([], [0, 2]), .i64([2], [1])])[0].type, TensorType(.float32, [0, 2]))
        XCTAssertEqual(try runNode(.pow, [.f32([], [0]), .f32([2], [1])])[0].type, TensorType(.float32, [0]))
        // An integer base is refused, and the message does not list it as accepted.
        do {
            _ = try runNode(.pow, [.i32([2], [1]), .i32([2], [1])], name: "pw")
            XCTFail("integer Pow accepted")
        } catch let e as ModelError {
            XCTAssertTrue(e.message.contains("pw") && e.message.contains("int32") && e.message.contains("expected float32"), e.message)
            XCTAssertFalse(e.message.contains("float32, int32 or int64"), e.message)
        }
        assertOpError(["pw", "exponent", "bool"]) { _ = try runNode(.pow, [.f32([2], [1]), Operand([UInt8(1)], [1], .bool)], name: "pw") }
    }

    // MARK: Through a context

    /// An empty input bound without a buffer (what the C API and Python binding pass for a
    /// zero-size array) used to leave a nil slot that kernels force-unwrapped: SIGILL.
    func testEmptyInputWithNullDataRunsThroughContext() throws {
        for (op, attrs, want) in [(OpCode.reduceSum, ["axes": AttributeValue.ints([1])], Float(0)),
                                  (.reduceProd, ["axes": .ints([1])], 1), (.reduceMax, ["axes": .ints([1])], -inf)] {
            var g = Graph()
            let x = g.addTensor(Tensor(name: "x", dtype: .float32, shape: [.fixed(2), .symbolic("n"), .fixed(4)]))
            g.inputs = [x]
            let y = g.addTensor(Tensor(name: "y", dtype: .float32, shape: []))
            g.outputs = [y]
            g.nodes = [Node(name: "r", op: op, inputs: [x], outputs: [y], attributes: attrs)]
            let ctx = try Context(model: try CompiledModel(graph: g))
            for n in [Int64(0), 1, 0] {
                var data = [Float](repeating: 2, count: Int(n) * 8)
                try [2, n, 4].withUnsafeBufferPointer { shape in
                    if n == 0 {
                        try ctx.setInput(0, dtype: .float32, shape: shape, data: nil, byteCount: 0)
                    } else {
                        try ctx.setInput(0, dtype: .float32, shape: shape, data: &data, byteCount: data.count * 4)
                    }
                }
                try ctx.run()
                let out = try ctx.output(0)
                XCTAssertEqual(out.type, TensorType(.float32, [2, 1, 4]))
                let p = out.data!.assumingMemoryBound(to: Float.self)
                XCTAssertEqual((0 ..< 8).map { p[$0] }, [Float](repeating: n == 0 ? want : 2, count: 8), "\(op) n \(n)")
            }
        }
        // An empty constant feeding Trilu and Split (no bytes, possibly no address).
        var g = Graph()
        let c = g.addTensor(Tensor(name: "c", dtype: .float32, shape: [.fixed(3), .fixed(0), .fixed(5)],
                                   data: TensorData(blob: Blob.copying([Float]()))))
        let x = g.addTensor(Tensor(name: "x", dtype: .float32, shape: [.fixed(1)]))
        g.inputs = [x]
        let t = g.addTensor(Tensor(name: "t", dtype: .float32, shape: []))
        let y = g.addTensor(Tensor(name: "y", dtype: .float32, shape: []))
        g.outputs = [t, y]
        g.nodes = [Node(name: "tr", op: .trilu, inputs: [c], outputs: [t], attributes: ["k": .int(6)]),
                   Node(name: "id", op: .identity, inputs: [x], outputs: [y], attributes: [:])]
        let ctx = try Context(model: try CompiledModel(graph: g))
        var one: Float = 1
        try [Int64(1)].withUnsafeBufferPointer { try ctx.setInput(0, dtype: .float32, shape: $0, data: &one, byteCount: 4) }
        try ctx.run()
        XCTAssertEqual(try ctx.output(0).type, TensorType(.float32, [3, 0, 5]))
    }
}
