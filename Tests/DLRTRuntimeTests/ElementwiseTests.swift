@testable import DLRTRuntime
import DLRTKernels
import DLRTModel
import Glibc
import XCTest

final class ElementwiseActivationTests: XCTestCase {
    static let edges: [Float] = [
        0, -0.0, .infinity, -.infinity, .nan, 1e-40, -1e-40, 1e-30, -1e-30, 1e30, -1e30,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, 88.7, 88.8, -87.5, -88, -100, -104, -150,
        0.625, -0.625, 0.6249, -0.6251, 9, -9, 20, -20, 1e-4, -1e-4, 0.5, -0.5, 1, -1,
    ]

    typealias Case = (op: OpCode, attrs: [String: AttributeValue], ref: (Float) -> Float, abs: Float)
    static let cases: [Case] = [
        (.relu, [:], ElementwiseReference.relu, 0),
        (.leakyRelu, ["alpha": .float(0.1)], { ElementwiseReference.leakyRelu($0, alpha: 0.1) }, 0),
        (.leakyRelu, [:], { ElementwiseReference.leakyRelu($0, alpha: 0.01) }, 0),
        (.elu, ["alpha": .float(0.7)], { ElementwiseReference.elu($0, alpha: 0.7) }, 2e-7),
        (.elu, [:], { ElementwiseReference.elu($0, alpha: 1) }, 2e-7),
        (.sigmoid, [:], ElementwiseReference.sigmoid, 1e-37),
        (.tanh, [:], ElementwiseReference.tanh, 1e-37),
        (.clip, ["min": .float(-0.5), "max": .float(2)], { ElementwiseReference.clip($0, min: -0.5, max: 2) }, 0),
        (.clip, [:], { ElementwiseReference.clip($0, min: -.infinity, max: .infinity) }, 0),
        (.clip, ["min": .float(0)], { ElementwiseReference.clip($0, min: 0, max: .infinity) }, 0),
    ]

    func testOddSizesMatchReference() throws {
        var rng = ElemRNG(1)
        for c in Self.cases {
            for n in 1 ... 67 {
                let x = rng.floats(n, -12, 12)
                let y = try runNode(c.op, [.f32(x, [n])], attributes: c.attrs)[0]
                XCTAssertEqual(y.type, TensorType(.float32, [n]))
                assertAllClose(y.floats, x.map(c.ref), abs: c.abs + 1e-37, "\(c.op) n=\(n)")
            }
        }
    }

    func testEdgeValues() throws {
        let x = Self.edges
        for c in Self.cases {
            let y = try runNode(c.op, [.f32(x, [x.count])], attributes: c.attrs)[0].floats
            assertAllClose(y, x.map(c.ref), abs: c.abs + 1e-37, "\(c.op) edges")
        }
    }

    func testHandComputedValues() throws {
        let x: [Float] = [-100, 100, -1e30, 1e30, 0, 2]
        let sig = try runNode(.sigmoid, [.f32(x, [6])])[0].floats
        XCTAssertEqual(sig[0], 0, accuracy: 1e-40)
        XCTAssertEqual(sig[1], 1)
        XCTAssertEqual(sig[2], 0)
        XCTAssertEqual(sig[3], 1)
        XCTAssertEqual(sig[4], 0.5)
        XCTAssertEqual(sig[5], 0.880_797_1, accuracy: 1e-7)
        let th = try runNode(.tanh, [.f32(x + [-0.0], [7])])[0].floats
        XCTAssertEqual(th[0], -1)
        XCTAssertEqual(th[1], 1)
        XCTAssertEqual(th[2], -1)
        XCTAssertEqual(th[3], 1)
        XCTAssertEqual(th[4], 0)
        XCTAssertEqual(th[5], 0.964_027_6, accuracy: 1e-7)
        XCTAssertEqual(th[6].sign, .minus)
        let elu = try runNode(.elu, [.f32([-.infinity, -1, 3], [3])], attributes: ["alpha": .float(2)])[0].floats
        XCTAssertEqual(elu[0], -2)
        XCTAssertEqual(elu[1], 2 * (expf(-1) - 1), accuracy: 1e-6)
        XCTAssertEqual(elu[2], 3)
        let leaky = try runNode(.leakyRelu, [.f32([-.infinity, -2, 5], [3])], attributes: ["alpha": .float(0.5)])[0].floats
        XCTAssertEqual(leaky, [-.infinity, -1, 5])
        let clip = try runNode(.clip, [.f32([-7, 0.5, 7, .nan], [2, 2])], attributes: ["min": .float(0), "max": .float(6)])[0]
        XCTAssertEqual(clip.type.shape, [2, 2])
        XCTAssertEqual(Array(clip.floats[0 ..< 3]), [0, 0.5, 6])
        XCTAssertTrue(clip.floats[3].isNaN)
    }

    func testMultiDimensionalAndEmpty() throws {
        let x = ElemRNG(3).floats0(2 * 3 * 5)
        let y = try runNode(.relu, [.f32(x, [2, 3, 5])])[0]
        XCTAssertEqual(y.type.shape, [2, 3, 5])
        XCTAssertEqual(y.floats, x.map(ElementwiseReference.relu))
        let e = try runNode(.sigmoid, [.f32([], [0, 4])])[0]
        XCTAssertEqual(e.type.shape, [0, 4])
    }

