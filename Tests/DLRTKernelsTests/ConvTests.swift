import DLRTKernels
import XCTest

/// Runs every task range one item at a time, last first (checks tiling covers everything
/// exactly once and does not depend on order).
func reversedTasks(_ count: Int, _ body: (Range<Int>) -> Void) {
    for t in (0 ..< count).reversed() { body(t ..< t + 1) }
}

/// `reversedTasks` as a `ParallelLoop`, for kernels that take one.
struct ReversedTasks: ParallelLoop {
    func parallelFor<Task: ParallelTask>(_ total: Int, grain: Int, _ task: Task) {
        reversedTasks(total) { task.run($0) }
    }
}

/// Conv tester: 1-D when `inH == nil`. Pads are [begin…, end…] as in ONNX.
struct ConvTester {
    var batch = 1, inChannels = 3, outChannels = 4, group = 1
    var inH: Int? = 7
    var inW = 9
    var kernel = [3, 3]
    var strides = [1, 1]
    var pads = [0, 0, 0, 0]
    var dilations = [1, 1]
    var bias = true
    var activation = DenseActivation.none

    func test(file: StaticString = #filePath, line: UInt = #line) {
        let spatial = inH.map { [$0, inW] } ?? [inW]
        let r = spatial.count
        let xShape = [batch, inChannels] + spatial
        let wShape = [outChannels, inChannels / group] + kernel
        var rng = TestRNG(seed: UInt64(xShape.reduce(7, &+) &* 31 &+ wShape.reduce(3, &+)))
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *))
        let b = bias ? rng.floats(outChannels) : nil
        let (want, yShape) = referenceConv(x: x, xShape: xShape, w: w, wShape: wShape, bias: b, strides: strides,
                                           pads: pads, dilations: dilations, group: group, activation: activation)
        var s = Conv2DShape()
        s.batch = batch; s.inChannels = inChannels; s.outChannels = outChannels; s.group = group
        s.inH = r == 2 ? spatial[0] : 1; s.inW = spatial[r - 1]
        s.outH = r == 2 ? yShape[2] : 1; s.outW = yShape[1 + r]
        s.kH = r == 2 ? kernel[0] : 1; s.kW = kernel[r - 1]
        s.strideH = r == 2 ? strides[0] : 1; s.strideW = strides[r - 1]
        s.padTop = r == 2 ? pads[0] : 0; s.padLeft = pads[r - 1]
        s.dilationH = r == 2 ? dilations[0] : 1; s.dilationW = dilations[r - 1]
        let packed = w.withUnsafeBufferPointer { conv2dPackWeights(s, $0.baseAddress!) }
        for kernels in testKernelTables {
        var got = [Float](repeating: .nan, count: want.count)
        var scratch = [Float](repeating: .nan, count: max(1, s.scratchCount))
        x.withUnsafeBufferPointer { px in
            (b ?? [0]).withUnsafeBufferPointer { pb in
                got.withUnsafeMutableBufferPointer { py in
                    scratch.withUnsafeMutableBufferPointer { ps in
                        conv2dForward(s, x: px.baseAddress!, weights: packed.pointer, bias: b == nil ? nil : pb.baseAddress,
                                      activation: activation, y: py.baseAddress!, scratch: ps.baseAddress,
                                      parallel: ReversedTasks(), kernels: kernels)
                    }
                }
            }
        }
        assertClose(got, want, tol: 2e-6 * Float(s.gemmK + 4), "conv \(kernels.isa.name) \(self) → \(yShape)",
                    file: file, line: line)
        }
        // conv32: the direct kernels on every table (conv2dForward takes them on AVX-512 only).
        if conv2dDirectSupports(s) {
            for kernels in testKernelTables {
                let got = runConvDirect(s, x: x, packed: packed.pointer, bias: b, activation: activation,
                                        count: want.count, parallel: ReversedTasks(), kernels: kernels)
                assertClose(got, want, tol: 2e-6 * Float(s.gemmK + 4),
                            "direct conv \(kernels.isa.name) \(self) → \(yShape)", file: file, line: line)
            }
        }
    }
}

final class ConvTests: XCTestCase {
    func testKernelSizesStridesPads2D() {
        for k in [1, 3, 5, 7] {
            for stride in [1, 2] {
                for pad in [0, 1, k / 2] {
                    ConvTester(inH: 11, inW: 13, kernel: [k, k], strides: [stride, stride],
                               pads: [pad, pad, pad, pad]).test()
                }
            }
        }
    }

