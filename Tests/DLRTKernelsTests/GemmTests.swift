import DLRTKernels
import XCTest

/// XNNPACK-style GEMM tester: set the fields, call `test()`.
struct GemmTester {
    var m = 1, n = 1, k = 1
    var transA = false, transB = false
    var prepackA = false, prepackB = false
    /// Shape of C: [] none, [1] scalar, [n] per column, [m, 1] per row, [m, n] full.
    var cShape: [Int]? = nil
    var alpha: Float = 1, beta: Float = 1
    var activation = DenseActivation.none
    var seed: UInt64 = 1
    /// Set per run by the `test…` methods, which run once per table of `testKernelTables`.
    var kernels = KernelTable.active

    /// The inputs (seeded by the sizes) and the reference result.
    func inputs() -> (a: [Float], b: [Float], c: [Float]?, want: [Float]) {
        var rng = TestRNG(seed: seed &+ UInt64(m * 10007 + n * 101 + k))
        let a = rng.floats(m * k), b = rng.floats(k * n)
        let c = cShape.map { rng.floats($0.reduce(1, *)) }
        let want = referenceGemm(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: c,
                                 cShape: cShape ?? [], alpha: alpha, beta: beta, activation: activation)
        return (a, b, c, want)
    }

    /// `sgemm` into a NaN-prefilled output (NaN-prefilled scratch), A pre-packed when `prepackA`.
    func run(prepackA: Bool, _ data: (a: [Float], b: [Float], c: [Float]?, want: [Float])) -> [Float] {
        let (a, b, c, _) = data
        var got = [Float](repeating: .nan, count: m * n)
        let lda = transA ? m : k, ldb = transB ? k : n
        var scratch = [Float](repeating: .nan, count: sgemmScratchCount(m: m, n: n, k: k, packA: !prepackA, packB: !prepackB) + 1)
        let packedA = a.withUnsafeBufferPointer { DenseBuffer.packedA(m: m, k: k, a: $0.baseAddress!, lda: lda, transA: transA) }
        let packedB = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: ldb, transB: transB) }
        let cs = [Int](repeating: 1, count: max(0, 2 - (cShape?.count ?? 0))) + (cShape ?? [])
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                (c ?? [0]).withUnsafeBufferPointer { pc in
                    let epi = DenseEpilogue(alpha: alpha, beta: beta, bias: c == nil ? nil : pc.baseAddress,
                                            biasRowStride: cs[0] == 1 ? 0 : cs[1], biasColStride: cs[1] == 1 ? 0 : 1,
                                            activation: activation)
                    let opA: SGEMMOperand = prepackA ? .packed(packedA.pointer) : .matrix(pa.baseAddress!, ld: lda, transposed: transA)
                    let opB: SGEMMOperand = prepackB ? .packed(packedB.pointer) : .matrix(pb.baseAddress!, ld: ldb, transposed: transB)
                    got.withUnsafeMutableBufferPointer { py in
                        scratch.withUnsafeMutableBufferPointer { ps in
                            sgemm(m: m, n: n, k: k, a: opA, b: opB, c: py.baseAddress!, ldc: n, epilogue: epi,
                                  scratch: ps.baseAddress, kernels: kernels)
                        }
                    }
                }
            }
        }
        return got
    }

    /// Runs `body` with a copy of this tester for each kernel table.
    func forEachISA(_ body: (GemmTester) -> Void) {
        for t in testKernelTables {
            var g = self
            g.kernels = t
            body(g)
        }
    }

    func test(file: StaticString = #filePath, line: UInt = #line) {
        let data = inputs()
        forEachISA { g in
            assertClose(g.run(prepackA: prepackA, data), data.want, tol: 1e-6 * Float(k + 4), "gemm \(g.kernels.isa.name) \(self)",
                        file: file, line: line)
        }
    }

    /// M ≤ `sgemmSmallM` with an unpacked A takes the small-M path: checks it against the reference
    /// and bit for bit against the packed-A (6×16 kernel) path.
    func testSmallM(file: StaticString = #filePath, line: UInt = #line) {
        precondition(m <= sgemmSmallM)
        let data = inputs()
        forEachISA { $0.testSmallM(data, file: file, line: line) }
    }

    func testSmallM(_ data: (a: [Float], b: [Float], c: [Float]?, want: [Float]), file: StaticString, line: UInt) {
        let small = run(prepackA: false, data)
        assertClose(small, data.want, tol: 1e-6 * Float(k + 4), "small-M gemm \(kernels.isa.name) \(self)", file: file, line: line)
        let packed = run(prepackA: true, data)
        if small.withUnsafeBytes({ Array($0) }) != packed.withUnsafeBytes({ Array($0) }) {
            XCTFail("small-M gemm \(kernels.isa.name) \(self): not bit-identical to the packed path", file: file, line: line)
        }
    }

    /// Computes the small-M path panel by panel in reverse order and checks it is bit-identical.
    func testSmallMSplitDeterminism(file: StaticString = #filePath, line: UInt = #line) {
        forEachISA { $0.smallMSplitDeterminism(file: file, line: line) }
    }

    func smallMSplitDeterminism(file: StaticString, line: UInt) {
        var rng = TestRNG(seed: seed)
        let a = rng.floats(m * k), b = rng.floats(k * n), bias = rng.floats(n)
        let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
        var whole = [Float](repeating: .nan, count: m * n), split = whole
        a.withUnsafeBufferPointer { pa in
            bias.withUnsafeBufferPointer { pbias in
                let e = DenseEpilogue(bias: pbias.baseAddress, biasColStride: 1, activation: activation)
                whole.withUnsafeMutableBufferPointer { y in
                    sgemmSmallMCompute(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, transA: false, packedB: pb.pointer,
                                       c: y.baseAddress!, ldc: n, epilogue: e, panels: 0 ..< sgemmPanelsB(n), kernels: kernels)
                }
                split.withUnsafeMutableBufferPointer { y in
                    for q in (0 ..< sgemmPanelsB(n)).reversed() {
                        sgemmSmallMCompute(m: m, n: n, k: k, a: pa.baseAddress!, lda: k, transA: false, packedB: pb.pointer,
                                           c: y.baseAddress!, ldc: n, epilogue: e, panels: q ..< q + 1, kernels: kernels)
                    }
                }
            }
        }
        XCTAssertEqual(whole.withUnsafeBytes { Array($0) }, split.withUnsafeBytes { Array($0) }, "small-M split \(kernels.isa.name) \(self)",
                       file: file, line: line)
    }

    /// Runs the split compute task by task in reverse order and checks it is bit-identical.
    func testSplitDeterminism(file: StaticString = #filePath, line: UInt = #line) {
        forEachISA { $0.splitDeterminism(file: file, line: line) }
    }

    func splitDeterminism(file: StaticString, line: UInt) {
        var rng = TestRNG(seed: seed)
        let a = rng.floats(m * k), b = rng.floats(k * n)
        let pa = a.withUnsafeBufferPointer { DenseBuffer.packedA(m: m, k: k, a: $0.baseAddress!, lda: k, transA: false) }
        let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
        var whole = [Float](repeating: .nan, count: m * n), split = whole
        let s = SGEMMSplit(m: m, n: n)
        whole.withUnsafeMutableBufferPointer { y in
            sgemmCompute(m: m, n: n, k: k, packedA: pa.pointer, packedB: pb.pointer, c: y.baseAddress!, ldc: n,
                         epilogue: DenseEpilogue(activation: activation), aPanels: 0 ..< sgemmPanelsA(m), bPanels: 0 ..< sgemmPanelsB(n),
                         kernels: kernels)
        }
        split.withUnsafeMutableBufferPointer { y in
            for t in (0 ..< s.count).reversed() {
                let (ar, br) = s.panels(t ..< t + 1)
                sgemmCompute(m: m, n: n, k: k, packedA: pa.pointer, packedB: pb.pointer, c: y.baseAddress!, ldc: n,
                             epilogue: DenseEpilogue(activation: activation), aPanels: ar, bPanels: br, kernels: kernels)
            }
        }
        XCTAssertEqual(whole.withUnsafeBytes { Array($0) }, split.withUnsafeBytes { Array($0) }, "split \(kernels.isa.name) \(self)", file: file, line: line)
    }
}

