// Plain scalar reference implementations of the elementwise and layout ops, written for
// obviousness, not speed. Tests compare the fast kernels against these.

import Glibc

public enum ElementwiseReference {
    public static func relu(_ x: Float) -> Float { x < 0 ? 0 : x }
    public static func leakyRelu(_ x: Float, alpha: Float) -> Float { x < 0 ? alpha * x : x }
    public static func elu(_ x: Float, alpha: Float) -> Float { x > 0 ? x : alpha * (expf(x) - 1) }
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + expf(-x)) }
    public static func tanh(_ x: Float) -> Float { tanhf(x) }
    /// numpy.clip order: max with lo first, then min with hi; NaN stays NaN.
    public static func clip(_ x: Float, min lo: Float, max hi: Float) -> Float {
        var y = x
        if y < lo { y = lo }
        if y > hi { y = hi }
        return y
    }

    /// Row-major strides of `shape`.
    public static func strides(_ shape: [Int]) -> [Int] {
        var s = [Int](repeating: 1, count: shape.count)
        var k = shape.count - 2
        while k >= 0 { s[k] = s[k + 1] * shape[k + 1]; k -= 1 }
        return s
    }

    /// Multi-index of flat position `flat` in `shape`.
    public static func index(_ flat: Int, _ shape: [Int]) -> [Int] {
        var idx = [Int](repeating: 0, count: shape.count)
        var rest = flat
        for d in stride(from: shape.count - 1, through: 0, by: -1) where shape[d] > 0 {
            idx[d] = rest % shape[d]
            rest /= shape[d]
        }
        return idx
    }

    /// numpy broadcasting of `a` (shape `sa`) with `b` (shape `sb`) through `f`; nil when the
    /// shapes are incompatible.
    public static func broadcast<T>(_ a: [T], _ sa: [Int], _ b: [T], _ sb: [Int],
                                    _ f: (T, T) -> T) -> (values: [T], shape: [Int])? {
        let r = max(sa.count, sb.count)
        let pa = [Int](repeating: 1, count: r - sa.count) + sa
        let pb = [Int](repeating: 1, count: r - sb.count) + sb
        var out: [Int] = []
        for d in 0 ..< r {
            if pa[d] == pb[d] || pb[d] == 1 { out.append(pa[d]) } else if pa[d] == 1 { out.append(pb[d]) } else { return nil }
        }
        let stA = strides(pa), stB = strides(pb)
        let count = out.reduce(1, *)
        var values: [T] = []
        values.reserveCapacity(count)
        for flat in 0 ..< count {
            let idx = index(flat, out)
            var ia = 0, ib = 0
            for d in 0 ..< r {
                ia += (pa[d] == 1 ? 0 : idx[d]) * stA[d]
                ib += (pb[d] == 1 ? 0 : idx[d]) * stB[d]
            }
            values.append(f(a[ia], b[ib]))
        }
        return (values, out)
    }

    /// Integer division truncating toward zero; x / 0 = 0; MIN / −1 wraps to MIN.
    public static func divide<T: FixedWidthInteger & SignedInteger>(_ a: T, _ b: T) -> T {
        if b == 0 { return 0 }
        if b == -1 { return 0 &- a }
        return a / b
    }

    /// Softmax over `axis` of `shape` (coerce2d: over all dims from `axis` on), in Double.
    public static func softmax(_ x: [Float], shape: [Int], axis: Int, coerce2d: Bool) -> [Float] {
        let outer = shape[..<axis].reduce(1, *)
        let n = coerce2d ? shape[axis...].reduce(1, *) : shape[axis]
        let inner = coerce2d ? 1 : shape[(axis + 1)...].reduce(1, *)
        var y = [Float](repeating: 0, count: x.count)
        for o in 0 ..< outer {
            for j in 0 ..< inner {
                var m = -Float.infinity
                for k in 0 ..< n where x[(o * n + k) * inner + j] > m { m = x[(o * n + k) * inner + j] }
                var s = 0.0
                for k in 0 ..< n { s += exp(Double(x[(o * n + k) * inner + j] - m)) }
                for k in 0 ..< n { y[(o * n + k) * inner + j] = Float(exp(Double(x[(o * n + k) * inner + j] - m)) / s) }
            }
        }
        return y
    }

    /// BatchNormalization (inference) on [N, C, …].
    public static func batchNormalization(_ x: [Float], shape: [Int], scale: [Float], bias: [Float],
                                          mean: [Float], variance: [Float], epsilon: Float) -> [Float] {
        let c = shape[1]
        let spatial = shape[2...].reduce(1, *)
        return x.indices.map { i in
            let ch = (i / spatial) % c
            return (x[i] - mean[ch]) / sqrtf(variance[ch] + epsilon) * scale[ch] + bias[ch]
        }
    }

    /// Transpose of any element type.
    public static func transpose<T>(_ x: [T], shape: [Int], perm: [Int]) -> [T] {
        let out = perm.map { shape[$0] }
        let st = strides(shape)
        return (0 ..< x.count).map { flat in
            let idx = index(flat, out)
            var src = 0
            for (k, p) in perm.enumerated() { src += idx[k] * st[p] }
            return x[src]
        }
    }

    /// Concat of any element type along `axis` (non-negative).
    public static func concat<T>(_ inputs: [([T], [Int])], axis: Int) -> [T] {
        guard let first = inputs.first else { return [] }
        let outer = first.1[..<axis].reduce(1, *)
        var y: [T] = []
        for o in 0 ..< outer {
            for (v, s) in inputs {
                let chunk = s[axis...].reduce(1, *)
                y.append(contentsOf: v[(o * chunk) ..< ((o + 1) * chunk)])
            }
        }
        return y
    }
}
