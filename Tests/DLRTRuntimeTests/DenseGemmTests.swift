@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

final class DenseGemmTests: XCTestCase {
    func types(_ op: OpCode, a: [Int], b: [Int], c: [Int]? = nil, constB: Bool = false,
               _ attrs: [String: AttributeValue] = [:]) throws -> [Int] {
        var g = DenseGraphBuilder()
        let ai = g.input(a)
        let bi = constB ? g.constant([Float](repeating: 1, count: b.reduce(1, *)), b) : g.input(b)
        var ins = [ai, bi]
        if let c { ins.append(g.input(c)) }
        let n = g.node(op, ins, attrs)
        let inputs = densePlanInputs(g.graph, n)
        if op == .gemm { return try GemmOperator(node: n, graph: g.graph).outputTypes(inputs)[0].shape }
        return try MatMulOperator(node: n, graph: g.graph).outputTypes(inputs)[0].shape
    }

    func testGemmShapeRule() throws {
        XCTAssertEqual(try types(.gemm, a: [3, 5], b: [5, 7]), [3, 7])
        XCTAssertEqual(try types(.gemm, a: [5, 3], b: [7, 5], c: [7], constB: true, ["transA": .int(1), "transB": .int(1)]), [3, 7])
        XCTAssertEqual(try types(.gemm, a: [3, 5], b: [5, 7], c: [3, 1]), [3, 7])
    }

    func testGemmErrors() {
        denseAssertThrows(.shape, ["[3, 5]", "[6, 7]", "inner dimensions 5 and 6"]) { try self.types(.gemm, a: [3, 5], b: [6, 7]) }
        denseAssertThrows(.shape, ["C [2, 7]", "[3, 7]"]) { try self.types(.gemm, a: [3, 5], b: [5, 7], c: [2, 7]) }
        denseAssertThrows(.shape, ["rank 2"]) { try self.types(.gemm, a: [3, 5, 1], b: [5, 7]) }
        denseAssertThrows(.invalidModel, ["transA", "2"]) { try self.types(.gemm, a: [3, 5], b: [5, 7], ["transA": .int(2)]) }
    }

    func testMatMulShapeRule() throws {
        XCTAssertEqual(try types(.matMul, a: [2, 1, 3, 4], b: [5, 4, 6]), [2, 5, 3, 6])
        XCTAssertEqual(try types(.matMul, a: [4], b: [4, 6]), [6])
        XCTAssertEqual(try types(.matMul, a: [3, 4], b: [4], constB: true), [3])
        XCTAssertEqual(try types(.matMul, a: [4], b: [4]), [])
        XCTAssertEqual(try types(.matMul, a: [2, 3, 4], b: [4, 5], constB: true), [2, 3, 5])
        denseAssertThrows(.shape, ["[2, 3, 4]", "[3, 4, 5]", "broadcast"]) { try self.types(.matMul, a: [2, 3, 4], b: [3, 4, 5]) }
        denseAssertThrows(.shape, ["inner dimensions 4 and 5"]) { try self.types(.matMul, a: [3, 4], b: [5, 6]) }
    }

    func testGemmEndToEnd() throws {
        let (m, n, k) = (37, 45, 70)
        for constB in [false, true] {
            for (ta, tb) in [(false, false), (true, true)] {
                var g = DenseGraphBuilder()
                let av = denseRandom(m * k, seed: 4), bv = denseRandom(k * n, seed: 5), cv = denseRandom(n, seed: 6)
                let a = g.input(ta ? [k, m] : [m, k])
                let b = constB ? g.constant(bv, tb ? [n, k] : [k, n]) : g.input(tb ? [n, k] : [k, n])
                let c = g.constant(cv, [n])
                _ = g.node(.gemm, [a, b, c], ["transA": .int(ta ? 1 : 0), "transB": .int(tb ? 1 : 0), "alpha": .float(0.5),
                                              "beta": .float(2), "activation": .int(2), "activation_alpha": .float(0.2)])
                let want = referenceGemm(m: m, n: n, k: k, a: av, transA: ta, b: bv, transB: tb, c: cv, cShape: [n], alpha: 0.5,
                                         beta: 2, activation: DenseActivation(.leakyRelu, alpha: 0.2))
                let inputs = constB ? [av] : [av, bv]
                let (got, shape) = try denseRun(g.graph, inputs, threads: 1)
                let (got2, _) = try denseRun(g.graph, inputs, threads: 2)
                XCTAssertEqual(shape, [m, n])
                denseAssertClose(got, want)
                XCTAssertEqual(got, got2)
            }
        }
    }

    func testMatMulEndToEnd() throws {
        // Batch broadcast [2,1,5,12] × [3,12,20], B as input and as constant; and the collapsed [2,5,12] × [12,20].
        for constB in [false, true] {
            var g = DenseGraphBuilder()
            let av = denseRandom(2 * 5 * 12, seed: 7), bv = denseRandom(3 * 12 * 20, seed: 8)
            let a = g.input([2, 1, 5, 12])
            let b = constB ? g.constant(bv, [3, 12, 20]) : g.input([3, 12, 20])
            _ = g.node(.matMul, [a, b])
            let (got, shape) = try denseRun(g.graph, constB ? [av] : [av, bv], threads: 2)
            XCTAssertEqual(shape, [2, 3, 5, 20])
            var want = [Float]()
            for i in 0 ..< 2 {
                for j in 0 ..< 3 {
                    want += referenceGemm(m: 5, n: 20, k: 12, a: Array(av[i * 60 ..< i * 60 + 60]), transA: false,
                                          b: Array(bv[j * 240 ..< j * 240 + 240]), transB: false)
                }
            }
            denseAssertClose(got, want)
        }
        var g = DenseGraphBuilder()
        let av = denseRandom(2 * 5 * 12, seed: 9), bv = denseRandom(12 * 20, seed: 10)
        _ = g.node(.matMul, [g.input([2, 5, 12]), g.constant(bv, [12, 20])], ["activation": .int(1)])
        let (got, shape) = try denseRun(g.graph, [av])
        XCTAssertEqual(shape, [2, 5, 20])
        denseAssertClose(got, referenceGemm(m: 10, n: 20, k: 12, a: av, transA: false, b: bv, transB: false,
                                            activation: DenseActivation(.relu)))
    }
}
