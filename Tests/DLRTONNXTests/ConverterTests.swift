import DLRTModel
@testable import DLRTONNX
import XCTest

final class ConverterTests: XCTestCase {
    func testMLPFlattenChainOnSymbolicBatch() throws {
        for name in ["mlp_flatten", "mlp_flatten_opset11"] {
            let r = try convertFixture(name)
            let g = r.graph
            XCTAssertEqual(g.opNames, ["Reshape", "Gemm", "Gemm"], name)
            let reshape = try XCTUnwrap(g.node("reshape"))
            XCTAssertEqual(g.int64s(reshape.inputs[1]), [0, -1], name)
            XCTAssertEqual(g.tensor(reshape.outputs[0]).shape, [.symbolic("batch"), .fixed(48)])
            let fc1 = try XCTUnwrap(g.node("fc1"))
            XCTAssertEqual(fc1.attributes["activation"], .int(1))
            XCTAssertEqual(fc1.attributes["transB"], .int(1))
            XCTAssertEqual(g.node("fc2")?.attributes["activation"], nil)
            XCTAssertEqual(g.inputs.map { g.tensor($0).name }, ["x"])
            XCTAssertEqual(g.tensor(g.inputs[0]).shape, [.symbolic("batch"), .fixed(3), .fixed(4), .fixed(4)])
            XCTAssertEqual(g.outputs.map { g.tensor($0).name }, ["y"])
            XCTAssertEqual(g.tensor(g.outputs[0]).shape, [.symbolic("batch"), .fixed(5)])
            XCTAssertEqual(r.sourceNodeCount, 10)
            XCTAssertEqual(r.parameterCount, 16 * 48 + 16 + 5 * 16 + 5 + 2)
            XCTAssertEqual(r.opCounts.map(\.0), ["Gemm", "Reshape"])
            XCTAssertEqual(r.opCounts.map(\.1), [2, 1])
        }
    }

    func testMetadata() throws {
        let g = try convertFixture("mlp_flatten").graph
        XCTAssertEqual(g.metadataValue("producer"), "dlrt-convert \(ONNXConverter.version) from dlrt-fixtures 1.0")
        XCTAssertEqual(g.metadataValue("onnx_opset"), "13")
        XCTAssertEqual(g.metadataValue("ir_version"), "7")
        XCTAssertEqual(g.metadataValue("doc_string"), "a tiny MLP")
        XCTAssertEqual(g.metadataValue("classes"), "cat,dog,bird,fish,frog")
        XCTAssertEqual(g.metadataValue("author"), "fixtures")
        let sha = try XCTUnwrap(g.metadataValue("source_sha256"))
        XCTAssertEqual(sha.count, 64)
        XCTAssertEqual(g.metadata.first?.key, "producer")
        var opts = ConvertOptions()
        opts.metadata = [("license", "MIT")]
        let g2 = try ONNXConverter.convert(path: fixture("mlp_flatten"), options: opts).graph
        XCTAssertEqual(g2.metadataValue("license"), "MIT")
        XCTAssertEqual(g2.metadataValue("source_sha256"), sha)
    }

    func testConvBatchNormReluFoldsIntoOneConv() throws {
        let folded = try convertFixture("conv_bn_relu").graph
        XCTAssertEqual(folded.opNames, ["Conv"])
        let conv = folded.nodes[0]
        XCTAssertEqual(conv.attributes["activation"], .int(1))
        XCTAssertEqual(conv.attributes["pads"], .ints([1, 1, 1, 1]))
        XCTAssertEqual(folded.tensor(conv.outputs[0]).name, "y")
        XCTAssertEqual(folded.tensor(conv.outputs[0]).shape, [.fixed(1), .fixed(4), .fixed(8), .fixed(8)])

        // The same weights with the conv output also a graph output: nothing folds, BN stays.
        let plain = try convertFixture("conv_bn_relu_unfused").graph
        XCTAssertEqual(plain.opNames, ["Conv", "BatchNormalization", "Relu"])
        let bn = try XCTUnwrap(plain.node("bn"))
        XCTAssertEqual(bn.attributes["epsilon"], .float(1e-3))
        let w = plain.constant(named: "w"), b = plain.constant(named: "b")
        let scale = plain.floats(bn.inputs[1]), beta = plain.floats(bn.inputs[2])
        let mean = plain.floats(bn.inputs[3]), variance = plain.floats(bn.inputs[4])
        var wExp = w, bExp = b
        for m in 0 ..< 4 {
            let s = scale[m] / (variance[m] + 1e-3).squareRoot()
            for j in 0 ..< 27 { wExp[m * 27 + j] = w[m * 27 + j] * s }
            bExp[m] = (b[m] - mean[m]) * s + beta[m]
        }
        assertClose(folded.floats(conv.inputs[1]), wExp)
        assertClose(folded.floats(conv.inputs[2]), bExp)
        XCTAssertEqual(folded.tensor(conv.inputs[1]).shape, [.fixed(4), .fixed(3), .fixed(3), .fixed(3)])
    }

