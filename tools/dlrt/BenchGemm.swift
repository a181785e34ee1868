// `dlrt bench-gemm`: SGEMM throughput per kernel table (ISA) against the measured peak.
import DLRTKernels
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

/// Shapes (M, N, K, what): square, convolutions as im2col GEMMs (M = output channels,
/// N = output positions, K = C·kH·kW), transformer projections (M = tokens).
private let benchShapes: [(Int, Int, Int, String)] = [
    (256, 256, 256, "square"), (512, 512, 512, "square"), (1024, 1024, 1024, "square"),
    (64, 3136, 576, "conv 3x3 64ch 56x56 (ResNet)"), (128, 784, 1152, "conv 3x3 128ch 28x28 (ResNet)"),
    (32, 1024, 144, "conv 3x3 16->32 32x32"), (32, 16 * 64, 144, "digits conv2, batch 64"),
    (128, 768, 256, "QKV projection, seq 128, hidden 256"), (128, 1024, 256, "FFN up, seq 128"),
    (128, 256, 1024, "FFN down, seq 128"), (1, 1024, 1024, "dense layer, batch 1 (small-M path)"),
]

func commandBenchGemm(_ args: ArraySlice<String>) throws {
    let a = try Arguments(args, valued: ["--isa", "--threads", "--seconds", "--shape"])
    var shapes = benchShapes
    if let text = a.last("--shape") {
        let v = text.split(separator: "x").compactMap { Int($0) }
        guard v.count == 3, v.allSatisfy({ $0 >= 1 && $0 <= 8192 }) else {
            throw ToolError("--shape expects MxNxK (each 1…8192), got '\(text)'")
        }
        shapes = [(v[0], v[1], v[2], "--shape")]
    }
    let threads = try a.int("--threads", default: 1, range: 1 ... 256)
    let seconds = Double(try a.int("--seconds", default: 1, range: 1 ... 60)) / 5
    var tables = KernelTable.available.reversed().filter { $0.isa <= KernelTable.active.isa }
    if let only = a.last("--isa") {
        guard let t = KernelTable.available.first(where: { $0.isa.name == only }) else {
            throw ToolError("--isa must be one of \(KernelTable.available.map(\.isa.name).joined(separator: ", ")) on this CPU")
        }
        tables = [t]
    }
    let workers = Workers(count: threads)
    print("dlrt bench-gemm: \(threads) thread(s); A (M×K) packed in each call, B (K×N) pre-packed (weights)")
    for t in tables {
        let lanes = t.isa == .avx512 ? 16 : t.isa == .avx2 ? 8 : 4
        var peakSeen = measurePeak(t, lanes: lanes, seconds: seconds)
        var rows: [String] = []
        for (m, n, k, what) in shapes {
            // The machine is shared: the peak is re-measured around each shape and the shape's
            // percentage uses the larger of the two (frequency and load then cancel out).
            let before = measurePeak(t, lanes: lanes, seconds: seconds / 4)
            let g = measureGemm(t, m: m, n: n, k: k, workers: workers, seconds: seconds)
            let after = measurePeak(t, lanes: lanes, seconds: seconds / 4)
            let local = max(before, after)
            peakSeen = max(peakSeen, local)
            let pct = 100 * g / (local * Double(threads))
            rows.append("  " + pad("\(m)×\(n)×\(k)", 18) + pad(fmt(g), 10) + pad(fmt(local), 10) + pad(fmt(pct) + "%", 8) + what)
        }
        // Peak per core = GHz × FMA units (2 here) × lanes × 2 flops: the implied clock checks the loop.
        let ghz = peakSeen / (2 * Double(lanes) * 2)
        print("")
        print("[\(t.isa.name)] peak: \(fmt(peakSeen)) GFLOP/s per core (best pure multiply-add loop; = \(fmt(ghz, 2)) GHz × 2 FMA units × \(lanes) lanes × 2 flops)"
              + (threads > 1 ? ", \(fmt(peakSeen * Double(threads))) for \(threads) threads" : ""))
        print("  " + pad("M×N×K", 18) + pad("GFLOP/s", 10) + pad("peak now", 10) + pad("% peak", 8) + "shape")
        for r in rows { print(r) }
    }
}

/// GFLOP/s of the table's pure multiply-add loop on one thread (best of 5).
private func measurePeak(_ t: KernelTable, lanes: Int, seconds: Double) -> Double {
    var sink: Float = 0
    var iterations = 1 << 16
    var best = 0.0
    withUnsafeMutablePointer(to: &sink) { s in
        for _ in 0 ..< 5 {
            while true {
                let t0 = nowNanoseconds()
                callKernel(t.fmaPeak, FMAPeakArgs(iterations: iterations, sink: s))
                let dt = Double(nowNanoseconds() - t0) * 1e-9
                if dt < seconds / 5 { iterations *= 2; continue }
                best = max(best, Double(iterations * 12 * lanes * 2) / dt / 1e9)
                break
            }
        }
    }
    return best
}

/// GFLOP/s of `sgemm` (best of 5 timed batches) with table `t`.
private func measureGemm(_ t: KernelTable, m: Int, n: Int, k: Int, workers: Workers, seconds: Double) -> Double {
    var seed: UInt32 = 7
    func rnd() -> Float { seed = seed &* 1_664_525 &+ 1_013_904_223; return Float(seed >> 8) / Float(1 << 24) - 0.5 }
    let a = (0 ..< m * k).map { _ in rnd() }, b = (0 ..< k * n).map { _ in rnd() }
    var c = [Float](repeating: 0, count: m * n)
    var scratch = [Float](repeating: 0, count: sgemmScratchCount(m: m, n: n, k: k, packA: true, packB: false) + 1)
    let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
    let flops = 2.0 * Double(m) * Double(n) * Double(k)
    var best = 0.0
    a.withUnsafeBufferPointer { pa in
        c.withUnsafeMutableBufferPointer { pc in
            scratch.withUnsafeMutableBufferPointer { ps in
                func once() {
                    sgemm(m: m, n: n, k: k, a: .matrix(pa.baseAddress!, ld: k, transposed: false), b: .packed(pb.pointer),
                          c: pc.baseAddress!, ldc: n, epilogue: DenseEpilogue(), scratch: ps.baseAddress,
                          parallel: workers, kernels: t)
                }
                once()
                var reps = 1
                for _ in 0 ..< 5 {
                    while true {
                        let t0 = nowNanoseconds()
                        for _ in 0 ..< reps { once() }
                        let dt = Double(nowNanoseconds() - t0) * 1e-9
                        if dt < seconds / 5 { reps *= 2; continue }
                        best = max(best, flops * Double(reps) / dt / 1e9)
                        break
                    }
                }
            }
        }
    }
    return best
}

private func fmt(_ x: Double, _ digits: Int = 1) -> String {
    var p = 1.0
    for _ in 0 ..< digits { p *= 10 }
    let r = (x * p).rounded() / p
    var s = "\(r)"
    if let dot = s.firstIndex(of: ".") {
        let decimals = s.distance(from: dot, to: s.endIndex) - 1
        if decimals < digits { s += String(repeating: "0", count: digits - decimals) }
    }
    return s
}

private func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
