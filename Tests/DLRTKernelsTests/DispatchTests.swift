import DLRTKernels
import XCTest

/// The kernel tables' non-GEMM entries on every ISA this CPU runs (GEMM and conv entries are
/// covered per ISA by GemmTests and ConvTests).
final class DispatchTests: XCTestCase {
    /// Elu / Sigmoid / Tanh / Erf through each table equal the portable vector code element for element
    /// (same operations, no FMA contraction), for every length 0…67 and special values.
    func testUnaryTableMatchesPortableCodeOnEveryISA() {
        var rng = TestRNG(seed: 11)
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 100, -100, 1e-30, -88.7, 89.5]
        let functions: [(any UnaryFloatFunction, String)] = [
            (EluFunction(alpha: 0.7), "elu"), (SigmoidFunction(), "sigmoid"), (TanhFunction(), "tanh"), (ErfFunction(), "erf"),
            (GeluErfFunction(), "gelu"), (GeluTanhFunction(), "gelu tanh"),
        ]
        for kernels in testKernelTables {
            for (f, name) in functions {
                let (kind, parameter) = f.kernel
                XCTAssertNotEqual(kind, .generic, name)
                for count in Array(0 ... 67) + [1000] {
                    let x = (0 ..< count).map { i in i < specials.count ? specials[i] : rng.float(-12, 12) }
                    var got = [Float](repeating: .nan, count: count)
                    x.withUnsafeBufferPointer { px in
                        got.withUnsafeMutableBufferPointer { py in
                            if count > 0 {
                                mapUnaryTable(kind, parameter, px.baseAddress!, py.baseAddress!, count, kernels: kernels)
                            }
                        }
                    }
                    for i in 0 ..< count {
                        let want = f.scalar(x[i])
                        if !(got[i] == want || (got[i].isNaN && want.isNaN)) {
                            XCTFail("\(kernels.isa.name) \(name) count \(count) element \(i): f(\(x[i])) = \(got[i]), want \(want)")
                            break
                        }
                    }
                }
            }
        }
    }

    /// The table in use is one this CPU runs, and DLRT_ISA can only lower it.
    func testActiveTable() {
        XCTAssertTrue(KernelTable.available.contains { $0.isa == KernelTable.active.isa })
        XCTAssertLessThanOrEqual(KernelTable.active.isa, KernelTable.cpuLevel)
        for isa in KernelISA.allCases {
            XCTAssertEqual(KernelTable.table(for: isa).isa, isa)
        }
    }
}
