@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// The int8 ops (codes 100–106) at the runtime level: results against `QuantReference`, and every
/// field a hostile file could set wrongly refused at load with a message naming the node.
final class QuantizedOpsTests: XCTestCase {
    /// A [k, n] int8 weight constant with per-column scales (or `quantization` as given).
    func weight(_ b: inout DenseGraphBuilder, _ q: [Int8], _ shape: [Int], _ quantization: Quantization?) -> Int32 {
        b.graph.addTensor(Tensor(name: "w\(b.graph.tensors.count)", dtype: .int8, shape: shape.map { .fixed($0) },
                                 data: TensorData(blob: Blob.copying(q)), quantization: quantization))
    }

    func testDynamicMatMulMatchesReference() throws {
        let (m, k, n) = (5, 37, 19)
        var b = DenseGraphBuilder()
        let x = b.input([m, k])
        let q = (0 ..< k * n).map { Int8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let scales = (0 ..< n).map { 0.01 + Float($0) * 0.001 }
        let w = weight(&b, q, [k, n], Quantization(axis: 1, scales: scales, zeroPoints: [Int32](repeating: 0, count: n)))
        let bias = b.constant(denseRandom(n, seed: 3), [n])
        _ = b.node(.dynamicQuantizeMatMul, [x, w, bias], ["activation": .int(1)], outShape: [m, n])
        let a = denseRandom(m * k, seed: 4)
        let (got, shape) = try denseRun(b.graph, [a])
        XCTAssertEqual(shape, [m, n])
        var want = [Float](repeating: 0, count: m * n)
        let biasValues = denseRandom(n, seed: 3)
        for i in 0 ..< m {
            let row = Array(a[i * k ..< (i + 1) * k])
            let (s, z) = QuantReference.dynamicParams(row)
            let qa = row.map { QuantReference.quantize($0, scale: s, zero: z) }
            let acc = QuantReference.qgemm(m: 1, n: n, k: k, a: qa, lda: k, aZero: [z], b: q)
            for j in 0 ..< n {
                want[i * n + j] = QuantReference.epilogue(acc[j], aScale: s, bScale: scales[j], bias: biasValues[j], DenseActivation(.relu))
            }
        }
        XCTAssertEqual(got, want)
    }

    func testStaticConvMatchesReference() throws {
        // 1×1 conv = a matrix product per pixel: X [1, 3, 2, 2] → Y [1, 2, 2, 2] (uint8 out).
        var b = DenseGraphBuilder()
        let x = b.input([1, 3, 2, 2])
        let q: [Int8] = [1, -2, 3, 127, -127, 0]
        let w = weight(&b, q, [2, 3, 1, 1], Quantization(axis: nil, scales: [0.5], zeroPoints: [0]))
        let node = b.node(.quantizedConv, [x, w], ["x_scale": .float(0.1), "x_zero_point": .int(100)], outShape: [1, 2, 2, 2])
        let xs: [Float] = [0, 1, -1, 2, 0.5, -0.5, 3, -3, 10, -10, 0.05, 0.15]
        let (got, _) = try denseRun(b.graph, [xs])
        var want = [Float](repeating: 0, count: 8)
        for p in 0 ..< 4 {
            for o in 0 ..< 2 {
                var acc: Int32 = 0
                for c in 0 ..< 3 {
                    acc += (Int32(QuantReference.quantize(xs[c * 4 + p], scale: 0.1, zero: 100)) - 100) * Int32(q[o * 3 + c])
                }
                want[o * 4 + p] = QuantReference.epilogue(acc, aScale: 0.1, bScale: 0.5, bias: nil, .none)
            }
        }
        XCTAssertEqual(got, want)
        _ = node
    }

    func assertRefused(_ op: OpCode, weight q: Quantization?, dtype: DType = .int8, attributes: [String: AttributeValue] = [:],
                       _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        var b = DenseGraphBuilder()
        let conv = op == .dynamicQuantizeConv || op == .quantizedConv
        let x = b.input(conv ? [1, 2, 3, 3] : [2, 4])
        let shape = conv ? [3, 2, 1, 1] : [4, 3]
        let w = b.graph.addTensor(Tensor(name: "w", dtype: dtype, shape: shape.map { .fixed($0) },
                                         data: TensorData(blob: Blob.copying([UInt8](repeating: 1, count: shape.reduce(1, *) * dtype.byteSize))),
                                         quantization: q))
        _ = b.node(op, [x, w], attributes, outShape: conv ? [1, 3, 3, 3] : [2, 3])
        XCTAssertThrowsError(try CompiledModel(graph: b.graph), file: file, line: line) { err in
            let text = "\(err)"
            XCTAssertTrue(text.contains("node 'n'") && text.contains(message), text, file: file, line: line)
        }
    }

    func testHostileParametersRefused() {
        let ok = Quantization(axis: 1, scales: [1, 1, 1], zeroPoints: [0, 0, 0])
        assertRefused(.dynamicQuantizeMatMul, weight: nil, "is int8 without quantization parameters")
        assertRefused(.dynamicQuantizeMatMul, weight: ok, dtype: .uint8, "B is uint8, expected int8")
        assertRefused(.dynamicQuantizeMatMul, weight: Quantization(axis: 1, scales: [1, 1, 1], zeroPoints: [0, 3, 0]),
                      "non-zero zero points")
        assertRefused(.dynamicQuantizeMatMul, weight: Quantization(axis: 0, scales: [1, 1, 1, 1], zeroPoints: [0, 0, 0, 0]),
                      "quantized along axis 0")
        assertRefused(.dynamicQuantizeMatMul, weight: Quantization(axis: 1, scales: [1, 0, 1], zeroPoints: [0, 0, 0]),
                      "scale that is not finite and > 0")
        assertRefused(.dynamicQuantizeMatMul, weight: ok, attributes: ["per_row": .int(2)], "expected 0 or 1")
        let perTensor = Quantization(axis: nil, scales: [1], zeroPoints: [0])
        assertRefused(.quantizedMatMul, weight: perTensor, "attributes 'x_scale' and 'x_zero_point' must be given together (required)")
        assertRefused(.quantizedMatMul, weight: perTensor, attributes: ["x_scale": .float(1), "x_zero_point": .int(256)],
                      "expected 0…255")
        assertRefused(.quantizedMatMul, weight: perTensor, attributes: ["x_scale": .float(-1), "x_zero_point": .int(0)],
                      "expected a finite value > 0")
        assertRefused(.quantizedMatMul, weight: perTensor,
                      attributes: ["x_scale": .float(1), "x_zero_point": .int(0), "y_scale": .float(1)], "must be given together")
        assertRefused(.quantizedConv, weight: Quantization(axis: 1, scales: [1, 1], zeroPoints: [0, 0]),
                      attributes: ["x_scale": .float(1), "x_zero_point": .int(0)], "expected per tensor or axis 0")
        assertRefused(.dynamicQuantizeConv, weight: perTensor, attributes: ["group": .int(2)], "needs a group ≥ 1 dividing")
    }

    func testQuantizeLinearParametersRefused() {
        for (attrs, message) in [
            (["scales": AttributeValue.floats([1])], "'scales' (floats) and 'zero_points' (ints) are required"),
            (["scales": .floats([1]), "zero_points": .ints([300])], "zero points must be in"),
            (["scales": .floats([0]), "zero_points": .ints([0])], "scales must be finite and > 0"),
            (["scales": .floats([1]), "zero_points": .ints([0]), "to": .int(5)], "attribute 'to' is 5"),
            (["scales": .floats([1, 1]), "zero_points": .ints([0, 0])], "need attribute 'axis'"),
        ] as [([String: AttributeValue], String)] {
            var b = DenseGraphBuilder()
            let x = b.input([2, 2])
            _ = b.node(.quantizeLinear, [x], attrs, outShape: [2, 2])
            b.graph.tensors[Int(b.graph.outputs[0])].dtype = .uint8
            XCTAssertThrowsError(try CompiledModel(graph: b.graph)) { XCTAssertTrue("\($0)".contains(message), "\($0)") }
        }
    }
}
