import DLRTKernelsCore

/// Plain definition of QuantizedDepthwiseConv (op 110; CDLRTSupport/qdepthwise.c is tested
/// against it bit for bit): for channel c and output pixel (oh, ow),
///   acc = Σ_{kh, kw in the image} (x[c, ih, iw] − xZero) · w[c, kh, kw]      (int32)
///   y   = act(Float(acc) · (xScale · wScales[c]) + bias[c])                    (QuantReference.epilogue)
///   out = y (float32), or QuantReference.quantize(y, yScale, yZero) (u8).
public enum QuantizedDepthwiseReference {
    /// x [N, C, inH, inW] u8, w [C, kH·kW] s8, bias [C] or nil → y [N, C, outH, outW] as Float
    /// (u8 output: the codes as Float).
    public static func run(_ s: Conv2DShape, x: [UInt8], xScale: Float, xZero: Int32, w: [Int8], wScales: [Float],
                           bias: [Float]?, activation: DenseActivation, y: (scale: Float, zero: Int32)?) -> [Float] {
        let C = s.inChannels
        var out = [Float](repeating: 0, count: s.batch * C * s.outH * s.outW)
        for n in 0 ..< s.batch {
            for c in 0 ..< C {
                for oh in 0 ..< s.outH {
                    for ow in 0 ..< s.outW {
                        var acc: Int32 = 0
                        for kh in 0 ..< s.kH {
                            for kw in 0 ..< s.kW {
                                let ih = oh * s.strideH - s.padTop + kh * s.dilationH
                                let iw = ow * s.strideW - s.padLeft + kw * s.dilationW
                                guard ih >= 0, ih < s.inH, iw >= 0, iw < s.inW else { continue }
                                let xv = Int32(x[((n * C + c) * s.inH + ih) * s.inW + iw]) - xZero
                                acc &+= xv &* Int32(w[(c * s.kH + kh) * s.kW + kw])
                            }
                        }
                        let v = QuantReference.epilogue(acc, aScale: xScale, bScale: wScales[c], bias: bias?[c], activation)
                        let i = ((n * C + c) * s.outH + oh) * s.outW + ow
                        out[i] = y.map { Float(QuantReference.quantize(v, scale: $0.scale, zero: $0.zero)) } ?? v
                    }
                }
            }
        }
        return out
    }
}