    func testAsymmetricPadsAndStrides() {
        ConvTester(inH: 8, inW: 10, kernel: [3, 2], strides: [2, 1], pads: [0, 1, 2, 0]).test()
        ConvTester(inH: 9, inW: 7, kernel: [2, 3], strides: [1, 3], pads: [1, 0, 0, 2]).test()
        ConvTester(inH: 5, inW: 21, kernel: [1, 5], strides: [1, 1], pads: [0, 2, 0, 2]).test()
    }

    func testDilations() {
        ConvTester(inH: 12, inW: 12, kernel: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2]).test()
        ConvTester(inH: 10, inW: 14, kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 3], dilations: [1, 3]).test()
    }

    func testPointwise() {
        ConvTester(inChannels: 19, outChannels: 23, inH: 5, inW: 7, kernel: [1, 1], pads: [0, 0, 0, 0]).test()
        ConvTester(batch: 2, inChannels: 8, outChannels: 8, inH: 4, inW: 4, kernel: [1, 1], pads: [0, 0, 0, 0],
                   activation: DenseActivation(.relu)).test()
        // 1×1 with stride or pads is not the direct path.
        ConvTester(inChannels: 5, outChannels: 7, inH: 6, inW: 6, kernel: [1, 1], strides: [2, 2], pads: [0, 0, 0, 0]).test()
        ConvTester(inChannels: 5, outChannels: 7, inH: 6, inW: 6, kernel: [1, 1], pads: [1, 0, 0, 1]).test()
    }

    func testGroups() {
        ConvTester(inChannels: 4, outChannels: 6, group: 2, inH: 7, inW: 8, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(batch: 2, inChannels: 6, outChannels: 9, group: 3, inH: 5, inW: 6, kernel: [3, 1],
                   strides: [2, 1], pads: [1, 0, 1, 0]).test()
        // Channel multiplier 2 with group == C: grouped GEMM, not the depthwise kernel.
        ConvTester(inChannels: 3, outChannels: 6, group: 3, inH: 6, inW: 6, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
    }

    /// Small images: 16-column panels spanning several output rows, batches packed and multiplied
    /// panel by panel (fused path), zero-padded planes, strides 1/2/3 with vector and scalar tails.
    func testSmallImagesAndBatches() {
        // The digits CNN: 1→16 3×3 pad 1 on 8×8, 16→32 3×3 stride 2 pad 1 → 4×4.
        for batch in [1, 3, 64] {
            ConvTester(batch: batch, inChannels: 1, outChannels: 16, inH: 8, inW: 8, kernel: [3, 3],
                       pads: [1, 1, 1, 1], activation: DenseActivation(.relu)).test()
            ConvTester(batch: batch, inChannels: 16, outChannels: 32, inH: 8, inW: 8, kernel: [3, 3],
                       strides: [2, 2], pads: [1, 1, 1, 1], activation: DenseActivation(.relu)).test()
        }
        // Output planes that are not a multiple of 16 (7×7, 5×3, 1×1), odd widths, stride 3.
        ConvTester(batch: 5, inChannels: 3, outChannels: 7, inH: 7, inW: 7, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(batch: 2, inChannels: 4, outChannels: 5, inH: 9, inW: 5, kernel: [3, 3], strides: [2, 2],
                   pads: [0, 0, 1, 1]).test()
        ConvTester(batch: 3, inChannels: 2, outChannels: 3, inH: 3, inW: 3, kernel: [3, 3]).test()
        ConvTester(batch: 2, inChannels: 3, outChannels: 4, inH: 10, inW: 11, kernel: [3, 2], strides: [3, 3],
                   pads: [1, 2, 0, 1]).test()
        // Stride 2 with 8- and 16-wide output rows (vector even-lane copies) and a remainder.
        ConvTester(batch: 2, inChannels: 3, outChannels: 8, inH: 6, inW: 37, kernel: [3, 3], strides: [2, 2],
                   pads: [1, 1, 1, 1]).test()
        // Dilation with padding on a small plane; groups within a batch.
        ConvTester(batch: 3, inChannels: 4, outChannels: 6, inH: 6, inW: 6, kernel: [3, 3], pads: [2, 2, 2, 2],
                   dilations: [2, 2]).test()
        ConvTester(batch: 4, inChannels: 6, outChannels: 4, group: 2, inH: 5, inW: 5, kernel: [3, 3],
                   strides: [2, 2], pads: [1, 1, 1, 1]).test()
        // K above the 256-deep K block; 1-D.
        ConvTester(batch: 2, inChannels: 40, outChannels: 9, inH: 4, inW: 4, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(batch: 3, inChannels: 3, outChannels: 5, inH: nil, inW: 19, kernel: [5], strides: [2],
                   pads: [2, 1]).test()
    }

    /// Large planes: the unpadded panel packer (segments with per-column valid ranges), and the
    /// two-phase path (many output channels, few columns, much work).
    func testLargePlanesAndTwoPhase() {
        ConvTester(inChannels: 2, outChannels: 4, inH: 70, inW: 70, kernel: [3, 3], strides: [2, 2],
                   pads: [1, 1, 1, 1]).test()
        ConvTester(batch: 2, inChannels: 2, outChannels: 3, inH: 9, inW: 130, kernel: [3, 5], pads: [1, 2, 1, 2]).test()
        ConvTester(inChannels: 128, outChannels: 96, inH: 4, inW: 4, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
    }

    func testDepthwise() {
        for k in [3, 5] {
            for stride in [1, 2] {
                ConvTester(batch: 2, inChannels: 5, outChannels: 5, group: 5, inH: 13, inW: 21, kernel: [k, k],
                           strides: [stride, stride], pads: [k / 2, k / 2, k / 2, k / 2],
                           activation: DenseActivation(.clip, min: 0, max: 6)).test()
            }
        }
        // Rows wide enough for the 32-column register block, with dilation.
        ConvTester(inChannels: 3, outChannels: 3, group: 3, inH: 5, inW: 77, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(inChannels: 2, outChannels: 2, group: 2, inH: 6, inW: 70, kernel: [3, 5], pads: [1, 4, 1, 0],
                   dilations: [1, 2], activation: DenseActivation(.relu)).test()
        ConvTester(inChannels: 4, outChannels: 4, group: 4, inH: 9, inW: 11, kernel: [3, 3], pads: [0, 2, 1, 0],
                   dilations: [2, 1], bias: false).test()
        // Stride 2 with rows wide enough for the 32- and 8-column register blocks (strided loads),
        // pads 0/1/2, dilation; stride 3.
        for pad in [0, 1, 2] {
            ConvTester(batch: 2, inChannels: 3, outChannels: 3, group: 3, inH: 7, inW: 81, kernel: [3, 3], strides: [2, 2],
                       pads: [pad, pad, pad, pad], activation: DenseActivation(.relu)).test()
        }
        ConvTester(inChannels: 2, outChannels: 2, group: 2, inH: 5, inW: 67, kernel: [3, 3], strides: [2, 2],
                   pads: [1, 0, 1, 3], dilations: [1, 2]).test()
        ConvTester(inChannels: 2, outChannels: 2, group: 2, inH: 5, inW: 60, kernel: [5, 5], strides: [3, 3],
                   pads: [2, 2, 2, 2]).test()
    }

    func testConv1D() {
        for k in [1, 3, 5, 7] {
            for stride in [1, 2] {
                ConvTester(inChannels: 3, outChannels: 5, inH: nil, inW: 29, kernel: [k], strides: [stride],
                           pads: [k / 2, k - 1 - k / 2], dilations: [1]).test()
            }
        }
        ConvTester(inChannels: 4, outChannels: 4, group: 4, inH: nil, inW: 40, kernel: [3], strides: [1],
                   pads: [2, 0], dilations: [2]).test()
        ConvTester(inChannels: 4, outChannels: 6, group: 2, inH: nil, inW: 17, kernel: [2], strides: [3],
                   pads: [0, 1], dilations: [1]).test()
    }

    func testActivationsAndLargeK() {
        for act in denseTestActivations {
            ConvTester(inChannels: 8, outChannels: 10, inH: 6, inW: 7, kernel: [3, 3], pads: [1, 1, 1, 1], activation: act).test()
        }
        // K = 32·9 = 288 > one K block.
        ConvTester(inChannels: 32, outChannels: 13, inH: 6, inW: 5, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
    }

    func testWideRowsUseFastIm2col() {
        // Output rows ≥ 16 wide exercise the contiguous im2col copy.
        ConvTester(inChannels: 2, outChannels: 7, inH: 6, inW: 40, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(inChannels: 2, outChannels: 7, inH: 4, inW: 35, kernel: [3, 5], pads: [0, 2, 0, 2], dilations: [1, 2]).test()
    }
}
