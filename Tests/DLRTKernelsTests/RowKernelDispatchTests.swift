import DLRTKernels
import XCTest

/// The row kernels of the kernel tables (`softmaxRows`, `layerNormRows`, `binary`) on every table
/// this CPU runs, against the Double references: row lengths 1…67 and 1000, outputs NaN-filled
/// before the call, ±inf / NaN / huge inputs.
final class RowKernelDispatchTests: XCTestCase {
    /// |got − want| ≤ tol · (1 + |want|), NaN only where the reference is NaN, infinities equal.
    func assertCloseNaN(_ got: [Float], _ want: [Float], tol: Float, _ what: @autoclosure () -> String,
                        file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(got.count, want.count, what(), file: file, line: line)
        for i in 0 ..< min(got.count, want.count) {
            let g = got[i], w = want[i]
            if g == w || (g.isNaN && w.isNaN) { continue }
            if w.isNaN || !(abs(g - w) <= tol * (1 + abs(w))) {
                XCTFail("\(what()): element \(i): got \(g), want \(w)", file: file, line: line)
                return
            }
        }
    }

    static let lengths = Array(1 ... 67) + [1000]

    /// A [rows, n] input: random in ±range; with `specials`, row 1 holds a +inf, row 2 a NaN,
    /// row 3 −inf values, row 4 huge values.
    func rows(_ rng: inout TestRNG, _ rows: Int, _ n: Int, range: Float, huge: Float, specials: Bool) -> [Float] {
        var x = rng.floats(rows * n, -range, range)
        if specials {
            x[1 * n + (n - 1) / 2] = .infinity
            x[2 * n + n - 1] = .nan
            for k in stride(from: 0, to: n, by: 2) { x[3 * n + k] = -.infinity }
            for k in stride(from: 0, to: n, by: 3) { x[4 * n + k] = k % 2 == 0 ? huge : -huge }
        }
        return x
    }

    func testSoftmaxAndLogSoftmaxRowsOnEveryTable() {
        var rng = TestRNG(seed: 21)
        for kernels in testKernelTables {
            for n in Self.lengths {
                for specials in [false, true] {
                    let r = 5
                    let x = rows(&rng, r, n, range: 20, huge: 1e30, specials: specials)
                    for log in [false, true] {
                        var y = [Float](repeating: .nan, count: x.count)
                        x.withUnsafeBufferPointer { px in
                            y.withUnsafeMutableBufferPointer { py in
                                if log {
                                    logSoftmax(px.baseAddress!, py.baseAddress!, n: n, inner: 1, groups: 0 ..< r, kernels: kernels)
                                } else {
                                    softmax(px.baseAddress!, py.baseAddress!, n: n, inner: 1, groups: 0 ..< r, kernels: kernels)
                                }
                            }
                        }
                        let want = log ? HeadsReference.logSoftmax(x, shape: [r, n], axis: 1, coerce2d: false)
                                       : ElementwiseReference.softmax(x, shape: [r, n], axis: 1, coerce2d: false)
                        assertCloseNaN(y, want, tol: 2e-6,
                                       "\(kernels.isa.name) \(log ? "LogSoftmax" : "Softmax") n \(n) specials \(specials)")
                    }
                }
            }
        }
    }

    /// In place (y == x), and rows split in two calls (two threads) give the same bits as one call.
    func testSoftmaxRowsInPlaceAndSplitAreIdentical() {
        var rng = TestRNG(seed: 22)
        let n = 77, r = 9
        let x = rng.floats(r * n, -8, 8)
        for kernels in testKernelTables {
            for log in [false, true] {
                func run(_ ranges: [Range<Int>], inPlace: Bool) -> [Float] {
                    var y = inPlace ? x : [Float](repeating: .nan, count: x.count)
                    let src = x
                    y.withUnsafeMutableBufferPointer { py in
                        src.withUnsafeBufferPointer { px in
                            let input = inPlace ? UnsafePointer(py.baseAddress!) : px.baseAddress!
                            for g in ranges {
                                if log {
                                    logSoftmax(input, py.baseAddress!, n: n, inner: 1, groups: g, kernels: kernels)
                                } else {
                                    softmax(input, py.baseAddress!, n: n, inner: 1, groups: g, kernels: kernels)
                                }
                            }
                        }
                    }
                    return y
                }
                let one = run([0 ..< r], inPlace: false)
                XCTAssertEqual(run([0 ..< 4, 4 ..< r], inPlace: false), one, "\(kernels.isa.name) split")
                XCTAssertEqual(run([0 ..< r], inPlace: true), one, "\(kernels.isa.name) in place")
            }
        }
    }

