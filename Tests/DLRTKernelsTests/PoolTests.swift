import DLRTKernels
import XCTest

/// Pool tester: 1-D when `inH == nil`. Pads are [begin…, end…].
struct PoolTester {
    var isMax = true
    var planes = 3
    var inH: Int? = 9
    var inW = 11
    var kernel = [3, 3]
    var strides = [1, 1]
    var pads = [0, 0, 0, 0]
    var dilations = [1, 1]
    var ceilMode = false
    var countIncludePad = false

    func test(file: StaticString = #filePath, line: UInt = #line) {
        let spatial = inH.map { [$0, inW] } ?? [inW]
        let r = spatial.count
        let xShape = [1, planes] + spatial
        var rng = TestRNG(seed: UInt64(xShape.reduce(5, &+) + kernel.reduce(0, +)))
        let x = rng.floats(xShape.reduce(1, *))
        let (want, yShape) = referencePool(isMax: isMax, x: x, xShape: xShape, kernel: kernel, strides: strides,
                                           pads: pads, dilations: dilations, ceilMode: ceilMode,
                                           countIncludePad: countIncludePad)
        var s = Pool2DShape()
        s.planes = planes
        s.inH = r == 2 ? spatial[0] : 1; s.inW = spatial[r - 1]
        s.outH = r == 2 ? yShape[2] : 1; s.outW = yShape[1 + r]
        s.kH = r == 2 ? kernel[0] : 1; s.kW = kernel[r - 1]
        s.strideH = r == 2 ? strides[0] : 1; s.strideW = strides[r - 1]
        s.padTop = r == 2 ? pads[0] : 0; s.padLeft = pads[r - 1]
        s.padBottom = r == 2 ? pads[2] : 0; s.padRight = pads[2 * r - 1]
        s.dilationH = r == 2 ? dilations[0] : 1; s.dilationW = dilations[r - 1]
        var got = [Float](repeating: .nan, count: want.count)
        x.withUnsafeBufferPointer { px in
            got.withUnsafeMutableBufferPointer { py in
                reversedTasks(planes) { p in
                    if isMax {
                        maxPool2d(s, x: px.baseAddress!, y: py.baseAddress!, planes: p)
                    } else {
                        averagePool2d(s, countIncludePad: countIncludePad, x: px.baseAddress!, y: py.baseAddress!, planes: p)
                    }
                }
            }
        }
        assertClose(got, want, tol: 1e-6, "pool \(self) → \(yShape)", file: file, line: line)
    }
}

final class PoolTests: XCTestCase {
    func testSweep2D() {
        for isMax in [true, false] {
            for k in [1, 2, 3, 5] {
                for stride in [1, 2, 3] {
                    for pad in Set([0, k / 2]) {
                        for ceil in [false, true] {
                            for incl in isMax ? [false] : [false, true] {
                                PoolTester(isMax: isMax, inH: 10, inW: 23, kernel: [k, k], strides: [stride, stride],
                                           pads: [pad, pad, pad, pad], ceilMode: ceil, countIncludePad: incl).test()
                            }
                        }
                    }
                }
            }
        }
    }

