@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import XCTest

/// The vision operators through the registry: results on small cases, and clear errors (naming
/// node, attribute and shape) for everything a hostile `.dlrt` node could carry.
final class VisionOpsTests: XCTestCase {
    func wConst(_ shape: [Int]) -> Operand {
        let n: Int = shape.reduce(1, *)
        let v: [Float] = (0 ..< n).map { (i: Int) -> Float in Float(i % 7) - 3 }
        var o = Operand.f32(v, shape)
        o.constant = true
        return o
    }

    func testConvTransposeRunsAndMatchesReference() throws {
        let x: [Float] = (0 ..< 120).map { (i: Int) -> Float in Float(i % 11) * 0.25 - 1 }
        let w = wConst([4, 3, 3, 3])
        let attrs: [String: AttributeValue] = ["strides": .ints([2, 2]), "pads": .ints([1, 0, 0, 1]),
                                               "output_padding": .ints([1, 1]), "group": .int(2), "activation": .int(1)]
        let y = try runNode(.convTranspose, [.f32(x, [2, 4, 3, 5]), w], attributes: attrs)[0]
        XCTAssertEqual(y.type.shape, [2, 6, 7, 11])
        let wv = w.bytes.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let want = referenceConvTranspose(x: x, xShape: [2, 4, 3, 5], w: wv, wShape: [4, 3, 3, 3], bias: nil, strides: [2, 2],
                                          padsBegin: [1, 0], dilations: [1, 1], group: 2, outSpatial: [7, 11],
                                          activation: DenseActivation(.relu))
        assertAllClose(y.floats, want, rel: 1e-5, abs: 1e-5, "ConvTranspose")
        // auto_pad SAME_UPPER: output = input · stride.
        let same = try runNode(.convTranspose, [.f32(x, [2, 4, 3, 5]), w],
                               attributes: ["strides": .ints([2, 3]), "auto_pad": .string("SAME_UPPER")])[0]
        XCTAssertEqual(same.type.shape, [2, 3, 6, 15])
    }