final class GemmTests: XCTestCase {
    func testKernelTablesAvailable() {
        // This machine kind has AVX-512; the baseline table is always there.
        XCTAssertEqual(KernelTable.available.first?.isa, .baseline)
        XCTAssertEqual(KernelTable.available.last?.isa, KernelTable.cpuLevel)
        XCTAssertLessThanOrEqual(KernelTable.active.isa, KernelTable.cpuLevel)
        print("kernel tables under test: \(testKernelTables.map(\.isa.name)), active: \(KernelTable.active.isa.name)")
    }

    func testLargeSizesAllTilings() {
        // Sizes that use every AVX-512 micro-kernel and edge, K across blocks.
        for (m, n, k) in [(67, 67, 67), (130, 200, 300), (12, 64, 40), (13, 48, 5), (7, 33, 513)] {
            GemmTester(m: m, n: n, k: k, prepackA: true, cShape: [n], activation: DenseActivation(.relu)).test()
            GemmTester(m: m, n: n, k: k, transA: true, transB: true, cShape: [m, 1]).test()
        }
    }

    func testSmallSizesSweep() {
        for m in [1, 2, 5, 6, 7, 13] {
            for n in [1, 3, 8, 15, 16, 17, 33] {
                for k in [1, 2, 7, 16, 19] {
                    GemmTester(m: m, n: n, k: k).test()
                }
            }
        }
    }

