import DLRTKernels
import Glibc
import XCTest

/// The kernels of op codes 60–79 against `HeadsReference`: every size 1…67 with NaN-filled
/// outputs (an element the kernel forgets stays NaN and fails), edge values, odd shapes.
final class HeadsKernelTests: XCTestCase {
    static let edges: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 1e30, -1e30, .greatestFiniteMagnitude,
                                 -.greatestFiniteMagnitude, 1e-40, -1e-40, .leastNonzeroMagnitude, 0.5, -0.5, 1.5, 2.5, -2.5,
                                 3, -3, 20, 20.5, -20, 44, 88, 89, -87, -104, 3e-8, 1e-3, -1e-3, 6, -6]

    /// Same result, or both NaN, or |got − want| ≤ tol·(1 + |want|) (infinities must match exactly).
    func close(_ got: Float, _ want: Float, _ tol: Float) -> Bool {
        if got == want || (got.isNaN && want.isNaN) { return true }
        if got.isNaN || want.isNaN || got.isInfinite || want.isInfinite { return false }
        return Swift.abs(got - want) <= tol * (1 + Swift.abs(want))
    }

    func checkUnary<F: UnaryFloatFunction>(_ name: String, _ f: F, tol: Float, _ ref: (Float) -> Float,
                                           file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: 7)
        for n in 1 ... 67 {
            var x = rng.floats(n, -12, 12)
            for i in 0 ..< n where i % 3 == 0 { x[i] = Self.edges[(i / 3 + n) % Self.edges.count] }
            var y = [Float](repeating: .nan, count: n + 1)
            y[n] = 12345  // guard element
            x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { py in mapUnary(f, px.baseAddress!, py.baseAddress!, n) } }
            XCTAssertEqual(y[n], 12345, "\(name) n=\(n): wrote past the end", file: file, line: line)
            for i in 0 ..< n where !close(y[i], ref(x[i]), tol) {
                XCTFail("\(name) n=\(n) i=\(i): f(\(x[i])) = \(y[i]), reference \(ref(x[i]))", file: file, line: line)
                return
            }
        }
        for x in Self.edges where !close(f.scalar(x), ref(x), tol) {
            XCTFail("\(name): f(\(x)) = \(f.scalar(x)), reference \(ref(x))", file: file, line: line)
        }
        // A dense sweep for accuracy.
        var worst: Float = 0, at: Float = 0
        for i in 0 ..< 20_000 {
            let x = -30 + 60 * Float(i) / 20_000
            let g = f.scalar(x), w = ref(x)
            let e = Swift.abs(g - w) / (1 + Swift.abs(w))
            if e > worst { worst = e; at = x }
        }
        XCTAssertLessThanOrEqual(worst, tol, "\(name): worst error \(worst) at \(at)", file: file, line: line)
    }

    func testActivationsAgainstReference() {
        checkUnary("Softplus", SoftplusFunction(), tol: 2e-6, HeadsReference.softplus)
        checkUnary("HardSigmoid", HardSigmoidFunction(alpha: 0.2, beta: 0.5), tol: 1e-7) { HeadsReference.hardSigmoid($0, alpha: 0.2, beta: 0.5) }
        checkUnary("HardSigmoid(0.7, -0.1)", HardSigmoidFunction(alpha: 0.7, beta: -0.1), tol: 1e-7) {
            HeadsReference.hardSigmoid($0, alpha: 0.7, beta: -0.1)
        }
        checkUnary("HardSwish", HardSwishFunction(), tol: 1e-7, HeadsReference.hardSwish)
        checkUnary("Selu", SeluFunction(alpha: 1.6732632, gamma: 1.050701), tol: 2e-6) { HeadsReference.selu($0, alpha: 1.6732632, gamma: 1.050701) }
        checkUnary("Mish", MishFunction(), tol: 2e-6, HeadsReference.mish)
        checkUnary("Gelu", GeluErfFunction(), tol: 2e-6, HeadsReference.geluErf)
        checkUnary("Gelu tanh", GeluTanhFunction(), tol: 2e-6, HeadsReference.geluTanh)
        checkUnary("Softsign", SoftsignFunction(), tol: 1e-7, HeadsReference.softsign)
        checkUnary("Floor", FloorFunction(), tol: 0, HeadsReference.floor)
        checkUnary("Ceil", CeilFunction(), tol: 0, HeadsReference.ceil)
        checkUnary("Round", RoundFunction(), tol: 0, HeadsReference.round)
        checkUnary("Sign", SignFunction(), tol: 0, HeadsReference.sign)
    }

    func testSpecialValuesMatchOnnxruntime() {
        // onnxruntime's results for these inputs (Tests/python/test_heads.py compares the same).
        XCTAssertTrue(MishFunction().scalar(-.infinity).isNaN)
        XCTAssertEqual(MishFunction().scalar(.infinity), .infinity)
        XCTAssertEqual(SoftplusFunction().scalar(-.infinity), 0)
        XCTAssertEqual(SoftplusFunction().scalar(-100), HeadsReference.softplus(-100), accuracy: 3e-45)   // e^−100 (subnormal), not 0
        XCTAssertEqual(SoftplusFunction().scalar(-80), HeadsReference.softplus(-80), accuracy: 1e-6 * HeadsReference.softplus(-80))
        XCTAssertTrue(HardSwishFunction().scalar(-.infinity).isNaN)
        XCTAssertTrue(SoftsignFunction().scalar(.infinity).isNaN)
        XCTAssertEqual(SignFunction().scalar(-0.0).sign, .plus)
        XCTAssertEqual(RoundFunction().scalar(2.5), 2)
        XCTAssertEqual(RoundFunction().scalar(-0.5).sign, .minus)
        XCTAssertTrue(GeluErfFunction().scalar(.nan).isNaN)
    }

    func testPReluRows() {
        var rng = TestRNG(seed: 3)
        for (xs, ss) in [([2, 5, 3, 7], [5, 1, 1]), ([3, 67], [67]), ([4, 9], [1]), ([2, 3, 17], [3, 17]), ([5, 4], [5, 1]), ([1], [1])] {
            var x = rng.floats(xs.reduce(1, *), -3, 3)
            for i in stride(from: 0, to: x.count, by: 7) { x[i] = Self.edges[i % Self.edges.count] }
            let s = rng.floats(ss.reduce(1, *), -0.5, 0.5)
            guard let plan = NaryBroadcastPlan([xs, ss]) else { return XCTFail("plan \(xs) \(ss)") }
            var y = [Float](repeating: .nan, count: x.count)
            x.withUnsafeBufferPointer { px in
                s.withUnsafeBufferPointer { ps in
                    y.withUnsafeMutableBufferPointer { py in
                        plan.forEachRow(0 ..< plan.rowCount, PReluRow(x: px.baseAddress!, slope: ps.baseAddress!, y: py.baseAddress!))
                    }
                }
            }
            let want = HeadsReference.prelu(x, xs, slope: s, ss)!
            for i in y.indices where !close(y[i], want[i], 0) { return XCTFail("PRelu \(xs) \(ss) at \(i): \(y[i]) vs \(want[i])") }
        }
    }

    func testLogSoftmaxAgainstReference() {
        var rng = TestRNG(seed: 5)
        for shape in [[1, 1], [3, 67], [2, 5, 3], [2, 9, 13], [4, 1, 8], [1, 33, 1], [2, 2, 17]] {
            for axis in 0 ..< shape.count {
                for coerce in [false, true] {
                    let x = rng.floats(shape.reduce(1, *), -20, 20)
                    let outer = shape[..<axis].reduce(1, *)
                    let n = coerce ? shape[axis...].reduce(1, *) : shape[axis]
                    let inner = coerce ? 1 : shape[(axis + 1)...].reduce(1, *)
                    var y = [Float](repeating: .nan, count: x.count)
                    x.withUnsafeBufferPointer { px in
                        y.withUnsafeMutableBufferPointer { py in logSoftmax(px.baseAddress!, py.baseAddress!, n: n, inner: inner, groups: 0 ..< outer) }
                    }
                    assertClose(y, HeadsReference.logSoftmax(x, shape: shape, axis: axis, coerce2d: coerce), tol: 2e-6,
                                "LogSoftmax \(shape) axis \(axis) coerce \(coerce)")
                }
            }
        }
        // A −inf element gives −inf; NaN or +inf makes the row NaN.
        let x: [Float] = [1, -.infinity, 2, 3, .nan, 1, 0, .infinity, 5]
        var y = [Float](repeating: 0, count: 9)
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { logSoftmax(px.baseAddress!, $0.baseAddress!, n: 3, inner: 1, groups: 0 ..< 3) } }
        XCTAssertEqual(y[1], -.infinity)
        XCTAssertTrue(y[3 ... 8].allSatisfy(\.isNaN))
    }

    func testNaryRowsAgainstReference() {
        var rng = TestRNG(seed: 9)
        let cases: [[[Int]]] = [[[3, 4], [4]], [[2, 3, 4], [3, 1], [2, 1, 4]], [[5, 67], [5, 67], [67], [5, 1]], [[1], [3, 2]], [[7], [7]]]
        for shapes in cases {
            for kind in [HeadsReference.NaryKind.max, .min, .sum] {
                var inputs = shapes.map { s -> ([Float], [Int]) in (rng.floats(s.reduce(1, *), -5, 5), s) }
                inputs[0].0[0] = .nan
                let want = HeadsReference.nary(kind, inputs)!
                var y = [Float](repeating: .nan, count: want.values.count)
                y.withUnsafeMutableBufferPointer { py in
                    let yp = py.baseAddress!
                    for k in 1 ..< inputs.count {
                        // Steps after the first accumulate in place: a is the output itself.
                        let plan = NaryBroadcastPlan([k == 1 ? inputs[0].1 : want.shape, inputs[k].1], extra: [want.shape])!
                        let f: NaryRowFunction = kind == .max ? naryRowFunction(NaryMax.self, Float.self)
                            : (kind == .min ? naryRowFunction(NaryMin.self, Float.self) : naryRowFunction(NarySum.self, Float.self))
                        inputs[0].0.withUnsafeBufferPointer { p0 in
                            inputs[k].0.withUnsafeBufferPointer { pb in
                                let a = k == 1 ? UnsafeRawPointer(p0.baseAddress!) : UnsafeRawPointer(yp)
                                plan.forEachRow(0 ..< plan.rowCount, NaryRow(f, a: a, b: pb.baseAddress!, y: yp))
                            }
                        }
                    }
                }
                for i in y.indices where !close(y[i], want.values[i], 1e-6) {
                    return XCTFail("\(kind) \(shapes) at \(i): \(y[i]) vs \(want.values[i])")
                }
                XCTAssertTrue(y[0].isNaN, "\(kind) \(shapes): NaN propagation")
            }
        }
        // Integers: Max / Min of int64 with broadcasting.
        let a: [Int64] = [5, -3, 7, 0, 2, 9], b: [Int64] = [1, 4, -8]
        let want = HeadsReference.naryInt(max: true, [(a, [2, 3]), (b, [3])])!
        var y = [Int64](repeating: 0, count: 6)
        let plan = NaryBroadcastPlan([[2, 3], [3]])!
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                y.withUnsafeMutableBufferPointer {
                    plan.forEachRow(0 ..< plan.rowCount, NaryRow(naryRowFunction(NaryMax.self, Int64.self), a: pa.baseAddress!, b: pb.baseAddress!, y: $0.baseAddress!))
                }
            }
        }
        XCTAssertEqual(y, want.values)
    }

    func testArgReduceAgainstReference() {
        var rng = TestRNG(seed: 11)
        for shape in [[1], [67], [3, 6, 5], [4, 1, 9], [2, 17]] {
            for axis in 0 ..< shape.count {
                for last in [false, true] {
                    let x = (0 ..< shape.reduce(1, *)).map { _ in Float(rng.int(-3 ... 3)) }
                    let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
                    for max in [true, false] {
                        var y = [Int64](repeating: -1, count: outer * inner)
                        x.withUnsafeBufferPointer { px in
                            y.withUnsafeMutableBufferPointer { py in
                                if max {
                                    argReduce(ArgMaxCompare.self, px.baseAddress!, py.baseAddress!, n: n, inner: inner, selectLast: last, outs: 0 ..< outer * inner)
                                } else {
                                    argReduce(ArgMinCompare.self, px.baseAddress!, py.baseAddress!, n: n, inner: inner, selectLast: last, outs: 0 ..< outer * inner)
                                }
                            }
                        }
                        XCTAssertEqual(y, HeadsReference.argReduce(x, shape: shape, axis: axis, max: max, selectLast: last),
                                       "\(max ? "ArgMax" : "ArgMin") \(shape) axis \(axis) last \(last)")
                    }
                }
            }
        }
    }

    func testTopKAgainstReference() {
        var rng = TestRNG(seed: 13)
        for shape in [[1], [67], [3, 6, 5], [4, 1, 9], [2, 17], [5, 40]] {
            for axis in 0 ..< shape.count {
                let n = shape[axis]
                for k in Set([0, 1, n / 2, n]) {
                    for largest in [true, false] {
                        var x = (0 ..< shape.reduce(1, *)).map { _ in Float(rng.int(-4 ... 4)) }
                        if x.count > 3 { x[2] = .nan; x[3] = .nan }
                        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
                        var values = [Float](repeating: .nan, count: outer * k * inner)
                        var indices = [Int64](repeating: -1, count: outer * k * inner)
                        var heap = [Int](repeating: 0, count: k)
                        x.withUnsafeBufferPointer { px in
                            values.withUnsafeMutableBufferPointer { pv in
                                indices.withUnsafeMutableBufferPointer { pi in
                                    heap.withUnsafeMutableBufferPointer { ph in
                                        topK(px.baseAddress!, values: pv.baseAddress!, indices: pi.baseAddress!, n: n, inner: inner, k: k,
                                             largest: largest, heap: ph.baseAddress ?? UnsafeMutablePointer(bitPattern: 8)!, columns: 0 ..< outer * inner)
                                    }
                                }
                            }
                        }
                        let want = HeadsReference.topK(x, shape: shape, axis: axis, k: k, largest: largest)
                        let what = "TopK \(shape) axis \(axis) k \(k) largest \(largest)"
                        XCTAssertEqual(indices, want.indices, what)
                        XCTAssertTrue(zip(values, want.values).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, what)
                    }
                }
            }
        }
    }
}
