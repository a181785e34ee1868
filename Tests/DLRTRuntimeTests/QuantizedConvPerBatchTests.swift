@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// DynamicQuantizeConv (101) with `per_image` = 0 (one activation scale / zero point for the whole
/// batch, what ONNX's DynamicQuantizeLinear → ConvInteger computes; set by the converter for
/// imported ConvInteger) against `QuantReference`, and the attribute's validation.
final class QuantizedConvPerBatchTests: XCTestCase {
    func build(_ perImage: AttributeValue) -> (Graph, [Int8]) {
        // 1×1 conv = a matrix product per pixel: X [3, 3, 2, 2] → Y [3, 2, 2, 2].
        var b = DenseGraphBuilder()
        let x = b.input([3, 3, 2, 2])
        let q: [Int8] = [1, -2, 3, 127, -127, 0]
        let w = b.graph.addTensor(Tensor(name: "w", dtype: .int8, shape: [.fixed(2), .fixed(3), .fixed(1), .fixed(1)],
                                         data: TensorData(blob: Blob.copying(q)),
                                         quantization: Quantization(axis: 0, scales: [0.5, 0.25], zeroPoints: [0, 0])))
        _ = b.node(.dynamicQuantizeConv, [x, w], ["per_image": perImage], outShape: [3, 2, 2, 2])
        return (b.graph, q)
    }

    func testPerBatchMatchesReference() throws {
        let (graph, q) = build(.int(0))
        // Images of very different ranges: per-image parameters would differ from the batch's.
        var xs = denseRandom(36, seed: 9)
        for i in 24 ..< 36 { xs[i] *= 20 }
        let (got, shape) = try denseRun(graph, [xs])
        XCTAssertEqual(shape, [3, 2, 2, 2])
        let (s, z) = QuantReference.dynamicParams(xs)
        var want = [Float](repeating: 0, count: 24)
        for n in 0 ..< 3 {
            for p in 0 ..< 4 {
                for o in 0 ..< 2 {
                    var acc: Int32 = 0
                    for c in 0 ..< 3 {
                        acc += (Int32(QuantReference.quantize(xs[(n * 3 + c) * 4 + p], scale: s, zero: z)) - z) * Int32(q[o * 3 + c])
                    }
                    want[(n * 2 + o) * 4 + p] = QuantReference.epilogue(acc, aScale: s, bScale: o == 0 ? 0.5 : 0.25, bias: nil, .none)
                }
            }
        }
        XCTAssertEqual(got, want)
    }

    func testPerImageAttributeValidated() {
        let (graph, _) = build(.int(2))
        XCTAssertThrowsError(try CompiledModel(graph: graph)) { err in
            XCTAssertTrue("\(err)".contains("per_image"), "\(err)")
        }
    }
}
