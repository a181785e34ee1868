import DLRTModel
@testable import DLRTONNX
import XCTest

final class ErrorTests: XCTestCase {
    func testUnsupportedOpNamesNodeAndListsSupportedOps() throws {
        let e = try XCTUnwrap(conversionError("unsupported_op"))
        XCTAssertEqual(e.kind, .unsupported)
        XCTAssertTrue(e.message.contains("node 'sin1' (Sin): op not supported by dlrt (supported: Gemm, MatMul, Conv"), e.message)
        XCTAssertTrue(e.message.hasPrefix(fixture("unsupported_op")), e.message)
    }

    func testUnsupportedAttributeValues() throws {
        let so = try XCTUnwrap(conversionError("maxpool_storage_order"))
        XCTAssertEqual(so.kind, .unsupported)
        XCTAssertTrue(so.message.contains("node 'pool' (MaxPool): attribute 'storage_order' = 1"), so.message)
        let c3 = try XCTUnwrap(conversionError("conv3d"))
        XCTAssertTrue(c3.message.contains("node 'conv3' (Conv): attribute 'kernel_shape' = [2,2,2]"), c3.message)
        XCTAssertTrue(c3.message.contains("3-D"), c3.message)
        // A Reshape shape fed as a graph input is a value input now (read when planning; see
        // RuntimeValueTests and Tests/python/test_runtime_values.py), no longer a refusal.
        XCTAssertNoThrow(try ONNXConverter.convert(path: fixture("dynamic_reshape")))
    }

    func testUnsupportedDTypeNamesTensor() throws {
        let e = try XCTUnwrap(conversionError("float64_input"))
        XCTAssertEqual(e.kind, .unsupported)
        XCTAssertTrue(e.message.contains("tensor 'x'"), e.message)
        XCTAssertTrue(e.message.contains("float64"), e.message)
    }

    func testHugeClaimedTensorIsRejectedNotAllocated() throws {
        let e = try XCTUnwrap(conversionError("huge_tensor"))
        XCTAssertEqual(e.kind, .invalidModel)
        XCTAssertTrue(e.message.contains("initializer 'big'"), e.message)
    }

    func testExternalDataIsUnsupported() throws {
        let e = try XCTUnwrap(conversionError("external_data"))
        XCTAssertEqual(e.kind, .unsupported)
        XCTAssertTrue(e.message.contains("initializer 'w'") && e.message.contains("external"), e.message)
    }

    func testGarbageAndTruncatedFiles() throws {
        let g = try XCTUnwrap(conversionError("garbage"))
        XCTAssertEqual(g.kind, .invalidModel)
        XCTAssertTrue(g.message.contains(fixture("garbage")), g.message)
        XCTAssertTrue(g.message.contains("not a valid ONNX model"), g.message)

        let bytes = try ONNXConverter.readFile(fixture("mlp_flatten"))
        for cut in [bytes.count / 2, bytes.count - 3, 7] {
            let part = Array(bytes.prefix(cut))
            XCTAssertThrowsError(try part.withUnsafeBytes { try ONNXConverter.convert(bytes: $0, source: "cut.onnx") }) { err in
                XCTAssertTrue((err as? ModelError)?.message.hasPrefix("cut.onnx: ") == true, "\(err)")
            }
        }
        XCTAssertThrowsError(try [UInt8]().withUnsafeBytes { try ONNXConverter.convert(bytes: $0, source: "empty.onnx") })
        XCTAssertThrowsError(try ONNXConverter.convert(path: "/nonexistent/model.onnx")) { err in
            XCTAssertEqual((err as? ModelError)?.kind, .io)
            XCTAssertTrue((err as? ModelError)?.message.contains("/nonexistent/model.onnx") == true)
        }
    }

    func testOtherWeightTypesAreUnsupported() throws {
        var o = ConvertOptions()
        o.weights = .int32
        XCTAssertThrowsError(try ONNXConverter.convert(path: fixture("mlp_flatten"), options: o)) { err in
            let e = err as? ModelError
            XCTAssertEqual(e?.kind, .unsupported)
            XCTAssertTrue(e?.message.contains("int32 weights are not supported (use float32, float16 or int8)") == true, "\(err)")
        }
    }

    /// Corrupting bytes of every fixture must give a result or a ModelError, never a trap.
    func testMutatedFilesNeverTrap() throws {
        var rng = SplitMix(seed: 42)
        for name in ["mlp_flatten", "conv_bn_relu", "depthwise", "residual", "softmax_opset11", "identity_dropout"] {
            let original = try ONNXConverter.readFile(fixture(name))
            for _ in 0 ..< 150 {
                var b = original
                for _ in 0 ..< 1 + Int(rng.next() % 4) {
                    let i = Int(rng.next() % UInt64(b.count))
                    b[i] = UInt8(truncatingIfNeeded: rng.next())
                }
                if rng.next() % 4 == 0 { b.removeLast(Int(rng.next() % UInt64(b.count))) }
                do { _ = try b.withUnsafeBytes { try ONNXConverter.convert(bytes: $0, source: "m.onnx") } }
                catch is ModelError {} catch { XCTFail("non-ModelError \(error)") }
            }
        }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}