    func testLayerNormRowsOnEveryTable() {
        var rng = TestRNG(seed: 23)
        for kernels in testKernelTables {
            for n in Self.lengths {
                for specials in [false, true] {
                    let r = 5
                    let x = rows(&rng, r, n, range: 3, huge: 1e15, specials: specials)
                    for (scaleCount, biasCount) in [(n, n), (1, 1), (n, 0), (1, n)] {
                        let scale = rng.floats(scaleCount, -2, 2)
                        let bias: [Float]? = biasCount == 0 ? nil : rng.floats(biasCount, -1, 1)
                        var y = [Float](repeating: .nan, count: x.count)
                        let biasArray = bias ?? [0]
                        x.withUnsafeBufferPointer { px in
                            scale.withUnsafeBufferPointer { ps in
                                biasArray.withUnsafeBufferPointer { pb in
                                    y.withUnsafeMutableBufferPointer { py in
                                        layerNormRows(px.baseAddress!, py.baseAddress!, n: n, epsilon: 1e-5,
                                                      scale: ps.baseAddress!, scaleStride: scaleCount == 1 ? 0 : 1,
                                                      bias: bias == nil ? nil : pb.baseAddress!,
                                                      biasStride: biasCount == 1 ? 0 : 1, rows: 0 ..< r, kernels: kernels)
                                    }
                                }
                            }
                        }
                        let want = TransformerReference.layerNorm(x, n: n, scale: scale, bias: bias, epsilon: 1e-5)
                        assertCloseNaN(y, want, tol: 1e-5,
                                       "\(kernels.isa.name) LayerNorm n \(n) scale \(scaleCount) bias \(biasCount) specials \(specials)")
                    }
                }
            }
        }
    }

    /// Add/Sub/Mul/Div rows (both contiguous, `a` broadcast, `b` broadcast) equal the scalar
    /// float operation bit for bit on every table (exact IEEE operations).
    func testBinaryRowsOnEveryTable() {
        var rng = TestRNG(seed: 24)
        let ops: [(BinaryKernel, (Float, Float) -> Float)] = [(.add, { $0 + $1 }), (.sub, { $0 - $1 }),
                                                             (.mul, { $0 * $1 }), (.div, { $0 / $1 })]
        let specials: [Float] = [.infinity, -.infinity, .nan, 1e30, -1e30, 0, -0.0, 3e38, 1e-40]
        for kernels in testKernelTables {
            for n in [0] + Self.lengths {
                var a = rng.floats(n, -4, 4), b = rng.floats(n, -4, 4)
                for i in 0 ..< n where i % 5 == 1 { a[i] = specials[(i / 5) % specials.count] }
                for i in 0 ..< n where i % 7 == 2 { b[i] = specials[(i / 7 + 3) % specials.count] }
                for (op, f) in ops {
                    for (sa, sb) in [(1, 1), (0, 1), (1, 0)] {
                        var c = [Float](repeating: .nan, count: n)
                        a.withUnsafeBytes { pa in
                            b.withUnsafeBytes { pb in
                                c.withUnsafeMutableBytes { pc in
                                    if n > 0 {
                                        binaryRowTable(op, pa.baseAddress!, sa, pb.baseAddress!, sb, pc.baseAddress!, n,
                                                       entry: kernels.binary)
                                    }
                                }
                            }
                        }
                        for i in 0 ..< n {
                            let want = f(a[i * sa], b[i * sb])
                            if !(c[i].bitPattern == want.bitPattern || (c[i].isNaN && want.isNaN)) {
                                XCTFail("\(kernels.isa.name) \(op) sa \(sa) sb \(sb) n \(n) element \(i): got \(c[i]), want \(want)")
                                break
                            }
                        }
                    }
                }
            }
        }
    }
}
