// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `fmaPeak` (`FMAPeakArgs`): the machine's multiply-add throughput for this ISA, for
/// `dlrt bench-gemm`. Twelve independent 16-lane chains c = c·x + y in registers, so neither
/// latency nor memory limits it: 12 × 16 × 2 = 384 flops per iteration. With AVX-512 each chain
/// step is one `vfmadd` on a zmm register; AVX2 two on ymm; the baseline a mul and an add per xmm quarter.
func isaFMAPeak(_ args: UnsafeRawPointer) {
    let g = args.load(as: FMAPeakArgs.self)
    let x = SIMD16<Float>(repeating: 0.999_9), y = SIMD16<Float>(repeating: 1e-4)
    var c0 = SIMD16<Float>(repeating: 1), c1 = c0 + 1, c2 = c0 + 2, c3 = c0 + 3, c4 = c0 + 4, c5 = c0 + 5
    var c6 = c0 + 6, c7 = c0 + 7, c8 = c0 + 8, c9 = c0 + 9, c10 = c0 + 10, c11 = c0 + 11
    var i = 0
    while i < g.iterations {
        step(&c0, x, y); step(&c1, x, y); step(&c2, x, y); step(&c3, x, y)
        step(&c4, x, y); step(&c5, x, y); step(&c6, x, y); step(&c7, x, y)
        step(&c8, x, y); step(&c9, x, y); step(&c10, x, y); step(&c11, x, y)
        i += 1
    }
    let s = ((c0 + c1) + (c2 + c3)) + ((c4 + c5) + (c6 + c7)) + ((c8 + c9) + (c10 + c11))
    g.sink.pointee = s.sum()
}

/// c = c·x + y.
@inline(__always)
private func step(_ c: inout SIMD16<Float>, _ x: SIMD16<Float>, _ y: SIMD16<Float>) {
    var n = y
    fma16(&n, c, x)
    c = n
}
