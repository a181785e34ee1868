import DLRTKernels
import Glibc
import XCTest

/// Deterministic pseudo-random numbers (xorshift) so failures reproduce.
struct TestRNG {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
    /// Uniform in [lo, hi).
    mutating func float(_ lo: Float = -1, _ hi: Float = 1) -> Float {
        lo + (hi - lo) * Float(next() >> 40) / Float(1 << 24)
    }
    mutating func floats(_ n: Int, _ lo: Float = -1, _ hi: Float = 1) -> [Float] {
        (0 ..< n).map { _ in float(lo, hi) }
    }
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// Compares `got` with `want` elementwise: |got - want| ≤ tol · (1 + |want|).
func assertClose(_ got: [Float], _ want: [Float], tol: Float, _ what: @autoclosure () -> String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(got.count, want.count, "\(what()): count", file: file, line: line)
    for i in 0 ..< min(got.count, want.count) {
        let g = got[i], w = want[i]
        if g == w { continue }
        if !(abs(g - w) <= tol * (1 + abs(w))) {
            XCTFail("\(what()): element \(i): got \(g), want \(w)", file: file, line: line)
            return
        }
    }
}

let denseTestActivations: [DenseActivation] = [
    .none, DenseActivation(.relu), DenseActivation(.leakyRelu, alpha: 0.1),
    DenseActivation(.clip, min: -0.5, max: 0.75), DenseActivation(.sigmoid), DenseActivation(.tanh),
]

/// Every kernel table this CPU runs (AVX-512, AVX2, baseline as available): each kernel test runs
/// once per table against the same reference. `DLRT_TEST_ISA=avx2` (etc.) restricts it to one.
let testKernelTables: [KernelTable] = {
    let all = KernelTable.available
    guard let only = getenv("DLRT_TEST_ISA").map({ String(cString: $0) }) else { return all }
    return all.filter { $0.isa.name == only }
}()
