// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `fmaPeak` (`FMAPeakArgs`): the machine's multiply-add throughput for this ISA, for
/// `dlrt bench-gemm`. Twelve independent chains c = c·x + y of one register each (`PeakVector`
/// from ISA.swift: zmm, ymm or xmm), so neither latency nor memory nor spills limit it: each
/// iteration is 12 × lanes × 2 flops (with AVX-512 12 `vfmadd` on zmm; AVX2 12 on ymm; the
/// baseline 12 mul + 12 add on xmm, counted as 2 flops per lane too).
func isaFMAPeak(_ args: UnsafeRawPointer) {
    let g = args.load(as: FMAPeakArgs.self)
    let x = PeakVector(repeating: 0.999_9), y = PeakVector(repeating: 1e-4)
    var c0 = PeakVector(repeating: 1), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
    var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
    var i = 0
    while i < g.iterations {
        peakStep(&c0, x, y); peakStep(&c1, x, y); peakStep(&c2, x, y); peakStep(&c3, x, y)
        peakStep(&c4, x, y); peakStep(&c5, x, y); peakStep(&c6, x, y); peakStep(&c7, x, y)
        peakStep(&c8, x, y); peakStep(&c9, x, y); peakStep(&c10, x, y); peakStep(&c11, x, y)
        i += 1
    }
    let s = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
    g.sink.pointee = s.sum()
}
