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
