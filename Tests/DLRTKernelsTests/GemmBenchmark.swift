import DLRTKernels
import Glibc
import XCTest

/// Opt-in micro-benchmark: `DLRT_BENCH=1 swift test -c release --filter GemmBenchmark`.
final class GemmBenchmark: XCTestCase {
    func testSGEMM256() throws {
        guard getenv("DLRT_BENCH") != nil else { throw XCTSkip("set DLRT_BENCH=1") }
        for size in [64, 128, 256, 512] {
            let m = size, n = size, k = size
            var rng = TestRNG(seed: 3)
            let a = rng.floats(m * k), b = rng.floats(k * n)
            var c = [Float](repeating: 0, count: m * n)
            var scratch = [Float](repeating: 0, count: sgemmScratchCount(m: m, n: n, k: k, packA: true, packB: false))
            let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
            var best = Double.infinity
            let reps = max(3, 200_000_000 / (2 * m * n * k))
            a.withUnsafeBufferPointer { pa in
                c.withUnsafeMutableBufferPointer { pc in
                    scratch.withUnsafeMutableBufferPointer { ps in
                        for _ in 0 ..< 7 {
                            var t0 = timespec(), t1 = timespec()
                            clock_gettime(CLOCK_MONOTONIC, &t0)
                            for _ in 0 ..< reps {
                                sgemm(m: m, n: n, k: k, a: .matrix(pa.baseAddress!, ld: k, transposed: false),
                                      b: .packed(pb.pointer), c: pc.baseAddress!, ldc: n, epilogue: DenseEpilogue(),
                                      scratch: ps.baseAddress)
                            }
                            clock_gettime(CLOCK_MONOTONIC, &t1)
                            let dt = Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9
                            best = min(best, dt / Double(reps))
                        }
                    }
                }
            }
            print("SGEMM \(m)x\(n)x\(k) (A packed per call, B pre-packed): \(2.0 * Double(m * n * k) / best / 1e9) GFLOP/s")
        }
    }
}

extension GemmBenchmark {
    /// ResNet-style 3×3 conv, 64→64 channels on 56×56 (im2col + GEMM), and a depthwise 3×3 on 96×112×112.
    func testConvLayers() throws {
        guard getenv("DLRT_BENCH") != nil else { throw XCTSkip("set DLRT_BENCH=1") }
        var s = Conv2DShape()
        s.inChannels = 64; s.outChannels = 64; s.inH = 56; s.inW = 56; s.outH = 56; s.outW = 56
        s.kH = 3; s.kW = 3; s.padTop = 1; s.padLeft = 1
        var d = Conv2DShape()
        d.inChannels = 96; d.outChannels = 96; d.group = 96; d.inH = 112; d.inW = 112; d.outH = 112; d.outW = 112
        d.kH = 3; d.kW = 3; d.padTop = 1; d.padLeft = 1
        for shape in [s, d] {
            var rng = TestRNG(seed: 5)
            let x = rng.floats(shape.inChannels * shape.inPlane)
            let w = rng.floats(shape.outChannels * shape.channelsPerGroup * 9)
            let packed = w.withUnsafeBufferPointer { conv2dPackWeights(shape, $0.baseAddress!) }
            var y = [Float](repeating: 0, count: shape.outChannels * shape.outPlane)
            var scratch = [Float](repeating: 0, count: max(1, shape.scratchCount))
            var best = Double.infinity
            x.withUnsafeBufferPointer { px in
                y.withUnsafeMutableBufferPointer { py in
                    scratch.withUnsafeMutableBufferPointer { ps in
                        for _ in 0 ..< 20 {
                            var t0 = timespec(), t1 = timespec()
                            clock_gettime(CLOCK_MONOTONIC, &t0)
                            conv2dForward(shape, x: px.baseAddress!, weights: packed.pointer, bias: nil, activation: .none,
                                          y: py.baseAddress!, scratch: ps.baseAddress)
                            clock_gettime(CLOCK_MONOTONIC, &t1)
                            best = min(best, Double(t1.tv_sec - t0.tv_sec) + Double(t1.tv_nsec - t0.tv_nsec) * 1e-9)
                        }
                    }
                }
            }
            let flops = 2.0 * Double(shape.outChannels * shape.outPlane * shape.gemmK)
            print("Conv \(shape.channelsPerGroup * shape.group)→\(shape.outChannels) group \(shape.group) \(shape.inH)²: \(best * 1e6) µs, \(flops / best / 1e9) GFLOP/s")
        }
    }
}