    func testActivationErrors() {
        assertOpError(["act1", "alpha", "expected a float"]) {
            _ = try runNode(.leakyRelu, [.f32([1], [1])], attributes: ["alpha": .string("x")], name: "act1")
        }
        assertOpError(["act2", "int32", "expected float32"]) {
            _ = try runNode(.relu, [.i32([1], [1])], name: "act2")
        }
        assertOpError(["act3", "2 inputs", "expected 1"]) {
            _ = try runNode(.tanh, [.f32([1], [1]), .f32([1], [1])], name: "act3")
        }
        assertOpError(["clip1", "NaN"]) {
            _ = try runNode(.clip, [.f32([1], [1])], attributes: ["min": .float(.nan)], name: "clip1")
        }
    }
}

final class ElementwiseSoftmaxTests: XCTestCase {
    func testRowsOfOddLength() throws {
        var rng = ElemRNG(5)
        for n in 1 ... 67 {
            let x = rng.floats(3 * n, -20, 20)
            let y = try runNode(.softmax, [.f32(x, [3, n])])[0].floats
            assertAllClose(y, ElementwiseReference.softmax(x, shape: [3, n], axis: 1, coerce2d: false), rel: 5e-6,
                           abs: 1e-30, "softmax n=\(n)")
        }
    }

    func testAxesAndCoerce2D() throws {
        var rng = ElemRNG(6)
        let shape = [2, 3, 11, 5]
        let x = rng.floats(shape.reduce(1, *), -5, 5)
        for axis in -4 ... 3 {
            let a = axis < 0 ? axis + 4 : axis
            for coerce in [false, true] {
                let y = try runNode(.softmax, [.f32(x, shape)],
                                    attributes: ["axis": .int(Int64(axis)), "coerce_2d": .int(coerce ? 1 : 0)])[0]
                XCTAssertEqual(y.type.shape, shape)
                assertAllClose(y.floats, ElementwiseReference.softmax(x, shape: shape, axis: a, coerce2d: coerce), rel: 5e-6,
                               abs: 1e-30, "softmax axis=\(axis) coerce=\(coerce)")
            }
        }
    }

    func testLargeValuesAndNaN() throws {
        let y = try runNode(.softmax, [.f32([1000, -1000, 1000, 0, -.infinity, 5, 1, 2, .nan, 3], [2, 5])])[0].floats
        XCTAssertEqual(Array(y[0 ..< 5]), [0.5, 0, 0.5, 0, 0])
        XCTAssertTrue(y[5 ..< 10].allSatisfy(\.isNaN))
        // Large values down a strided axis.
        let z = try runNode(.softmax, [.f32([1000, 1e30, -1000, 1e30], [2, 2])], attributes: ["axis": .int(0)])[0].floats
        XCTAssertEqual(z, [1, 0.5, 0, 0.5])
    }

    func testAxisOutOfRange() {
        assertOpError(["sm1", "axis", "2", "[4, 5]", "-2…1"]) {
            _ = try runNode(.softmax, [.f32([Float](repeating: 0, count: 20), [4, 5])], attributes: ["axis": .int(2)], name: "sm1")
        }
        assertOpError(["sm2", "axis", "-3"]) {
            _ = try runNode(.softmax, [.f32([Float](repeating: 0, count: 20), [4, 5])], attributes: ["axis": .int(-3)], name: "sm2")
        }
        assertOpError(["sm3", "coerce_2d", "2"]) {
            _ = try runNode(.softmax, [.f32([0], [1])], attributes: ["coerce_2d": .int(2)], name: "sm3")
        }
    }
}

final class ElementwiseBatchNormalizationTests: XCTestCase {
    func testMatchesReference() throws {
        var rng = ElemRNG(7)
        for shape in [[1, 3, 5, 7], [2, 4, 1, 1], [3, 2], [2, 5, 17], [1, 1, 9, 3]] {
            let c = shape[1]
            let x = rng.floats(shape.reduce(1, *), -3, 3)
            let scale = rng.floats(c, 0.5, 2), bias = rng.floats(c), mean = rng.floats(c), variance = rng.floats(c, 0.1, 3)
            let y = try runNode(.batchNormalization,
                                [.f32(x, shape), .f32(scale, [c]), .f32(bias, [c]), .f32(mean, [c]), .f32(variance, [c])],
                                attributes: ["epsilon": .float(1e-3)])[0]
            XCTAssertEqual(y.type.shape, shape)
            let want = ElementwiseReference.batchNormalization(x, shape: shape, scale: scale, bias: bias, mean: mean,
                                                               variance: variance, epsilon: 1e-3)
            assertAllClose(y.floats, want, rel: 1e-5, abs: 1e-5, "batchnorm \(shape)")
        }
    }

    func testShapeErrors() {
        let x = Operand.f32([Float](repeating: 1, count: 12), [1, 3, 2, 2])
        let ok = Operand.f32([1, 1, 1], [3])
        assertOpError(["bn1", "input 2 (B)", "[4]", "expected [3]", "[1, 3, 2, 2]"]) {
            _ = try runNode(.batchNormalization, [x, ok, .f32([1, 1, 1, 1], [4]), ok, ok], name: "bn1")
        }
        assertOpError(["bn2", "4 inputs", "expected 5"]) {
            _ = try runNode(.batchNormalization, [x, ok, ok, ok], name: "bn2")
        }
        assertOpError(["bn3", "rank ≥ 2"]) {
            _ = try runNode(.batchNormalization, [.f32([1, 2, 3], [3]), ok, ok, ok, ok], name: "bn3")
        }
    }
}

extension ElemRNG {
    func floats0(_ n: Int) -> [Float] { var r = self; return r.floats(n) }
}
