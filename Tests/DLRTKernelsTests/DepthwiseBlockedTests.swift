import DLRTKernels
import XCTest

/// The channel-blocked depthwise kernel against `referenceConv`: channel counts around the
/// 8-lane block (2…67; one channel is a plain conv), strides 1–3, dilation, asymmetric and over-sized pads, every fused
/// activation, batches, chunked task lists; outputs and scratch start NaN-filled.
struct DepthwiseTester {
    var batch = 1, channels = 8
    var inH = 9, inW = 11
    var kernel = [3, 3]
    var strides = [1, 1]
    var pads = [1, 1, 1, 1]
    var dilations = [1, 1]
    var bias = true
    var activation = DenseActivation.none

    func test(file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [batch, channels, inH, inW], wShape = [channels, 1] + kernel
        var rng = TestRNG(seed: UInt64(channels &* 131 &+ inH &* 17 &+ inW &+ kernel[0] &* 7 &+ strides[0]))
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *))
        let b = bias ? rng.floats(channels) : nil
        let (want, yShape) = referenceConv(x: x, xShape: xShape, w: w, wShape: wShape, bias: b, strides: strides,
                                           pads: pads, dilations: dilations, group: channels, activation: activation)
        var s = Conv2DShape()
        s.batch = batch; s.inChannels = channels; s.outChannels = channels; s.group = channels
        s.inH = inH; s.inW = inW; s.outH = yShape[2]; s.outW = yShape[3]
        s.kH = kernel[0]; s.kW = kernel[1]; s.strideH = strides[0]; s.strideW = strides[1]
        s.padTop = pads[0]; s.padLeft = pads[1]; s.dilationH = dilations[0]; s.dilationW = dilations[1]
        let packed = w.withUnsafeBufferPointer { conv2dPackWeights(s, $0.baseAddress!) }
        for kernels in testKernelTables {
            var got = [Float](repeating: .nan, count: want.count)
            var scratch = [Float](repeating: .nan, count: max(1, DepthwiseBlocked.scratchCount(s)))
            x.withUnsafeBufferPointer { px in
                (b ?? [0]).withUnsafeBufferPointer { pb in
                    got.withUnsafeMutableBufferPointer { py in
                        scratch.withUnsafeMutableBufferPointer { ps in
                            depthwiseBlockedForward(s, x: px.baseAddress!, weights: packed.pointer,
                                                    bias: b == nil ? nil : pb.baseAddress, activation: activation,
                                                    y: py.baseAddress!, scratch: ps.baseAddress!, parallel: ReversedTasks(),
                                                    kernels: kernels)
                        }
                    }
                }
            }
            assertClose(got, want, tol: 2e-6 * Float(kernel[0] * kernel[1] + 4),
                        "depthwise \(kernels.isa.name) \(self) → \(yShape)", file: file, line: line)
        }
    }
}

final class DepthwiseBlockedTests: XCTestCase {
    func testChannelCountsAroundTheBlock() {
        for c in [2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 33, 67] {
            DepthwiseTester(channels: c).test()
            DepthwiseTester(channels: c, strides: [2, 2]).test()
        }
    }

    func testStridesPadsDilations() {
        for stride in 1 ... 3 {
            for k in [1, 3, 5] {
                for pad in [0, 1, k / 2, k] {
                    DepthwiseTester(channels: 9, inH: 13, inW: 17, kernel: [k, k], strides: [stride, stride],
                                    pads: [pad, pad, pad, pad]).test()
                }
            }
        }
        DepthwiseTester(channels: 12, inH: 8, inW: 10, kernel: [3, 5], strides: [2, 1], pads: [0, 2, 3, 1]).test()
        DepthwiseTester(channels: 10, inH: 12, inW: 15, kernel: [3, 3], pads: [2, 1, 2, 2], dilations: [2, 3]).test()
        DepthwiseTester(channels: 16, inH: 1, inW: 67, kernel: [1, 5], strides: [1, 2], pads: [0, 2, 0, 2]).test()
        DepthwiseTester(channels: 16, inH: 67, inW: 1, kernel: [3, 1], pads: [1, 0, 1, 0]).test()
        // Output smaller than the kernel reach, and every tap in padding for border outputs.
        DepthwiseTester(channels: 8, inH: 2, inW: 2, kernel: [5, 5], pads: [3, 3, 3, 3]).test()
    }

    func testActivationsBiasAndBatches() {
        for act in denseTestActivations {
            DepthwiseTester(batch: 2, channels: 11, kernel: [3, 3], strides: [2, 2], activation: act).test()
            DepthwiseTester(batch: 3, channels: 8, bias: false, activation: act).test()
        }
        DepthwiseTester(channels: 8, activation: DenseActivation(.clip, min: 1, max: -1)).test()
    }

    func testManyChunks() {
        // 3 images × 9 blocks of 42×42 padded planes exceed one chunk's scratch budget.
        DepthwiseTester(batch: 3, channels: 67, inH: 40, inW: 40, strides: [1, 1]).test()
        DepthwiseTester(batch: 2, channels: 144, inH: 32, inW: 32, strides: [2, 2], pads: [0, 0, 1, 1]).test()
    }

    func testPreferredOnlyForDepthwise() {
        var s = Conv2DShape()
        s.inChannels = 32; s.outChannels = 32; s.group = 32
        XCTAssertTrue(DepthwiseBlocked.isPreferred(for: s))
        s.group = 1
        XCTAssertFalse(DepthwiseBlocked.isPreferred(for: s))
        s.inChannels = 2; s.outChannels = 2; s.group = 2
        XCTAssertFalse(DepthwiseBlocked.isPreferred(for: s))
    }
}