    func testGemmBatchNormFoldWithTransB() throws {
        let folded = try convertFixture("gemm_bn").graph
        XCTAssertEqual(folded.opNames, ["Gemm"])
        let gemm = folded.nodes[0]
        XCTAssertEqual(gemm.attributes["beta"], .float(1))
        XCTAssertEqual(gemm.attributes["transB"], .int(1))
        let plain = try convertFixture("gemm_bn_unfused").graph
        XCTAssertEqual(plain.opNames, ["Gemm", "BatchNormalization"])
        let bn = try XCTUnwrap(plain.node("bn"))
        let w = plain.constant(named: "w"), c0 = plain.constant(named: "c0")
        let scale = plain.floats(bn.inputs[1]), beta = plain.floats(bn.inputs[2])
        let mean = plain.floats(bn.inputs[3]), variance = plain.floats(bn.inputs[4])
        var wExp = w, cExp = c0
        for n in 0 ..< 3 {
            let s = scale[n] / (variance[n] + 1e-5).squareRoot()
            for k in 0 ..< 4 { wExp[n * 4 + k] = w[n * 4 + k] * s }   // transB: row n of [N, K]
            cExp[n] = 0.5 * c0[n] * s + beta[n] - mean[n] * s
        }
        assertClose(folded.floats(gemm.inputs[1]), wExp)
        assertClose(folded.floats(gemm.inputs[2]), cExp)
    }

    func testDepthwiseConvResolvesSamePaddingAndFusesRelu6() throws {
        let g = try convertFixture("depthwise").graph
        XCTAssertEqual(g.opNames, ["Conv"])
        let a = g.nodes[0].attributes
        XCTAssertEqual(a["group"], .int(4))
        XCTAssertEqual(a["strides"], .ints([2, 2]))
        XCTAssertEqual(a["pads"], .ints([1, 1, 1, 1]))
        XCTAssertEqual(a["auto_pad"], .string("NOTSET"))
        XCTAssertEqual(a["kernel_shape"], .ints([3, 3]))
        XCTAssertEqual(a["activation"], .int(3))
        XCTAssertEqual(a["activation_min"], .float(0))
        XCTAssertEqual(a["activation_max"], .float(6))
        XCTAssertEqual(g.tensor(g.outputs[0]).shape, [.fixed(1), .fixed(4), .fixed(5), .fixed(5)])
    }

    func testResidualBlock() throws {
        let g = try convertFixture("residual").graph
        XCTAssertEqual(g.opNames, ["Conv", "Add", "Relu", "GlobalAveragePool", "Flatten"])
        XCTAssertEqual(g.nodes[0].attributes["activation"], .int(1))
        let add = g.nodes[1]
        XCTAssertEqual(g.tensor(add.inputs[0]).name, "x")
        XCTAssertEqual(add.inputs[1], g.nodes[0].outputs[0])
        XCTAssertEqual(g.tensor(g.nodes[3].outputs[0]).shape, [.symbolic("N"), .fixed(4), .fixed(1), .fixed(1)])
        XCTAssertEqual(g.tensor(g.outputs[0]).shape, [.symbolic("N"), .fixed(4)])
    }

    func testClipOpset6AttributesVsOpset13Inputs() throws {
        let g6 = try convertFixture("clip_opset6").graph
        XCTAssertEqual(g6.opNames, ["Clip"])
        XCTAssertEqual(g6.nodes[0].attributes["min"], .float(-1))
        XCTAssertEqual(g6.nodes[0].attributes["max"], .float(1))
        let g13 = try convertFixture("clip_opset13").graph
        XCTAssertEqual(g13.opNames, ["Clip"])
        XCTAssertEqual(g13.nodes[0].inputs.count, 1)
        XCTAssertEqual(g13.nodes[0].attributes["min"], .float(-1))
        XCTAssertEqual(g13.nodes[0].attributes["max"], .float(.infinity))
    }

    func testSoftmaxOpset11VsOpset13() throws {
        let g11 = try convertFixture("softmax_opset11").graph
        XCTAssertEqual(g11.node("sm_default")?.attributes["axis"], .int(1))
        XCTAssertEqual(g11.node("sm_default")?.attributes["coerce_2d"], .int(1))
        // Coercing at the last axis is a plain softmax.
        XCTAssertEqual(g11.node("sm_last")?.attributes["axis"], .int(-1))
        XCTAssertEqual(g11.node("sm_last")?.attributes["coerce_2d"], .int(0))
        let g13 = try convertFixture("softmax_opset13").graph
        XCTAssertEqual(g13.node("sm")?.attributes["axis"], .int(-1))
        XCTAssertEqual(g13.node("sm")?.attributes["coerce_2d"], .int(0))
    }

    func testIdentityAndDropoutAreRemovedKeepingOutputName() throws {
        let g = try convertFixture("identity_dropout").graph
        XCTAssertEqual(g.opNames, ["Relu"])
        XCTAssertEqual(g.tensor(g.nodes[0].inputs[0]).name, "x")
        XCTAssertEqual(g.tensor(g.nodes[0].outputs[0]).name, "y")
        XCTAssertEqual(g.outputs, g.nodes[0].outputs)
        XCTAssertEqual(g.inputs, g.nodes[0].inputs)
    }

    func testUnusedMaxPoolIndicesAreDropped() throws {
        // `idx` is a graph output here, so it is used: that must be refused.
        let e = try XCTUnwrap(conversionError("maxpool_indices"))
        XCTAssertEqual(e.kind, .unsupported)
        XCTAssertTrue(e.message.contains("node 'pool' (MaxPool)"), e.message)
        XCTAssertTrue(e.message.contains("Indices"), e.message)
    }
}
