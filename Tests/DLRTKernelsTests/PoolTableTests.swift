import DLRTKernels
import XCTest

// rn2: the per-ISA `maxPool` table entry against a plain scalar max pool, on every table.

/// y[p, oh, ow] = the max of the in-bounds taps, a NaN tap wins, −∞ when no tap is in bounds.
private func plainMaxPool(_ s: Pool2DShape, _ x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: s.planes * s.outH * s.outW)
    for p in 0 ..< s.planes {
        for oh in 0 ..< s.outH {
            for ow in 0 ..< s.outW {
                var best = -Float.infinity, sawNaN = false
                for kh in 0 ..< s.kH {
                    for kw in 0 ..< s.kW {
                        let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                        let iw = ow * s.strideW - s.padLeft + kw * s.dilationW
                        if ih < 0 || ih >= s.inH || iw < 0 || iw >= s.inW { continue }
                        let v = x[(p * s.inH + ih) * s.inW + iw]
                        if v.isNaN { sawNaN = true } else if v > best { best = v }
                    }
                }
                y[(p * s.outH + oh) * s.outW + ow] = sawNaN ? .nan : best
            }
        }
    }
    return y
}

private func poolShape(planes: Int, inH: Int, inW: Int, k: Int, stride: Int, pad: Int, dilation: Int) -> Pool2DShape? {
    var s = Pool2DShape()
    s.planes = planes; s.inH = inH; s.inW = inW; s.kH = k; s.kW = k
    s.strideH = stride; s.strideW = stride; s.padTop = pad; s.padLeft = pad; s.padBottom = pad; s.padRight = pad
    s.dilationH = dilation; s.dilationW = dilation
    let extent = (k - 1) * dilation + 1
    s.outH = (inH + 2 * pad - extent) / stride + 1
    s.outW = (inW + 2 * pad - extent) / stride + 1
    return s.outH > 0 && s.outW > 0 && inH + 2 * pad >= extent && inW + 2 * pad >= extent ? s : nil
}

final class PoolTableTests: XCTestCase {
    private func check(_ s: Pool2DShape, nanEvery: Int, file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: UInt64(s.inH * 131 + s.inW * 7 + s.kH + s.strideW))
        var x = rng.floats(s.planes * s.inH * s.inW)
        if nanEvery > 0 { for i in stride(from: nanEvery / 2, to: x.count, by: nanEvery) { x[i] = .nan } }
        let want = plainMaxPool(s, x)
        var first: [UInt32]? = nil
        for kernels in testKernelTables {
            var got = [Float](repeating: .nan, count: want.count)
            x.withUnsafeBufferPointer { px in
                got.withUnsafeMutableBufferPointer { py in
                    reversedTasks(s.planes) {
                        maxPool2d(s, x: px.baseAddress!, y: py.baseAddress!, planes: $0, kernels: kernels)
                    }
                }
            }
            for i in 0 ..< want.count where !(got[i] == want[i] || (got[i].isNaN && want[i].isNaN)) {
                XCTFail("\(kernels.isa.name) \(s) element \(i): got \(got[i]) want \(want[i])", file: file, line: line)
                return
            }
            // Bit-identical across tables (and plane splits: each plane is one task above, the
            // whole range below).
            var whole = [Float](repeating: .nan, count: want.count)
            x.withUnsafeBufferPointer { px in
                whole.withUnsafeMutableBufferPointer {
                    maxPool2d(s, x: px.baseAddress!, y: $0.baseAddress!, planes: 0 ..< s.planes, kernels: kernels)
                }
            }
            let bits = got.map(\.bitPattern)
            XCTAssertEqual(bits, whole.map(\.bitPattern), "\(kernels.isa.name) \(s) split", file: file, line: line)
            if let f = first { XCTAssertEqual(bits, f, "\(kernels.isa.name) \(s) vs first table", file: file, line: line) }
            first = bits
        }
    }

    func testOddSizesEveryTable() {
        for (inH, inW) in [(1, 1), (3, 5), (7, 16), (9, 31), (5, 33), (4, 34), (2, 63), (3, 67), (1, 48)] {
            for k in [1, 2, 3] {
                for stride in [1, 2, 3] {
                    for pad in Set([0, k / 2]) {
                        for dilation in [1, 2] {
                            guard let s = poolShape(planes: 2, inH: inH, inW: inW, k: k, stride: stride, pad: pad,
                                                    dilation: dilation) else { continue }
                            check(s, nanEvery: 0)
                            check(s, nanEvery: 13)
                        }
                    }
                }
            }
        }
    }

    func testResNetPool() {
        // 3×3 stride 2 pad 1 on 112² → 56² (and smaller planes of the same kind).
        for n in [112, 57, 56, 35, 34, 33] {
            check(poolShape(planes: 3, inH: n, inW: n, k: 3, stride: 2, pad: 1, dilation: 1)!, nanEvery: 0)
            check(poolShape(planes: 3, inH: n, inW: n, k: 3, stride: 2, pad: 1, dilation: 1)!, nanEvery: 97)
        }
    }

    func testExtremes() {
        // ±∞, −0 / +0 ties and NaN at row ends (the overlapped last vector, the odd-lane load).
        var s = poolShape(planes: 1, inH: 2, inW: 67, k: 3, stride: 2, pad: 1, dilation: 1)!
        s.planes = 1
        var x = [Float](repeating: -.infinity, count: 2 * 67)
        x[66] = .nan; x[67] = .infinity; x[10] = -0.0; x[11] = 0.0
        let want = plainMaxPool(s, x)
        for kernels in testKernelTables {
            var got = [Float](repeating: 7, count: want.count)
            x.withUnsafeBufferPointer { px in
                got.withUnsafeMutableBufferPointer {
                    maxPool2d(s, x: px.baseAddress!, y: $0.baseAddress!, planes: 0 ..< 1, kernels: kernels)
                }
            }
            for i in 0 ..< want.count {
                XCTAssertTrue(got[i] == want[i] || (got[i].isNaN && want[i].isNaN), "\(kernels.isa.name) \(i): \(got[i]) vs \(want[i])")
            }
        }
    }
}
