import DLRTKernels
import XCTest

/// `conv2dDirectForward` into a NaN-filled output with NaN-filled scratch.
func runConvDirect(_ s: Conv2DShape, x: [Float], packed: UnsafePointer<Float>, bias: [Float]?,
                   activation: DenseActivation, count: Int, parallel: any ParallelLoop,
                   kernels: KernelTable) -> [Float] {
    var got = [Float](repeating: .nan, count: count)
    var scratch = [Float](repeating: .nan, count: conv2dDirectScratchCount(s))
    x.withUnsafeBufferPointer { px in
        (bias ?? [0]).withUnsafeBufferPointer { pb in
            got.withUnsafeMutableBufferPointer { py in
                scratch.withUnsafeMutableBufferPointer { ps in
                    conv2dDirectForward(s, x: px.baseAddress!, weights: packed, bias: bias == nil ? nil : pb.baseAddress,
                                        activation: activation, y: py.baseAddress!, scratch: ps.baseAddress!,
                                        parallel: parallel, kernels: kernels)
                }
            }
        }
    }
    return got
}

/// Direct convolution (DLRTKernelsShared/ConvDirect.swift) against the reference on every ISA
/// table: odd channel counts and planes 1…67, strides 1/2/3, pads, dilations, groups.
final class ConvDirectTests: XCTestCase {
    func testResNetLikeShapes() {
        // 3×3 stride 1 and 2 with pad 1, 1×1 stride 2, 7×7 stride 2 pad 3 (ResNet stem).
        ConvTester(inChannels: 13, outChannels: 29, inH: 14, inW: 14, kernel: [3, 3], pads: [1, 1, 1, 1],
                   activation: DenseActivation(.relu)).test()
        ConvTester(inChannels: 9, outChannels: 17, inH: 15, inW: 15, kernel: [3, 3], strides: [2, 2],
                   pads: [1, 1, 1, 1]).test()
        ConvTester(inChannels: 11, outChannels: 25, inH: 14, inW: 14, kernel: [1, 1], strides: [2, 2],
                   pads: [0, 0, 0, 0]).test()
        ConvTester(inChannels: 3, outChannels: 13, inH: 37, inW: 33, kernel: [7, 7], strides: [2, 2],
                   pads: [3, 3, 3, 3], activation: DenseActivation(.relu)).test()
        ConvTester(inChannels: 5, outChannels: 7, inH: 7, inW: 7, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
    }

    func testOddShapesSweep() {
        var rng = TestRNG(seed: 17)
        for i in 0 ..< 40 {
            let k = [1, 2, 3, 3, 5][i % 5], stride = 1 + i % 3 % 2 + (i % 7 == 6 ? 1 : 0)
            let dil = i % 9 == 4 ? 2 : 1
            let group = i % 6 == 5 ? 3 : 1
            let cin = group * (1 + Int(rng.next() % 9)), cout = group * (1 + Int(rng.next() % 13))
            let h = max(1, Int(rng.next() % 67)), w = max(1, Int(rng.next() % 67))
            let pad = Int(rng.next() % UInt64(k / 2 + 2))
            let span = (k - 1) * dil + 1
            if h + 2 * pad < span || w + 2 * pad < span { continue }
            ConvTester(batch: 1 + i % 2, inChannels: cin, outChannels: cout, group: group, inH: h, inW: w,
                       kernel: [k, k], strides: [stride, stride], pads: [pad, pad, pad + i % 2, pad],
                       dilations: [dil, dil], bias: i % 4 != 3,
                       activation: i % 3 == 0 ? DenseActivation(.relu) : .none).test()
        }
    }

    func testWideAndTallPlanes() {
        ConvTester(inChannels: 2, outChannels: 3, inH: 3, inW: 67, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(inChannels: 2, outChannels: 3, inH: 67, inW: 1, kernel: [3, 1], pads: [1, 0, 1, 0]).test()
        ConvTester(inChannels: 3, outChannels: 5, inH: 1, inW: 1, kernel: [3, 3], pads: [1, 1, 1, 1]).test()
        ConvTester(inChannels: 3, outChannels: 5, inH: 40, inW: 2, kernel: [3, 3], strides: [2, 2],
                   pads: [1, 1, 1, 1]).test()
        // Dilation so large that a 32-position tile can hold only padding columns.
        ConvTester(inChannels: 2, outChannels: 3, inH: 4, inW: 80, kernel: [1, 3], pads: [0, 0, 0, 0],
                   dilations: [1, 36]).test()
    }

    /// Results do not depend on how the (group, tile) tasks are split.
    func testBitIdenticalAcrossSplits() {
        var s = Conv2DShape()
        s.batch = 2; s.inChannels = 24; s.outChannels = 40; s.group = 2
        s.inH = 19; s.inW = 23; s.kH = 3; s.kW = 3; s.padTop = 1; s.padLeft = 1
        s.outH = 19; s.outW = 23
        var rng = TestRNG(seed: 5)
        let x = rng.floats(s.batch * s.inChannels * s.inPlane)
        let w = rng.floats(s.outChannels * s.channelsPerGroup * 9)
        let b = rng.floats(s.outChannels)
        let packed = w.withUnsafeBufferPointer { conv2dPackWeights(s, $0.baseAddress!) }
        let n = s.batch * s.outChannels * s.outPlane
        for kernels in testKernelTables {
            let one = runConvDirect(s, x: x, packed: packed.pointer, bias: b, activation: DenseActivation(.relu),
                                    count: n, parallel: SerialLoop(), kernels: kernels)
            let many = runConvDirect(s, x: x, packed: packed.pointer, bias: b, activation: DenseActivation(.relu),
                                     count: n, parallel: ReversedTasks(), kernels: kernels)
            XCTAssertEqual(one, many, "direct conv \(kernels.isa.name): split changes the result")
        }
    }
}