    func testOddSizesUpTo67() {
        var rng = TestRNG(seed: 42)
        for _ in 0 ..< 40 {
            let t = GemmTester(m: rng.int(1 ... 67), n: rng.int(1 ... 67), k: rng.int(1 ... 67),
                               transA: rng.int(0 ... 1) == 1, transB: rng.int(0 ... 1) == 1,
                               prepackA: rng.int(0 ... 1) == 1, prepackB: rng.int(0 ... 1) == 1)
            t.test()
        }
    }

    func testTransposes() {
        for ta in [false, true] {
            for tb in [false, true] {
                GemmTester(m: 19, n: 35, k: 23, transA: ta, transB: tb).test()
                GemmTester(m: 6, n: 16, k: 5, transA: ta, transB: tb, prepackA: true, prepackB: true).test()
            }
        }
    }

    func testKBlocking() {
        // K above the 256 K block: accumulation across blocks, epilogue only at the end.
        GemmTester(m: 13, n: 37, k: 600, cShape: [37], activation: DenseActivation(.relu)).test()
        GemmTester(m: 7, n: 17, k: 257, transB: true, cShape: [7, 1], alpha: 0.5, beta: 2).test()
    }

    func testBiasShapesAlphaBeta() {
        let shapes: [[Int]] = [[], [1], [1, 1], [29], [1, 29], [11, 1], [11, 29]]
        let scales: [(Float, Float)] = [(1, 1), (0.5, -2), (2, 0)]
        for cs in shapes {
            for (alpha, beta) in scales {
                GemmTester(m: 11, n: 29, k: 9, cShape: cs, alpha: alpha, beta: beta).test()
                GemmTester(m: 12, n: 32, k: 9, cShape: cs == [29] ? [32] : nil, alpha: alpha, beta: beta).test()
            }
        }
    }

    func testActivations() {
        for act in denseTestActivations {
            GemmTester(m: 13, n: 40, k: 17, cShape: [40], activation: act).test()
            GemmTester(m: 6, n: 16, k: 3, cShape: [6, 1], activation: act).test()
        }
    }

    func testZeroK() {
        // Y = act(beta · C) when K = 0.
        GemmTester(m: 5, n: 9, k: 0, cShape: [9], beta: 3, activation: DenseActivation(.relu)).test()
    }

