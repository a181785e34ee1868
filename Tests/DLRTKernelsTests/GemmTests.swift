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

    func test(file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed &+ UInt64(m * 10007 + n * 101 + k))
        let a = rng.floats(m * k), b = rng.floats(k * n)
        let c = cShape.map { rng.floats($0.reduce(1, *)) }
        let want = referenceGemm(m: m, n: n, k: k, a: a, transA: transA, b: b, transB: transB, c: c,
                                 cShape: cShape ?? [], alpha: alpha, beta: beta, activation: activation)
        var got = [Float](repeating: .nan, count: m * n)
        let lda = transA ? m : k, ldb = transB ? k : n
        var scratch = [Float](repeating: .nan, count: sgemmScratchCount(m: m, n: n, k: k, packA: true, packB: true) + 1)
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
                                  scratch: ps.baseAddress)
                        }
                    }
                }
            }
        }
        assertClose(got, want, tol: 1e-6 * Float(k + 4), "gemm \(self)", file: file, line: line)
    }

    /// Runs the split compute task by task in reverse order and checks it is bit-identical.
    func testSplitDeterminism(file: StaticString = #filePath, line: UInt = #line) {
        var rng = TestRNG(seed: seed)
        let a = rng.floats(m * k), b = rng.floats(k * n)
        let pa = a.withUnsafeBufferPointer { DenseBuffer.packedA(m: m, k: k, a: $0.baseAddress!, lda: k, transA: false) }
        let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: k, n: n, b: $0.baseAddress!, ldb: n, transB: false) }
        var whole = [Float](repeating: .nan, count: m * n), split = whole
        let s = SGEMMSplit(m: m, n: n)
        whole.withUnsafeMutableBufferPointer { y in
            sgemmCompute(m: m, n: n, k: k, packedA: pa.pointer, packedB: pb.pointer, c: y.baseAddress!, ldc: n,
                         epilogue: DenseEpilogue(activation: activation), aPanels: 0 ..< sgemmPanelsA(m), bPanels: 0 ..< sgemmPanelsB(n))
        }
        split.withUnsafeMutableBufferPointer { y in
            for t in (0 ..< s.count).reversed() {
                let (ar, br) = s.panels(t ..< t + 1)
                sgemmCompute(m: m, n: n, k: k, packedA: pa.pointer, packedB: pb.pointer, c: y.baseAddress!, ldc: n,
                             epilogue: DenseEpilogue(activation: activation), aPanels: ar, bPanels: br)
            }
        }
        XCTAssertEqual(whole, split, "split \(self)", file: file, line: line)
    }
}

final class GemmTests: XCTestCase {
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
        var y = [Float](repeating: 7, count: 1)
        let pb = b.withUnsafeBufferPointer { DenseBuffer.packedB(k: 4, n: 1, b: $0.baseAddress!, ldb: 1, transB: false) }
        var scratch = [Float](repeating: 0, count: 64)
        a.withUnsafeBufferPointer { pa in
            y.withUnsafeMutableBufferPointer { py in
                scratch.withUnsafeMutableBufferPointer { ps in
                    sgemm(m: 1, n: 1, k: 4, a: .matrix(pa.baseAddress!, ld: 4, transposed: false), b: .packed(pb.pointer),
                          c: py.baseAddress!, ldc: 1, epilogue: DenseEpilogue(), scratch: ps.baseAddress)
                }
            }
        }
        XCTAssertEqual(y[0], .infinity)
    }

    func testSplitIsDeterministic() {
        GemmTester(m: 50, n: 70, k: 300).testSplitDeterminism()
        GemmTester(m: 200, n: 20, k: 30, activation: DenseActivation(.relu)).testSplitDeterminism()
    }
}
