import DLRTKernels
import XCTest

/// The whole-plane ConvTranspose path (GEMM per block of output channels, then col2im by output
/// rows with bias and activation; ConvTransposeGather.swift) against the reference, and its
/// results bit-identical however the tasks are split.
final class ConvTransposeGatherTests: XCTestCase {
    typealias CT = VisionKernelTests.CT

    func testStride2WidthsKernelsPads() {
        for inW in [1, 2, 3, 4, 5, 8, 13, 33, 67] {
            for kW in 1 ... 5 {
                for padLeft in 0 ..< kW {
                    for op in [0, 1] {
                        CT(inChannels: 3, outChannels: 5, inH: 3, inW: inW, kernel: [2, kW], strides: [2, 2],
                           pads: [1, padLeft, 0, max(0, kW - 1 - padLeft)], outputPadding: [0, op]).test()
                    }
                }
            }
        }
    }

    func testDCGANLayersAndOtherStrides() {
        for (cin, cout, size) in [(16, 8, 4), (8, 6, 8), (6, 3, 16), (5, 3, 31)] {
            for act in [DenseActivation.none, DenseActivation(.relu), DenseActivation(.tanh)] {
                CT(inChannels: cin, outChannels: cout, inH: size, inW: size, kernel: [4, 4], strides: [2, 2],
                   pads: [1, 1, 1, 1], activation: act).test()
            }
        }
        // Not stride-2 / dilated widths: the generic row gather.
        CT(inChannels: 4, outChannels: 5, inH: 9, inW: 11, kernel: [3, 3], strides: [3, 3], pads: [1, 2, 0, 1],
           outputPadding: [2, 1]).test()
        CT(inChannels: 4, outChannels: 5, inH: 9, inW: 11, kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1],
           dilations: [2, 2]).test()
        CT(inChannels: 6, outChannels: 4, group: 2, inH: 6, inW: 7, kernel: [4, 4], strides: [1, 2], pads: [1, 1, 2, 2]).test()
        CT(batch: 2, inChannels: 3, outChannels: 7, inH: nil, inW: 67, kernel: [4], strides: [2], pads: [1, 1], dilations: [1],
           outputPadding: [1], activation: DenseActivation(.sigmoid)).test()
    }

    /// W packed as the B operand (colᵀ = Xᵀ · W): whole-plane gather from colᵀ, the scatter for
    /// chunks / at most 4 positions, several images per GEMM, groups.
    func testTransposedGEMM() {
        for size in [1, 2, 3, 4, 5, 9] {
            for act in [DenseActivation.none, DenseActivation(.relu)] {
                CT(batch: 2, inChannels: 7, outChannels: 6, inH: size, inW: size + 1, kernel: [4, 4], strides: [2, 2],
                   pads: [1, 1, 1, 1], activation: act, transposedGEMM: true).test()
            }
        }
        CT(batch: 1, inChannels: 67, outChannels: 9, inH: 4, inW: 4, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1],
           transposedGEMM: true).test()
        CT(batch: 7, inChannels: 3, outChannels: 64, inH: 7, inW: 7, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1],
           transposedGEMM: true).test()
        CT(inChannels: 2, outChannels: 64, inH: 17, inW: 19, kernel: [4, 4], strides: [2, 2], pads: [1, 1, 1, 1],
           transposedGEMM: true).test()   // chunked columns
        CT(batch: 3, inChannels: 6, outChannels: 4, group: 2, inH: 3, inW: 5, strides: [3, 2], pads: [0, 1, 1, 0],
           dilations: [1, 2], outputPadding: [1, 1], transposedGEMM: true).test()
        CT(batch: 2, inChannels: 4, outChannels: 3, inH: nil, inW: 6, kernel: [3], strides: [2], pads: [0, 1], dilations: [1],
           outputPadding: [1], activation: DenseActivation(.tanh), transposedGEMM: true).test()
    }

    /// Serial, reversed and one-task-per-call splits give the same bits.
    func testBitIdenticalAcrossSplits() {
        var s = ConvTranspose2DShape()
        s.inChannels = 32; s.outChannels = 24; s.inH = 8; s.inW = 8; s.outH = 16; s.outW = 16
        s.kH = 4; s.kW = 4; s.strideH = 2; s.strideW = 2; s.padTop = 1; s.padLeft = 1
        var rng = TestRNG(seed: 7)
        let x = rng.floats(32 * 64), w = rng.floats(32 * 24 * 16), b = rng.floats(24)
        let packed = w.withUnsafeBufferPointer { convTranspose2DPackWeights(s, $0.baseAddress!) }
        func run(_ parallel: any ParallelLoop) -> [UInt32] {
            var y = [Float](repeating: .nan, count: 24 * 256)
            var scratch = [Float](repeating: .nan, count: s.scratchCount)
            x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    b.withUnsafeBufferPointer { pb in
                        y.withUnsafeMutableBufferPointer { py in
                            scratch.withUnsafeMutableBufferPointer { ps in
                                convTranspose2DForward(s, x: px.baseAddress!, weights: packed.pointer, rawWeights: pw.baseAddress!,
                                                       bias: pb.baseAddress, activation: DenseActivation(.relu),
                                                       y: py.baseAddress!, scratch: ps.baseAddress!, parallel: parallel)
                            }
                        }
                    }
                }
            }
            return y.map(\.bitPattern)
        }
        let serial = run(SerialLoop())
        XCTAssertEqual(serial, run(ReversedTasks()))
        XCTAssertFalse(serial.contains(Float.nan.bitPattern))
    }
}