    func testEdgeValues() {
        // Large and tiny magnitudes pass through exactly; NaN inputs propagate.
        let a: [Float] = [1e30, -1e-30, 0, .infinity]
        let b: [Float] = [1, 1, 1, 1]
        let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: 4, n: 1, b: $0.baseAddress!, ldb: 1, transB: false) }
        var scratch = [Float](repeating: 0, count: 64)
        for t in testKernelTables {
        var y = [Float](repeating: 7, count: 1)
        a.withUnsafeBufferPointer { pa in
            y.withUnsafeMutableBufferPointer { py in
                scratch.withUnsafeMutableBufferPointer { ps in
                    sgemm(m: 1, n: 1, k: 4, a: .matrix(pa.baseAddress!, ld: 4, transposed: false), b: .packed(pb.pointer),
                          c: py.baseAddress!, ldc: 1, epilogue: DenseEpilogue(), scratch: ps.baseAddress, kernels: t)
                }
            }
        }
        XCTAssertEqual(y[0], .infinity, t.isa.name)
        }
    }

    /// Bias shapes for an m × n output, cycled through by the small-M sweeps.
    static func biasShapes(m: Int, n: Int) -> [[Int]?] {
        [nil, [n], [1], [m, 1], [m, n], [1, n]]
    }

    func testSmallMSweep() {
        // M = 1…4 × N, K = 1…67: every size; activation, bias shape, transposes, pre-packed B and
        // alpha/beta cycle with the sizes.
        var i = 0
        for m in 1 ... sgemmSmallM {
            for n in 1 ... 67 {
                for k in 1 ... 67 {
                    let shapes = GemmTests.biasShapes(m: m, n: n)
                    let scales: [(Float, Float)] = [(1, 1), (0.5, -2), (1, 0), (-1, 1)]
                    let t = GemmTester(m: m, n: n, k: k, transA: i % 3 == 1, transB: i % 2 == 1, prepackB: i % 5 < 3,
                                       cShape: shapes[i % shapes.count], alpha: scales[i % 4].0, beta: scales[i % 4].1,
                                       activation: denseTestActivations[i % denseTestActivations.count])
                    t.testSmallM()
                    i += 1
                }
            }
        }
    }

    func testSmallMLargeSizes() {
        // N, K of 256 and 1024 (K above the 256 K block: accumulation across blocks) with every
        // activation and bias shape.
        var i = 0
        for m in 1 ... sgemmSmallM {
            for (n, k) in [(256, 256), (1024, 256), (256, 1024), (1024, 1024), (6, 256), (10, 512), (67, 1024), (1024, 3)] {
                for _ in 0 ..< 2 {
                    let shapes = GemmTests.biasShapes(m: m, n: n)
                    GemmTester(m: m, n: n, k: k, transA: i % 3 == 2, transB: i % 2 == 1, prepackB: i % 4 != 3,
                               cShape: shapes[i % shapes.count],
                               activation: denseTestActivations[i % denseTestActivations.count]).testSmallM()
                    i += 1
                }
            }
        }
    }

    func testSmallMEveryActivationAndBias() {
        for m in 1 ... sgemmSmallM {
            for act in denseTestActivations {
                for cs in GemmTests.biasShapes(m: m, n: 37) {
                    for (alpha, beta) in [(Float(1), Float(1)), (0.5, -2), (2, 0)] {
                        GemmTester(m: m, n: 37, k: 29, prepackB: true, cShape: cs, alpha: alpha, beta: beta,
                                   activation: act).testSmallM()
                        GemmTester(m: m, n: 64, k: 300, transA: true, transB: true, prepackB: true, cShape: cs == [37] ? [64] : nil,
                                   alpha: alpha, beta: beta, activation: act).testSmallM()
                    }
                }
            }
        }
        // K = 0: Y = act(beta · C).
        for m in 1 ... sgemmSmallM {
            GemmTester(m: m, n: 9, k: 0, prepackB: true, cShape: [9], beta: 3, activation: DenseActivation(.relu)).testSmallM()
        }
    }

    func testSmallMSplitIsDeterministic() {
        for m in 1 ... sgemmSmallM {
            GemmTester(m: m, n: 250, k: 300, activation: DenseActivation(.relu)).testSmallMSplitDeterminism()
            GemmTester(m: m, n: 37, k: 5, activation: DenseActivation(.tanh)).testSmallMSplitDeterminism()
        }
    }

    func testSplitIsDeterministic() {
        GemmTester(m: 50, n: 70, k: 300).testSplitDeterminism()
        // Every AVX-512 tiling (12×32, 6×32, 12×16, 6×16) across splits, K blocks and an odd M.
        GemmTester(m: 67, n: 7 * 16 + 5, k: 600, activation: DenseActivation(.relu)).testSplitDeterminism()
        GemmTester(m: 200, n: 20, k: 30, activation: DenseActivation(.relu)).testSplitDeterminism()
    }
}