    func testAsymmetricPadsCeilModeAndDilations() {
        for isMax in [true, false] {
            for incl in [false, true] {
                PoolTester(isMax: isMax, inH: 8, inW: 9, kernel: [3, 2], strides: [2, 2], pads: [1, 0, 0, 1],
                           ceilMode: true, countIncludePad: incl).test()
                PoolTester(isMax: isMax, inH: 12, inW: 20, kernel: [3, 3], strides: [2, 1], pads: [1, 1, 2, 2],
                           dilations: [2, 2], ceilMode: true, countIncludePad: incl).test()
                PoolTester(isMax: isMax, inH: 7, inW: 7, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0],
                           ceilMode: true, countIncludePad: incl).test()
            }
        }
    }

    func testStride2WideRowsAndNaN() {
        // Rows wide enough for the 8-output stride-2 vector path, odd widths, pads 0/1.
        for w in [16, 17, 33, 67] {
            for pad in [0, 1] {
                PoolTester(isMax: true, inH: 5, inW: w, kernel: [3, 3], strides: [2, 2], pads: [pad, pad, pad, pad]).test()
                PoolTester(isMax: true, inH: 4, inW: w, kernel: [2, 2], strides: [2, 2]).test()
            }
        }
        // A NaN anywhere in a window makes that output NaN, in the vector and the scalar columns.
        var s = Pool2DShape()
        s.planes = 1; s.inH = 1; s.inW = 40; s.outH = 1; s.outW = 19; s.kH = 1; s.kW = 3; s.strideH = 1; s.strideW = 2
        var x = (0 ..< 40).map { Float($0) }
        x[6] = .nan      // windows 2 (4…6) and 3 (6…8)
        x[37] = .nan     // window 18 (36…38)
        var y = [Float](repeating: 0, count: 19)
        x.withUnsafeBufferPointer { px in y.withUnsafeMutableBufferPointer { maxPool2d(s, x: px.baseAddress!, y: $0.baseAddress!, planes: 0 ..< 1) } }
        for o in 0 ..< 19 {
            if [2, 3, 18].contains(o) { XCTAssertTrue(y[o].isNaN, "output \(o)") } else { XCTAssertEqual(y[o], Float(2 * o + 2), "output \(o)") }
        }
    }

    func testPool1D() {
        for isMax in [true, false] {
            for ceil in [false, true] {
                PoolTester(isMax: isMax, inH: nil, inW: 30, kernel: [4], strides: [3], pads: [1, 2], dilations: [1],
                           ceilMode: ceil, countIncludePad: true).test()
                PoolTester(isMax: isMax, inH: nil, inW: 17, kernel: [3], strides: [2], pads: [0, 0], dilations: [2],
                           ceilMode: ceil).test()
            }
        }
    }

    func testCeilModeDropsWindowStartingInPadding() {
        // in 6, k 2, s 2, pad end 1, ceil: (6+1-2)/2 → ceil 3 → 4 windows, the 4th starts at 6 ≥ 6 → dropped.
        XCTAssertEqual(referencePoolOutputSize(input: 6, kernel: 2, stride: 2, padBegin: 0, padEnd: 1, dilation: 1,
                                               ceilMode: true), 3)
        XCTAssertEqual(referencePoolOutputSize(input: 5, kernel: 2, stride: 2, padBegin: 0, padEnd: 0, dilation: 1,
                                               ceilMode: true), 3)
    }

    func testGlobalPools() {
        var rng = TestRNG(seed: 9)
        for size in [1, 7, 8, 49, 50] {
            let x = rng.floats(3 * size)
            for isMax in [true, false] {
                let want = referenceGlobalPool(isMax: isMax, x: x, xShape: [1, 3, size])
                var got = [Float](repeating: .nan, count: 3)
                x.withUnsafeBufferPointer { px in
                    got.withUnsafeMutableBufferPointer { py in
                        reversedTasks(3) { globalPool(isMax: isMax, size: size, x: px.baseAddress!, y: py.baseAddress!, planes: $0) }
                    }
                }
                assertClose(got, want, tol: 1e-6, "global pool size \(size) max \(isMax)")
            }
        }
    }

    func testMaxPoolPropagatesNaNAndInfinity() {
        var s = Pool2DShape()
        s.inH = 1; s.inW = 4; s.outH = 1; s.outW = 2; s.kW = 2; s.strideW = 2
        let x: [Float] = [.nan, 1, -.infinity, -1]
        var y = [Float](repeating: 0, count: 2)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeMutableBufferPointer { maxPool2d(s, x: px.baseAddress!, y: $0.baseAddress!, planes: 0 ..< 1) }
        }
        XCTAssertTrue(y[0].isNaN)
        XCTAssertEqual(y[1], -1)
    }
}
