import CDLRTSupport
import DLRTKernels
import XCTest

/// The int8 depthwise kernels (Sources/CDLRTSupport/qdepthwise.c) against
/// `QuantizedDepthwiseReference`, bit for bit, on every ISA path this CPU supports: channel counts
/// around the 16-lane block (1…67), odd sizes, strides 1–3, dilation, asymmetric and over-sized
/// pads, every fused activation, u8 and float32 outputs; outputs start NaN / 0xAB filled.
final class QDepthwiseTests: XCTestCase {
    var isas: [Int32] { (0 ..< Int32(CDLRT_QISA_COUNT)).filter { cdlrt_qgemm_isa_supported($0) != 0 } }
    static let lanes = Int(CDLRT_QDW_LANES)

    struct Case {
        var channels = 16, inH = 9, inW = 11, k = (3, 3), stride = (1, 1), pads = (1, 1, 1, 1), dilation = (1, 1)
        var activation = DenseActivation(.none)
        var u8Out = true, bias = true, nonFiniteBias = false
    }

    func check(_ t: Case, _ rng: inout TestRNG, file: StaticString = #filePath, line: UInt = #line) {
        var s = Conv2DShape()
        s.batch = 1
        s.group = t.channels; s.inChannels = t.channels; s.outChannels = t.channels
        s.inH = t.inH; s.inW = t.inW; s.kH = t.k.0; s.kW = t.k.1
        s.strideH = t.stride.0; s.strideW = t.stride.1; s.dilationH = t.dilation.0; s.dilationW = t.dilation.1
        s.padTop = t.pads.0; s.padLeft = t.pads.1
        s.outH = (t.inH + t.pads.0 + t.pads.2 - (t.k.0 - 1) * t.dilation.0 - 1) / t.stride.0 + 1
        s.outW = (t.inW + t.pads.1 + t.pads.3 - (t.k.1 - 1) * t.dilation.1 - 1) / t.stride.1 + 1
        guard s.outH > 0, s.outW > 0 else { return }
        let C = t.channels, taps = s.kH * s.kW, blocks = (C + Self.lanes - 1) / Self.lanes
        let x = (0 ..< C * s.inH * s.inW).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let w = (0 ..< C * taps).map { i in i % 7 == 0 ? Int8(-127) : Int8(truncatingIfNeeded: rng.next() % 255) }
        let xScale: Float = 0.0173, xZero = Int32(rng.next() % 256)
        let wScales = (0 ..< C).map { Float(1 + $0 % 5) * 0.0021 }
        var bias = t.bias ? (0 ..< C).map { Float(Int($0 % 9) - 4) * 0.37 } : nil
        if t.nonFiniteBias, C >= 3 { bias?[0] = .nan; bias?[1] = .infinity; bias?[2] = -.infinity }
        let y: (scale: Float, zero: Int32)? = t.u8Out ? (0.043, 131) : nil
        let want = QuantizedDepthwiseReference.run(s, x: x, xScale: xScale, xZero: xZero, w: w, wScales: wScales, bias: bias,
                                                   activation: t.activation, y: y)
        // The layouts QuantizedDepthwiseConv prepares at load.
        var packed = [Int32](repeating: 0, count: blocks * taps * Self.lanes)
        var mult = [Float](repeating: 0, count: blocks * Self.lanes)
        var paddedBias = [Float](repeating: 0, count: blocks * Self.lanes)
        for c in 0 ..< C {
            for tap in 0 ..< taps { packed[(c / Self.lanes * taps + tap) * Self.lanes + c % Self.lanes] = Int32(w[c * taps + tap]) }
            mult[c] = xScale * wScales[c]
            paddedBias[c] = bias?[c] ?? 0
        }
        var g = cdlrt_conv_geometry(h: Int32(s.inH), w: Int32(s.inW), kh: Int32(s.kH), kw: Int32(s.kW), stride_h: Int32(s.strideH),
                                    stride_w: Int32(s.strideW), pad_top: Int32(s.padTop), pad_left: Int32(s.padLeft),
                                    dil_h: Int32(s.dilationH), dil_w: Int32(s.dilationW), out_h: Int32(s.outH), out_w: Int32(s.outW))
        let scratchBytes = cdlrt_qdw_scratch_bytes(&g)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(64, scratchBytes), alignment: 64)
        defer { scratch.deallocate() }
        let outCount = C * s.outPlane
        for isa in isas {
            scratch.initializeMemory(as: UInt8.self, repeating: 0xCD, count: max(64, scratchBytes))
            var yu8 = [UInt8](repeating: 0xAB, count: outCount)
            var yf = [Float](repeating: .nan, count: outCount)
            x.withUnsafeBufferPointer { px in packed.withUnsafeBufferPointer { pw in mult.withUnsafeBufferPointer { pm in
                paddedBias.withUnsafeBufferPointer { pb in yu8.withUnsafeMutableBufferPointer { pu in yf.withUnsafeMutableBufferPointer { pf in
                    var a = cdlrt_qdw_args()
                    a.g = g
                    a.channels = Int32(C)
                    a.x = px.baseAddress
                    a.x_zero = xZero
                    a.weights = pw.baseAddress
                    a.multiplier = pm.baseAddress
                    a.bias = t.bias ? pb.baseAddress : nil
                    a.activation = Int32(t.activation.kind.rawValue)
                    a.act_alpha = t.activation.alpha; a.act_min = t.activation.min; a.act_max = t.activation.max
                    if let y { a.y_u8 = pu.baseAddress; a.y_scale = y.scale; a.y_zero = y.zero } else { a.y_f32 = pf.baseAddress }
                    // Two calls over disjoint block ranges: the split must not matter.
                    let mid = Int32(blocks / 2)
                    cdlrt_qdepthwise(isa, &a, 0, mid, scratch)
                    cdlrt_qdepthwise(isa, &a, mid, Int32(blocks), scratch)
                }}}}}}
            let got = t.u8Out ? yu8.map { Float($0) } : yf
            if let i = (0 ..< outCount).first(where: { got[$0].bitPattern != want[$0].bitPattern }) {
                XCTFail("\(String(cString: cdlrt_qgemm_isa_name(isa))) \(t): element \(i) got \(got[i]) want \(want[i])", file: file, line: line)
                return
            }
        }
    }

    func testAgainstReferenceEveryISA() {
        var rng = TestRNG(seed: 110)
        let acts = [DenseActivation(.none), DenseActivation(.relu), DenseActivation(.clip, min: 0, max: 6),
                    DenseActivation(.leakyRelu, alpha: 0.1), DenseActivation(.sigmoid), DenseActivation(.tanh)]
        var n = 0
        for channels in [1, 2, 7, 15, 16, 17, 31, 33, 67] {
            for (h, w) in [(1, 1), (3, 5), (9, 11), (17, 7), (67, 3), (5, 33), (3, 47)] {  // ≥ 16 wide: the plane path
                for stride in [1, 2, 3] {
                    var t = Case()
                    t.channels = channels; t.inH = h; t.inW = w; t.stride = (stride, stride)
                    t.activation = acts[n % acts.count]
                    t.u8Out = n % 3 != 2
                    t.bias = n % 4 != 3
                    t.k = n % 5 == 4 ? (5, 5) : n % 7 == 6 ? (1, 1) : (3, 3)
                    t.pads = n % 6 == 5 ? (0, 0, 1, 1) : n % 6 == 4 ? (3, 2, 0, 4) : (t.k.0 / 2, t.k.1 / 2, t.k.0 / 2, t.k.1 / 2)
                    t.dilation = n % 8 == 7 ? (2, 2) : (1, 1)
                    check(t, &rng)
                    n += 1
                }
            }
        }
        // Rectangular kernels and 1-row images (1-D convs).
        var t = Case()
        t.channels = 19; t.inH = 1; t.inW = 33; t.k = (1, 5); t.pads = (0, 2, 0, 2); t.activation = DenseActivation(.clip, min: -1, max: 2)
        check(t, &rng)
        t.u8Out = false; t.stride = (1, 2)
        check(t, &rng)
        // Wide rows (the AVX-512 plane path) with asymmetric / oversized pads and every activation.
        for (i, act) in [DenseActivation(.none), .init(.relu), .init(.clip, min: 0, max: 6), .init(.leakyRelu, alpha: 0.1),
                         .init(.sigmoid), .init(.tanh)].enumerated() {
            var t = Case()
            t.channels = 5 + 7 * i; t.inH = 4 + i; t.inW = 31 + 5 * i; t.stride = (1 + i % 2, 1 + i % 2)
            t.pads = i % 3 == 0 ? (0, 0, 1, 1) : i % 3 == 1 ? (2, 3, 1, 0) : (1, 1, 1, 1)
            t.activation = act; t.u8Out = i % 2 == 0; t.bias = i != 3
            check(t, &rng)
        }
    }

    /// NaN and ±∞ after the bias (a hostile file's bias): NaN → the zero point, ±∞ saturate, on every path.
    func testNonFiniteBias() {
        var rng = TestRNG(seed: 111)
        for act in [DenseActivation(.none), DenseActivation(.relu), DenseActivation(.clip, min: 0, max: 6)] {
            var t = Case()
            t.channels = 18; t.activation = act; t.nonFiniteBias = true
            check(t, &rng)
        }
    }
}