    func testConvTransposeErrors() {
        let x = Operand.f32([Float](repeating: 1, count: 2 * 9), [1, 2, 3, 3])
        // W fed at run time gives the same result as a constant W.
        let wv: [Float] = (0 ..< 8).map { Float($0) - 3 }
        var wc = Operand.f32(wv, [2, 1, 2, 2])
        wc.constant = true
        XCTAssertEqual(try runNode(.convTranspose, [x, .f32(wv, [2, 1, 2, 2])])[0].floats, try runNode(.convTranspose, [x, wc])[0].floats)
        assertOpError(["ct1", "W", "[2, 1, 2, 2, 2]"]) {
            _ = try runNode(.convTranspose, [x, .f32([Float](repeating: 1, count: 16), [2, 1, 2, 2, 2])], name: "ct1")
        }
        assertOpError(["ct2", "group", "3"]) { _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["group": .int(3)], name: "ct2") }
        assertOpError(["ct3", "strides"]) { _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["strides": .ints([0, 1])], name: "ct3") }
        assertOpError(["ct4", "pads", "4"]) { _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["pads": .ints([1])], name: "ct4") }
        assertOpError(["ct5", "negative"]) {
            _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["pads": .ints([3, 3, 3, 3])], name: "ct5")
        }
        assertOpError(["ct6", "channels", "[1, 2, 3, 3]"]) { _ = try runNode(.convTranspose, [x, self.wConst([3, 1, 2, 2])], name: "ct6") }
        assertOpError(["ct7", "auto_pad", "SOMETIMES"]) {
            _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["auto_pad": .string("SOMETIMES")], name: "ct7")
        }
        assertOpError(["ct8", "kernel_shape"]) {
            _ = try runNode(.convTranspose, [x, self.wConst([2, 1, 2, 2])], attributes: ["kernel_shape": .ints([3, 3])], name: "ct8")
        }
    }

    func testResizeShapesFromScalesAndSizes() throws {
        let x: [Float] = (0 ..< 24).map { Float($0) }
        let up = try runNode(.resize, [.f32(x, [1, 2, 3, 4])], attributes: ["scales": .floats([1, 1, 2, 1.5]), "mode": .string("nearest")])[0]
        XCTAssertEqual(up.type.shape, [1, 2, 6, 6])
        let sized = try runNode(.resize, [.f32(x, [1, 2, 3, 4])], attributes: ["sizes": .ints([5, 2]), "axes": .ints([-1, 2]),
                                                                             "mode": .string("linear")])[0]
        XCTAssertEqual(sized.type.shape, [1, 2, 2, 5])
        XCTAssertFalse(sized.floats.contains { $0.isNaN })
        let keep = try runNode(.resize, [.f32(x, [1, 2, 3, 4])], attributes: ["sizes": .ints([6, 6]), "axes": .ints([2, 3]),
                                                                           "keep_aspect_ratio_policy": .string("not_larger")])[0]
        XCTAssertEqual(keep.type.shape, [1, 2, 5, 6])  // scale min(6/3, 6/4) = 1.5
    }

    func testResizeErrors() {
        let x = Operand.f32([Float](repeating: 1, count: 12), [1, 1, 3, 4])
        func resize(_ attrs: [String: AttributeValue], _ name: String) throws { _ = try runNode(.resize, [x], attributes: attrs, name: name) }
        assertOpError(["rz1", "scales", "sizes"]) { try resize([:], "rz1") }
        assertOpError(["rz2", "scales"]) { try resize(["scales": .floats([1, 1, 0, 2])], "rz2") }
        assertOpError(["rz3", "scales"]) { try resize(["scales": .floats([1, 1, .nan, 2])], "rz3") }
        assertOpError(["rz4", "mode", "bicubic"]) { try resize(["scales": .floats([1, 1, 2, 2]), "mode": .string("bicubic")], "rz4") }
        assertOpError(["rz5", "axes"]) { try resize(["scales": .floats([2, 2]), "axes": .ints([2, 2])], "rz5") }
        assertOpError(["rz6", "axes", "7"]) { try resize(["scales": .floats([2]), "axes": .ints([7])], "rz6") }
        assertOpError(["rz7", "expected 4 values"]) { try resize(["scales": .floats([2, 2])], "rz7") }
        assertOpError(["rz8", "sizes", "negative"]) { try resize(["sizes": .ints([1, 1, -3, 4])], "rz8") }
        assertOpError(["rz9", "roi"]) { try resize(["scales": .floats([1, 1, 2, 2]), "roi": .floats([0, 1])], "rz9") }
        assertOpError(["rz10", "too large"]) { try resize(["scales": .floats([1, 1, 1_000_000, 1_000_000])], "rz10") }
        assertOpError(["rz11", "keep_aspect_ratio_policy"]) {
            try resize(["sizes": .ints([1, 1, 2, 2]), "keep_aspect_ratio_policy": .string("fit")], "rz11")
        }
    }

    func testPadAnyDtypeAndErrors() throws {
        let y = try runNode(.pad, [.i64([1, 2, 3, 4, 5, 6], [2, 3])],
                            attributes: ["pads": .ints([1, -1, 0, 2]), "value": .int(-9)])[0]
        XCTAssertEqual(y.type, TensorType(.int64, [3, 4]))
        XCTAssertEqual(y.values(Int64.self), [-9, -9, -9, -9, 2, 3, -9, -9, 5, 6, -9, -9])
        let r = try runNode(.pad, [.f32([1, 2, 3], [3])], attributes: ["pads": .ints([4, 4]), "mode": .string("reflect")])[0]
        XCTAssertEqual(r.floats, [1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3])
        let x = Operand.f32([1, 2, 3, 4], [2, 2])
        assertOpError(["pd1", "pads", "4"]) { _ = try runNode(.pad, [x], attributes: ["pads": .ints([1, 1])], name: "pd1") }
        assertOpError(["pd2", "pads", "required"]) { _ = try runNode(.pad, [x], name: "pd2") }
        assertOpError(["pd3", "mode", "mirror"]) {
            _ = try runNode(.pad, [x], attributes: ["pads": .ints([1, 1, 1, 1]), "mode": .string("mirror")], name: "pd3")
        }
        assertOpError(["pd4", "below 0"]) { _ = try runNode(.pad, [x], attributes: ["pads": .ints([-2, 0, -1, 0])], name: "pd4") }
        assertOpError(["pd5", "edge", "no input element"]) {
            _ = try runNode(.pad, [x], attributes: ["pads": .ints([-2, 1, 1, 0]), "mode": .string("edge")], name: "pd5")
        }
        assertOpError(["pd6", "value"]) { _ = try runNode(.pad, [x], attributes: ["pads": .ints([0, 0, 0, 0]), "value": .string("x")], name: "pd6") }
    }

    func testDepthSpaceErrors() throws {
        let x = Operand.f32([Float](repeating: 1, count: 8 * 4), [1, 8, 2, 2])
        XCTAssertEqual(try runNode(.depthToSpace, [x], attributes: ["blocksize": .int(2)])[0].type.shape, [1, 2, 4, 4])
        XCTAssertEqual(try runNode(.spaceToDepth, [x], attributes: ["blocksize": .int(2), "mode": .string("CRD")])[0].type.shape, [1, 32, 1, 1])
        assertOpError(["ds1", "blocksize"]) { _ = try runNode(.depthToSpace, [x], name: "ds1") }
        assertOpError(["ds2", "blocksize", "0"]) { _ = try runNode(.depthToSpace, [x], attributes: ["blocksize": .int(0)], name: "ds2") }
        assertOpError(["ds3", "multiple", "9"]) { _ = try runNode(.depthToSpace, [x], attributes: ["blocksize": .int(3)], name: "ds3") }
        assertOpError(["ds4", "mode", "RDC"]) {
            _ = try runNode(.depthToSpace, [x], attributes: ["blocksize": .int(2), "mode": .string("RDC")], name: "ds4")
        }
        assertOpError(["sd1", "multiples", "3"]) { _ = try runNode(.spaceToDepth, [x], attributes: ["blocksize": .int(3)], name: "sd1") }
        assertOpError(["sd2", "[N, C, H, W]"]) {
            _ = try runNode(.spaceToDepth, [.f32([1, 2], [2])], attributes: ["blocksize": .int(1)], name: "sd2")
        }
    }
}
