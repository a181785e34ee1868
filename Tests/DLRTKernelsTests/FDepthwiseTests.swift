import CDLRTSupport
import DLRTKernels
import XCTest

/// The AVX-512 float32 depthwise C kernel (CDLRTSupport/fdepthwise.c, used by the Conv op through
/// DLRTRuntime/Ops/DepthwiseConv.swift) against `referenceConv`, on the DepthwiseTester scenarios:
/// channel counts around the 16-lane block, strides, pads, dilations, every activation, batches;
/// outputs and scratch start NaN-filled. Skipped on CPUs without AVX-512.
extension DepthwiseTester {
    func testC(file: StaticString = #filePath, line: UInt = #line) {
        let xShape = [batch, channels, inH, inW], wShape = [channels, 1] + kernel
        var rng = TestRNG(seed: UInt64(channels &* 131 &+ inH &* 17 &+ inW &+ kernel[0] &* 7 &+ strides[0]))
        let x = rng.floats(xShape.reduce(1, *)), w = rng.floats(wShape.reduce(1, *))
        let b = bias ? rng.floats(channels) : nil
        let (want, yShape) = referenceConv(x: x, xShape: xShape, w: w, wShape: wShape, bias: b, strides: strides,
                                           pads: pads, dilations: dilations, group: channels, activation: activation)
        let L = 16, C = channels, taps = kernel[0] * kernel[1], blocks = (C + L - 1) / L
        var packed = [Float](repeating: 0, count: blocks * taps * L), paddedBias = [Float](repeating: 0, count: blocks * L)
        for c in 0 ..< C {
            for t in 0 ..< taps { packed[(c / L * taps + t) * L + c % L] = w[c * taps + t] }
            paddedBias[c] = b?[c] ?? 0
        }
        var g = cdlrt_conv_geometry(h: Int32(inH), w: Int32(inW), kh: Int32(kernel[0]), kw: Int32(kernel[1]),
                                    stride_h: Int32(strides[0]), stride_w: Int32(strides[1]), pad_top: Int32(pads[0]),
                                    pad_left: Int32(pads[1]), dil_h: Int32(dilations[0]), dil_w: Int32(dilations[1]),
                                    out_h: Int32(yShape[2]), out_w: Int32(yShape[3]))
        let bytes = max(64, cdlrt_dwf_scratch_bytes(&g))
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        defer { scratch.deallocate() }
        scratch.initializeMemory(as: Float.self, repeating: .nan, count: bytes / 4)
        var got = [Float](repeating: .nan, count: want.count)
        let k = activation.kind
        let fused = k == .none || k == .relu || k == .leakyRelu || k == .clip
        let inPlane = inH * inW, outPlane = yShape[2] * yShape[3]
        x.withUnsafeBufferPointer { px in packed.withUnsafeBufferPointer { pw in paddedBias.withUnsafeBufferPointer { pb in
            got.withUnsafeMutableBufferPointer { py in
                var a = cdlrt_dwf_args()
                a.g = g
                a.channels = Int32(C)
                a.weights = pw.baseAddress
                a.bias = bias ? pb.baseAddress : nil
                a.clamp = fused && activation.kind != .none ? 1 : 0
                a.slope = activation.kind == .leakyRelu ? activation.alpha : 1
                a.lo = activation.kind == .clip ? activation.min : activation.kind == .relu ? 0 : -.infinity
                a.hi = activation.kind == .clip ? activation.max : .infinity
                for n in 0 ..< batch {
                    a.x = px.baseAddress! + n * C * inPlane
                    a.y = py.baseAddress! + n * C * outPlane
                    // Blocks in two calls, the second range first: the split must not matter.
                    cdlrt_depthwise_f32(&a, Int32(blocks / 2), Int32(blocks), scratch)
                    cdlrt_depthwise_f32(&a, 0, Int32(blocks / 2), scratch)
                }
                if !fused { activation.apply(py.baseAddress!, count: want.count) }
            }
        }}}
        assertClose(got, want, tol: 2e-6 * Float(kernel[0] * kernel[1] + 4), "depthwise C avx512 \(self) → \(yShape)",
                    file: file, line: line)
    }
}

final class FDepthwiseTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipIf(cdlrt_dwf_supported() == 0, "no AVX-512 on this CPU")
    }

    func testChannelCountsAroundTheBlock() {
        for c in [1, 2, 7, 15, 16, 17, 31, 32, 33, 67] {
            DepthwiseTester(channels: c).testC()
            DepthwiseTester(channels: c, inH: 17, inW: 19, strides: [2, 2]).testC()
        }
    }

    func testStridesPadsDilations() {
        for stride in 1 ... 3 {
            for k in [1, 3, 5] {
                for pad in [0, 1, k / 2, k] {
                    DepthwiseTester(channels: 19, inH: 13, inW: 17, kernel: [k, k], strides: [stride, stride],
                                    pads: [pad, pad, pad, pad]).testC()
                }
            }
        }
        DepthwiseTester(channels: 12, inH: 8, inW: 10, kernel: [3, 5], strides: [2, 1], pads: [0, 2, 3, 1]).testC()
        DepthwiseTester(channels: 10, inH: 12, inW: 15, kernel: [3, 3], pads: [2, 1, 2, 2], dilations: [2, 3]).testC()
        DepthwiseTester(channels: 16, inH: 1, inW: 67, kernel: [1, 5], strides: [1, 2], pads: [0, 2, 0, 2]).testC()
        DepthwiseTester(channels: 16, inH: 67, inW: 1, kernel: [3, 1], pads: [1, 0, 1, 0]).testC()
        DepthwiseTester(channels: 8, inH: 2, inW: 2, kernel: [5, 5], pads: [3, 3, 3, 3]).testC()
        DepthwiseTester(channels: 40, inH: 1, inW: 1, kernel: [3, 3], pads: [1, 1, 1, 1]).testC()
    }

    func testActivationsBiasAndBatches() {
        for act in denseTestActivations {
            DepthwiseTester(batch: 2, channels: 21, kernel: [3, 3], strides: [2, 2], activation: act).testC()
            DepthwiseTester(batch: 3, channels: 16, bias: false, activation: act).testC()
        }
    }
}
