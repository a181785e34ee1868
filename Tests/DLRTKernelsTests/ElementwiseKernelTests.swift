import DLRTKernels
import Glibc
import XCTest

final class ElementwiseKernelTests: XCTestCase {
    /// Max relative error of `f` against `ref` over a sweep of [lo, hi] (8 lanes at a time).
    func sweep(_ lo: Float, _ hi: Float, points: Int, _ f: (SIMD8<Float>) -> SIMD8<Float>, _ ref: (Float) -> Float,
               tiny: Float = 1.2e-38) -> (Float, Float) {
        var worst: Float = 0, at: Float = 0
        var i = 0
        while i < points {
            var v = SIMD8<Float>()
            for j in 0 ..< 8 { v[j] = lo + (hi - lo) * Float(i + j) / Float(points) }
            let y = f(v)
            for j in 0 ..< 8 {
                let want = ref(v[j])
                let err = abs(y[j] - want) / Swift.max(abs(want), tiny)
                if err > worst { worst = err; at = v[j] }
            }
            i += 8
        }
        return (worst, at)
    }

    func testExpAccuracy() {
        let (e, at) = sweep(-87, 88.7, points: 24_000, ewExp, expf)
        XCTAssertLessThan(e, 1e-6, "worst at \(at)")
        let (e2, at2) = sweep(-2, 2, points: 8_000, ewExp, expf)
        XCTAssertLessThan(e2, 4e-7, "worst at \(at2)")
    }

    func testTanhAndSigmoidAccuracy() {
        let (t, at) = sweep(-10, 10, points: 16_000, ewTanh, tanhf)
        XCTAssertLessThan(t, 1e-6, "tanh worst at \(at)")
        let (t2, at2) = sweep(-0.7, 0.7, points: 8_000, ewTanh, tanhf)
        XCTAssertLessThan(t2, 1e-6, "tanh worst at \(at2)")
        let (s, as_) = sweep(-80, 30, points: 16_000, ewSigmoid, { 1 / (1 + expf(-$0)) })
        XCTAssertLessThan(s, 1e-6, "sigmoid worst at \(as_)")
    }

    func testSpecialValues() {
        let x = SIMD8<Float>(.infinity, -.infinity, .nan, 0, -0.0, 200, -200, 1e-45)
        let e = ewExp(x)
        XCTAssertEqual(e[0], .infinity)
        XCTAssertEqual(e[1], 0)
        XCTAssertTrue(e[2].isNaN)
        XCTAssertEqual(e[3], 1)
        XCTAssertEqual(e[4], 1)
        XCTAssertEqual(e[5], .infinity)
        XCTAssertEqual(e[6], 0)
        XCTAssertEqual(e[7], 1)
        XCTAssertEqual(ewExp(SIMD8(repeating: -100))[0], expf(-100), accuracy: 1e-45)
        let t = ewTanh(x)
        XCTAssertEqual(t[0], 1)
        XCTAssertEqual(t[1], -1)
        XCTAssertTrue(t[2].isNaN)
        XCTAssertEqual(t[4].sign, .minus)
        XCTAssertEqual(t[5], 1)
        XCTAssertEqual(t[6], -1)
        XCTAssertEqual(t[7], 1e-45)
        let s = ewSigmoid(x)
        XCTAssertEqual(s[0], 1)
        XCTAssertEqual(s[1], 0)
        XCTAssertTrue(s[2].isNaN)
        XCTAssertEqual(s[6], 0)
    }

    func testMapUnaryInPlaceAndTails() {
        for n in 0 ... 67 {
            let p = UnsafeMutablePointer<Float>.allocate(capacity: n + 1)
            defer { p.deallocate() }
            for i in 0 ..< n { p[i] = Float(i) - 30 }
            p[n] = 12345  // guard element must survive
            mapUnary(LeakyReluFunction(alpha: 0.5), p, p, n)
            for i in 0 ..< n {
                let x = Float(i) - 30
                XCTAssertEqual(p[i], x < 0 ? x * 0.5 : x)
            }
            XCTAssertEqual(p[n], 12345)
        }
    }

    func testBinaryRowVariants() {
        let a: [Float] = (0 ..< 19).map { Float($0) }, b: [Float] = (0 ..< 19).map { Float($0) * 0.5 + 1 }
        var c = [Float](repeating: .nan, count: 19)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    binaryRow(SubOperation.self, pa.baseAddress!, 0, pb.baseAddress!, 1, pc.baseAddress!, 19)
                }
            }
        }
        XCTAssertEqual(c, b.map { 0 - $0 })
        let x: [Int64] = [.min, 10, -10, 7], y: [Int64] = [-1, 0, 3, -2]
        var z = [Int64](repeating: 99, count: 4)
        x.withUnsafeBufferPointer { px in
            y.withUnsafeBufferPointer { py in
                z.withUnsafeMutableBufferPointer { pz in
                    binaryRow(DivOperation.self, px.baseAddress!, 1, py.baseAddress!, 1, pz.baseAddress!, 4)
                }
            }
        }
        XCTAssertEqual(z, [.min, 0, -3, -3])
    }
}
