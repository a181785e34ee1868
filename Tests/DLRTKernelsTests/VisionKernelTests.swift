import DLRTKernels
import XCTest

/// The vision kernels (ConvTranspose GEMM + col2im, Resize tables, Pad, DepthToSpace /
/// SpaceToDepth transposes) against the plain references of Reference/VisionReference.swift.
/// Outputs and scratch start NaN-filled, so an element the kernel forgets to write shows.
final class VisionKernelTests: XCTestCase {
    // MARK: ConvTranspose

    struct CT {
        var batch = 1, inChannels = 3, outChannels = 4, group = 1
        var inH: Int? = 5
        var inW = 6
        var kernel = [3, 3], strides = [1, 1], pads = [0, 0, 0, 0], dilations = [1, 1], outputPadding = [0, 0]
        var bias = true
        var activation = DenseActivation.none
        var transposedGEMM = false

        func test(file: StaticString = #filePath, line: UInt = #line) {
            let spatial = inH.map { [$0, inW] } ?? [inW]
            let r = spatial.count
            let xShape = [batch, inChannels] + spatial
            let wShape = [inChannels, outChannels / group] + kernel
            var outSpatial: [Int] = []
            for d in 0 ..< r {
                let full: Int = strides[d] * (spatial[d] - 1) + outputPadding[d] + (kernel[d] - 1) * dilations[d] + 1
                outSpatial.append(full - pads[d] - pads[d + r])
            }
            let seed: Int = xShape.reduce(11, &+) &* 131 &+ wShape.reduce(5, &*) &+ strides.reduce(0, &+)
            var rng = TestRNG(seed: UInt64(seed))
            let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *))
            let b = bias ? rng.floats(outChannels) : nil
            let want = referenceConvTranspose(x: x, xShape: xShape, w: w, wShape: wShape, bias: b, strides: strides,
                                              padsBegin: Array(pads.prefix(r)), dilations: dilations, group: group,
                                              outSpatial: outSpatial, activation: activation)
            var s = ConvTranspose2DShape()
            s.batch = batch; s.inChannels = inChannels; s.outChannels = outChannels; s.group = group
            s.inH = r == 2 ? spatial[0] : 1; s.inW = spatial[r - 1]
            s.outH = r == 2 ? outSpatial[0] : 1; s.outW = outSpatial[r - 1]
            s.kH = r == 2 ? kernel[0] : 1; s.kW = kernel[r - 1]
            s.strideH = r == 2 ? strides[0] : 1; s.strideW = strides[r - 1]
            s.padTop = r == 2 ? pads[0] : 0; s.padLeft = pads[r - 1]
            s.dilationH = r == 2 ? dilations[0] : 1; s.dilationW = dilations[r - 1]
            s.transposedGEMM = transposedGEMM
            let packed = w.withUnsafeBufferPointer { convTranspose2DPackWeights(s, $0.baseAddress!) }
            var got = [Float](repeating: .nan, count: want.count)
            var scratch = [Float](repeating: .nan, count: s.scratchCount)
            x.withUnsafeBufferPointer { px in
              w.withUnsafeBufferPointer { pw in
                (b ?? [Float(0)]).withUnsafeBufferPointer { pb in
                    got.withUnsafeMutableBufferPointer { py in
                        scratch.withUnsafeMutableBufferPointer { ps in
                            convTranspose2DForward(s, x: px.baseAddress!, weights: packed.pointer, rawWeights: pw.baseAddress!,
                                                   bias: b == nil ? nil : pb.baseAddress,
                                                   activation: activation, y: py.baseAddress!, scratch: ps.baseAddress!,
                                                   parallel: ReversedTasks())
                        }
                    }
                }
              }
            }
            assertClose(got, want, tol: 1e-4, "ConvTranspose \(self)", file: file, line: line)
        }
    }

    func testConvTransposeBasics() {
        CT().test()
        CT(bias: false).test()
        CT(batch: 3, inChannels: 5, outChannels: 7, inH: 1, inW: 1, kernel: [4, 4]).test()   // DCGAN's first layer
        CT(inChannels: 4, outChannels: 2, inH: 4, inW: 4, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1]).test()
    }

    func testConvTransposeStridesPadsOutputPadding() {
        for sh in 1 ... 3 {
            for sw in 1 ... 3 {
                for pads in [[0, 0, 0, 0], [1, 0, 2, 1], [2, 2, 1, 1]] {
                    for op in [[0, 0], [sh - 1, sw - 1]] {
                        CT(batch: 2, inChannels: 3, outChannels: 5, inH: 5, inW: 7, kernel: [3, 4], strides: [sh, sw],
                           pads: pads, outputPadding: op).test()
                    }
                }
            }
        }
    }

    func testConvTransposeDilationGroupsActivations() {
        CT(inChannels: 4, outChannels: 6, inH: 6, inW: 5, dilations: [2, 3]).test()
        CT(inChannels: 4, outChannels: 6, inH: 6, inW: 5, strides: [2, 3], pads: [1, 2, 1, 0], dilations: [2, 2]).test()
        CT(batch: 2, inChannels: 6, outChannels: 4, group: 2, inH: 7, inW: 3, strides: [2, 2]).test()
        CT(inChannels: 9, outChannels: 6, group: 3, inH: 4, inW: 9, kernel: [2, 3], strides: [1, 2]).test()
        CT(inChannels: 8, outChannels: 8, group: 8, inH: 9, inW: 7, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1]).test()  // depthwise
        CT(inChannels: 5, outChannels: 10, group: 5, inH: 6, inW: 6, kernel: [3, 3], strides: [3, 3]).test()
        for act in denseTestActivations {
            CT(inChannels: 3, outChannels: 5, inH: 5, inW: 4, strides: [2, 1], pads: [1, 1, 0, 0], activation: act).test()
        }
    }

    func testConvTranspose1DAndOddSizes() {
        CT(inChannels: 3, outChannels: 4, inH: nil, inW: 11, kernel: [5], strides: [3], pads: [2, 1], dilations: [1],
           outputPadding: [2]).test()
        CT(batch: 2, inChannels: 1, outChannels: 1, inH: nil, inW: 1, kernel: [1], strides: [1], pads: [0, 0], dilations: [1],
           outputPadding: [0]).test()
        for size in [1, 2, 7, 17, 31, 67] {
            CT(inChannels: 3, outChannels: 2, inH: size, inW: (size * 3) % 19 + 1, kernel: [3, 3], strides: [2, 2],
               pads: [1, 1, 1, 1], outputPadding: [1, 0]).test()
        }
    }

    func testConvTransposeChunkedColumns() {
        // Mg·kH·kW = 1024 rows: the column buffer holds 256 input positions at a time (of 323).
        let s = CT(inChannels: 2, outChannels: 64, inH: 17, inW: 19, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1])
        var shape = ConvTranspose2DShape()
        shape.outChannels = 64; shape.kH = 4; shape.kW = 4; shape.inH = 17; shape.inW = 19
        XCTAssertEqual(shape.chunkColumns, 256)
        s.test()
        CT(inChannels: 67, outChannels: 33, inH: 5, inW: 7, strides: [2, 2], pads: [1, 1, 1, 1]).test()
    }

    func testConvTransposeImagesPerGEMM() {
        // Small planes: several images side by side in one GEMM (5 + 2 images here, 1024 column rows).
        var shape = ConvTranspose2DShape()
        shape.batch = 7; shape.outChannels = 64; shape.kH = 4; shape.kW = 4; shape.inH = 7; shape.inW = 7
        XCTAssertEqual(shape.imagesPerGEMM, 5)
        CT(batch: 7, inChannels: 3, outChannels: 64, inH: 7, inW: 7, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1]).test()
        CT(batch: 5, inChannels: 6, outChannels: 4, group: 2, inH: 2, inW: 3, strides: [2, 3], pads: [0, 1, 1, 0],
           outputPadding: [1, 2], activation: DenseActivation(.leakyRelu, alpha: 0.2)).test()
        CT(batch: 4, inChannels: 10, outChannels: 8, inH: 1, inW: 1, kernel: [4, 4]).test()
        // At most 4 input positions in all: no GEMM, W read in place.
        CT(batch: 1, inChannels: 100, outChannels: 67, inH: 1, inW: 1, kernel: [4, 4]).test()
        CT(batch: 3, inChannels: 9, outChannels: 6, group: 3, inH: 1, inW: 1, kernel: [3, 2], strides: [2, 2]).test()
        CT(batch: 1, inChannels: 5, outChannels: 7, inH: 2, inW: 2, strides: [2, 1], pads: [1, 0, 0, 1], outputPadding: [1, 0]).test()
        CT(batch: 2, inChannels: 4, outChannels: 3, inH: nil, inW: 2, kernel: [3], strides: [2], pads: [0, 1], dilations: [2],
           outputPadding: [1], activation: DenseActivation(.tanh)).test()
    }

    // MARK: Resize

    func resizeCheck(_ xShape: [Int], _ outShape: [Int], scales: [Float], spec: ResizeSpec, roi: [(Float, Float)]? = nil,
                     file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: UInt64(xShape.reduce(3, &*) &+ outShape.reduce(7, &+)))
        let x = rng.floats(xShape.reduce(1, *))
        let r = xShape.count
        let axes = (0 ..< r).map { k in
            ReferenceResizeAxis(mode: spec.mode.rawValue, coordinate: spec.coordinate.rawValue, nearest: spec.nearest.rawValue,
                                cubicA: spec.cubicA, excludeOutside: spec.excludeOutside, scale: scales[k], roi: roi?[k] ?? (0, 1))
        }
        let want = referenceResize(x: x, xShape: xShape, outShape: outShape, axes: axes, extrapolation: spec.extrapolation)
        let tables = (0 ..< r).map {
            ResizeAxisTable(inSize: xShape[$0], outSize: outShape[$0], scale: scales[$0], roi: roi?[$0] ?? (0, 1), spec: spec)
        }
        let plan = ResizePlan(inShape: xShape, outShape: outShape, tables: tables, extrapolation: spec.extrapolation)
        var got = [Float](repeating: .nan, count: want.count)
        x.withUnsafeBufferPointer { px in
            got.withUnsafeMutableBufferPointer { py in
                reversedTasks(plan.rowCount) { plan.run(px.baseAddress!, py.baseAddress!, rows: $0) }
            }
        }
        assertClose(got, want, tol: 1e-5, "Resize \(xShape)→\(outShape) \(spec)", file: file, line: line)
        // One range of all rows: repeated rows are copied from the previous output row.
        var whole = [Float](repeating: .nan, count: want.count)
        x.withUnsafeBufferPointer { px in
            whole.withUnsafeMutableBufferPointer { plan.run(px.baseAddress!, $0.baseAddress!, rows: 0 ..< plan.rowCount) }
        }
        assertClose(whole, want, tol: 1e-5, "Resize \(xShape)→\(outShape) \(spec), one range", file: file, line: line)
    }

    func testResizeModesAndCoordinates() {
        let coords: [ResizeCoordinateMode] = [.halfPixel, .halfPixelSymmetric, .pytorchHalfPixel, .alignCorners, .asymmetric, .tfHalfPixelForNN]
        let nearest: [ResizeNearestMode] = [.roundPreferFloor, .roundPreferCeil, .floor, .ceil]
        let cases: [([Int], [Float])] = [([1, 2, 5, 7], [1, 1, 2, 3]), ([2, 1, 9, 8], [1, 1, 0.6, 0.5]), ([1, 3, 4, 6], [1, 1, 1.7, 0.75]),
                                         ([3, 9], [1, 2.5]), ([1, 1, 1, 5], [1, 1, 3, 1]), ([1, 2, 3, 5], [1, 1, 2, 2]), ([2, 4], [1, 4])]
        for (xs, sc) in cases {
            let out = zip(xs, sc).map { Int((Float($0) * $1).rounded(.down)) }
            for c in coords {
                for nm in nearest { resizeCheck(xs, out, scales: sc, spec: ResizeSpec(mode: .nearest, coordinate: c, nearest: nm)) }
                resizeCheck(xs, out, scales: sc, spec: ResizeSpec(mode: .linear, coordinate: c))
                resizeCheck(xs, out, scales: sc, spec: ResizeSpec(mode: .cubic, coordinate: c))
                resizeCheck(xs, out, scales: sc, spec: ResizeSpec(mode: .cubic, coordinate: c, cubicA: -0.5, excludeOutside: true))
            }
        }
    }

    func testResizeNDAndOddSizes() {
        resizeCheck([1, 2, 3, 4, 5], [1, 2, 6, 6, 4], scales: [1, 1, 2, 1.5, 0.8], spec: ResizeSpec(mode: .linear, coordinate: .halfPixel))
        resizeCheck([2, 3, 4], [4, 3, 9], scales: [2, 1, 2.25], spec: ResizeSpec(mode: .linear, coordinate: .alignCorners))
        resizeCheck([67], [13], scales: [0.2], spec: ResizeSpec(mode: .cubic, coordinate: .halfPixel))
        resizeCheck([1, 1, 17, 31], [1, 1, 67, 7], scales: [1, 1, 67.0 / 17, 7.0 / 31], spec: ResizeSpec(mode: .linear, coordinate: .halfPixel))
        resizeCheck([2, 2, 3, 3], [2, 2, 3, 3], scales: [1, 1, 1, 1], spec: ResizeSpec(mode: .linear, coordinate: .halfPixel))
    }

    func testResizeCropAndResize() {
        let spec = ResizeSpec(mode: .linear, coordinate: .tfCropAndResize, extrapolation: 10)
        resizeCheck([1, 1, 4, 4], [1, 1, 3, 3], scales: [1, 1, 0.8, 0.8], spec: spec,
                    roi: [(0, 1), (0, 1), (0.4, 1.2), (0.6, 1.4)])
        resizeCheck([1, 1, 4, 4], [1, 1, 3, 3], scales: [1, 1, 0.8, 0.8],
                    spec: ResizeSpec(mode: .nearest, coordinate: .tfCropAndResize, extrapolation: -1),
                    roi: [(0, 1), (0, 1), (-0.3, 0.7), (0.2, 0.9)])
    }

    func testResizeEdgeValues() {
        // ±inf and NaN propagate as in the reference (0 · inf = NaN where a weight is 0).
        let xShape = [1, 1, 3, 4]
        let x: [Float] = [1, .infinity, -2, 3, .nan, 0, -.infinity, 1e30, -1e30, 5, 6, -0.0]
        for spec in [ResizeSpec(mode: .nearest, coordinate: .halfPixel), ResizeSpec(mode: .linear, coordinate: .halfPixel),
                     ResizeSpec(mode: .linear, coordinate: .alignCorners), ResizeSpec(mode: .cubic, coordinate: .asymmetric)] {
            let scales: [Float] = [1, 1, 2, 1.5], outShape = [1, 1, 6, 6]
            let axes = (0 ..< 4).map {
                ReferenceResizeAxis(mode: spec.mode.rawValue, coordinate: spec.coordinate.rawValue, scale: scales[$0])
            }
            let want = referenceResize(x: x, xShape: xShape, outShape: outShape, axes: axes)
            let tables = (0 ..< 4).map { ResizeAxisTable(inSize: xShape[$0], outSize: outShape[$0], scale: scales[$0], spec: spec) }
            let plan = ResizePlan(inShape: xShape, outShape: outShape, tables: tables, extrapolation: 0)
            var got = [Float](repeating: 7, count: want.count)
            x.withUnsafeBufferPointer { px in
                got.withUnsafeMutableBufferPointer { plan.run(px.baseAddress!, $0.baseAddress!, rows: 0 ..< plan.rowCount) }
            }
            for i in want.indices {
                let g = got[i], w = want[i]
                XCTAssert(g.isNaN == w.isNaN && (g.isNaN || g == w || abs(g - w) <= 1e-5 * max(1, abs(w))),
                          "\(spec.mode) \(spec.coordinate) element \(i): got \(g), want \(w)")
            }
        }
    }

    // MARK: Pad

    func padCheck<T: Equatable>(_: T.Type, _ xShape: [Int], _ pads: [Int], _ mode: PadMode, value: T, make: (Int) -> T,
                                file: StaticString = #filePath, line: UInt = #line) {
        let x = (0 ..< xShape.reduce(1, *)).map(make)
        let (want, outShape) = referencePad(x: x, xShape: xShape, pads: pads, mode: mode.rawValue, value: value)
        let plan = PadPlan(shape: xShape, pads: pads, mode: mode, elementSize: MemoryLayout<T>.size)
        XCTAssertEqual(plan.outShape, outShape.isEmpty ? [1] : outShape, file: file, line: line)
        var got = [T](repeating: make(12345), count: want.count)
        var bits: UInt64 = 0
        withUnsafeBytes(of: value) { raw in withUnsafeMutableBytes(of: &bits) { $0.copyMemory(from: raw) } }
        x.withUnsafeBytes { px in
            got.withUnsafeMutableBytes { py in
                reversedTasks(plan.rowCount) { plan.run(px.baseAddress!, py.baseAddress!, value: bits, rows: $0) }
            }
        }
        XCTAssertEqual(got, want, "Pad \(xShape) pads \(pads) \(mode)", file: file, line: line)
    }

    func testPadModes() {
        let cases: [([Int], [Int])] = [
            ([3, 4], [1, 2, 2, 1]), ([2, 3, 5], [0, 1, 2, 1, 0, 3]), ([1, 2, 3, 4], [0, 0, 2, 3, 0, 0, 3, 4]),
            ([5], [7, 9]), ([2, 6, 7], [0, -1, 2, 0, 2, -3]), ([1, 3, 1], [1, 1, 3, 0, 2, 2]),
            ([67], [-5, 13]), ([4, 5], [-2, 0, -2, 0]),
        ]
        for (xs, p) in cases {
            for mode in [PadMode.constant, .reflect, .edge, .wrap] {
                padCheck(Float.self, xs, p, mode, value: 2.5) { Float($0) * 0.5 - 3 }
                padCheck(UInt8.self, xs, p, mode, value: 200) { UInt8(truncatingIfNeeded: $0 * 7) }
                padCheck(UInt16.self, xs, p, mode, value: 999) { UInt16(truncatingIfNeeded: $0 * 13) }
                padCheck(Int64.self, xs, p, mode, value: -7) { Int64($0) - 50 }
            }
        }
        padCheck(Float.self, [], [], .constant, value: 1) { Float($0) + 4 }
    }

    // MARK: DepthToSpace, SpaceToDepth

    func testDepthToSpaceAndSpaceToDepth() {
        for (shape, b) in [([1, 8, 3, 5], 2), ([2, 18, 2, 3], 3), ([1, 4, 1, 1], 2), ([3, 1, 4, 4], 1), ([1, 27, 2, 2], 3)] {
            let x = (0 ..< shape.reduce(1, *)).map { Int32($0) }
            for crd in [false, true] where shape[1] % (b * b) == 0 {
                let want = referenceDepthToSpace(x: x, xShape: shape, blocksize: b, crd: crd)
                let plan = DepthSpacePlan(depthToSpace: shape, blocksize: b, crd: crd, elementSize: 4)
                XCTAssertEqual(plan.outputShape, [shape[0], shape[1] / (b * b), shape[2] * b, shape[3] * b])
                XCTAssertEqual(rearranged(x, plan), want, "DepthToSpace \(shape) b \(b) crd \(crd)")
            }
        }
        for (shape, b) in [([1, 2, 4, 6], 2), ([2, 3, 6, 9], 3), ([1, 1, 2, 2], 2), ([2, 5, 3, 3], 1)] {
            let x = (0 ..< shape.reduce(1, *)).map { Int32($0) }
            for crd in [false, true] {
                let want = referenceSpaceToDepth(x: x, xShape: shape, blocksize: b, crd: crd)
                let plan = DepthSpacePlan(spaceToDepth: shape, blocksize: b, crd: crd, elementSize: 4)
                XCTAssertEqual(plan.outputShape, [shape[0], shape[1] * b * b, shape[2] / b, shape[3] / b])
                XCTAssertEqual(rearranged(x, plan), want, "SpaceToDepth \(shape) b \(b) crd \(crd)")
            }
        }
    }

    func rearranged(_ x: [Int32], _ plan: DepthSpacePlan) -> [Int32] {
        var y = [Int32](repeating: -1, count: x.count)
        x.withUnsafeBytes { px in
            y.withUnsafeMutableBytes { py in reversedTasks(plan.rowCount) { plan.run(px.baseAddress!, py.baseAddress!, rows: $0) } }
        }
        return y
    }
}
