import Glibc

/// Plain, obviously correct definitions of dlrt's int8 arithmetic (docs/QUANTIZATION.md). The C
/// kernels (`Sources/CDLRTSupport/qgemm*.c`) are tested against these bit for bit.
public enum QuantReference {
    /// Asymmetric u8 parameters for values whose finite range, widened to include 0, is [lo, hi]:
    /// scale = (hi − lo) / 255 (1 when that is 0), zero = clamp(round(−lo / scale), 0, 255).
    public static func dynamicParams(_ x: some Sequence<Float>) -> (scale: Float, zero: Int32) {
        var lo: Float = 0, hi: Float = 0
        for v in x where v.isFinite {
            lo = Swift.min(lo, v)
            hi = Swift.max(hi, v)
        }
        var s = Float((Double(hi) - Double(lo)) / 255)
        if !(s > 0) || !s.isFinite { s = 1 }
        let z = (-lo / s).rounded(.toNearestOrEven)
        return (s, Int32(Swift.min(Swift.max(z, 0), 255)))
    }

    /// q = clamp(round_half_even(x / scale) + zero, 0, 255); NaN → zero.
    public static func quantize(_ x: Float, scale: Float, zero: Int32) -> UInt8 {
        if x.isNaN { return UInt8(Swift.min(Swift.max(zero, 0), 255)) }
        let q = (x / scale).rounded(.toNearestOrEven) + Float(zero)
        return UInt8(Swift.min(Swift.max(q, 0), 255))
    }

    /// Symmetric int8 weights per output channel: scale = max|w| / 127 (1 when all are 0),
    /// q = clamp(round_half_even(w / scale), −127, 127).
    public static func symmetricScale(_ w: some Sequence<Float>) -> Float {
        var m: Float = 0
        for v in w { m = Swift.max(m, Swift.abs(v)) }
        return m > 0 ? m / 127 : 1
    }

    public static func quantizeSymmetric(_ w: Float, scale: Float) -> Int8 {
        let q = (w / scale).rounded(.toNearestOrEven)
        return Int8(Swift.min(Swift.max(q, -127), 127))
    }

    /// The fused activation as the int8 epilogue applies it (Relu / Clip as clamps).
    public static func activate(_ a: DenseActivation, _ y: Float) -> Float {
        switch a.kind {
        case .none: return y
        case .relu: return y < 0 ? 0 : y
        case .clip:
            let v = y < a.min ? a.min : y
            return v > a.max ? a.max : v
        case .leakyRelu: return y < 0 ? y * a.alpha : y
        case .sigmoid: return 1 / (1 + expf(-y))
        case .tanh: return tanhf(y)
        }
    }

    /// The epilogue's value for one accumulator: act(Float(acc) · (aScale · bScale) + bias).
    public static func epilogue(_ acc: Int32, aScale: Float, bScale: Float, bias: Float?, _ act: DenseActivation) -> Float {
        var y = Float(acc) * (aScale * bScale)
        if let b = bias { y = y + b }
        return activate(act, y)
    }

    /// C[i, j] = Σ_k (a[i·lda + k] − aZero[i]) · b[k·n + j] with wrapping int32 arithmetic.
    public static func qgemm(m: Int, n: Int, k: Int, a: [UInt8], lda: Int, aZero: [Int32], b: [Int8]) -> [Int32] {
        var c = [Int32](repeating: 0, count: m * n)
        for i in 0 ..< m {
            for j in 0 ..< n {
                var s: Int32 = 0
                for kk in 0 ..< k {
                    s = s &+ (Int32(a[i * lda + kk]) &- aZero[i]) &* Int32(b[kk * n + j])
                }
                c[i * n + j] = s
            }
        }
        return c
    }
}
