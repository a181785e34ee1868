// Plain scalar references for op codes 60–79 (activations, PRelu, LogSoftmax, n-ary
// Min/Max/Mean/Sum, ArgMax/ArgMin, TopK), written for obviousness, computed in Double where it
// matters. The fast kernels in Heads/ are tested against these.

import Glibc

public enum HeadsReference {
    // MARK: activations

    public static func softplus(_ x: Float) -> Float {
        let d = Double(x)
        return Float(d > 0 ? d + log1p(exp(-d)) : log1p(exp(d)))
    }
    public static func hardSigmoid(_ x: Float, alpha: Float, beta: Float) -> Float {
        if x.isNaN { return x }
        return Swift.max(0, Swift.min(1, alpha * x + beta))
    }
    public static func hardSwish(_ x: Float) -> Float { x * hardSigmoid(x, alpha: 1 / Float(6), beta: 0.5) }
    public static func selu(_ x: Float, alpha: Float, gamma: Float) -> Float {
        Float(x > 0 ? Double(gamma) * Double(x) : Double(gamma) * (Double(alpha) * exp(Double(x)) - Double(alpha)))
    }
    public static func mish(_ x: Float) -> Float {
        let d = Double(x)
        let sp = d > 0 ? d + log1p(exp(-d)) : log1p(exp(d))
        return Float(d * Glibc.tanh(sp))
    }
    public static func geluErf(_ x: Float) -> Float {
        let d = Double(x)
        return Float(0.5 * d * (1 + erf(d / 2.0.squareRoot())))
    }
    public static func geluTanh(_ x: Float) -> Float {
        let d = Double(x)
        return Float(0.5 * d * (1 + Glibc.tanh((2 / Double.pi).squareRoot() * (d + 0.044715 * d * d * d))))
    }
    public static func softsign(_ x: Float) -> Float { x / (1 + Swift.abs(x)) }
    public static func floor(_ x: Float) -> Float { x.rounded(.down) }
    public static func ceil(_ x: Float) -> Float { x.rounded(.up) }
    /// Halves to even.
    public static func round(_ x: Float) -> Float { x.rounded(.toNearestOrEven) }
    /// 1, −1, +0 for ±0, NaN for NaN.
    public static func sign(_ x: Float) -> Float { x.isNaN ? x : (x > 0 ? 1 : (x < 0 ? -1 : 0)) }

    // MARK: PRelu

    /// x < 0 ? slope·x : x, slope broadcast to x's shape (unidirectional); nil when it does not.
    public static func prelu(_ x: [Float], _ sx: [Int], slope: [Float], _ ss: [Int]) -> [Float]? {
        guard let r = ElementwiseReference.broadcast(x, sx, slope, ss, { v, a in v < 0 ? a * v : v }), r.shape == sx
        else { return nil }
        return r.values
    }

    // MARK: LogSoftmax

    /// log(softmax(x)) over `axis` (coerce2d: over all dims from `axis` on), in Double.
    public static func logSoftmax(_ x: [Float], shape: [Int], axis: Int, coerce2d: Bool) -> [Float] {
        let outer = shape[..<axis].reduce(1, *)
        let n = coerce2d ? shape[axis...].reduce(1, *) : shape[axis]
        let inner = coerce2d ? 1 : shape[(axis + 1)...].reduce(1, *)
        var y = [Float](repeating: 0, count: x.count)
        for o in 0 ..< outer {
            for j in 0 ..< inner {
                let at = { (k: Int) in (o * n + k) * inner + j }
                var m = -Double.infinity
                for k in 0 ..< n where Double(x[at(k)]) > m { m = Double(x[at(k)]) }
                var s = 0.0
                for k in 0 ..< n { s += exp(Double(x[at(k)]) - m) }
                for k in 0 ..< n { y[at(k)] = Float(Double(x[at(k)]) - m - log(s)) }
            }
        }
        return y
    }

    // MARK: Min / Max / Mean / Sum

    public enum NaryKind { case min, max, mean, sum }

    /// The n-ary op over `inputs` with numpy broadcasting; Min / Max propagate NaN.
    public static func nary(_ kind: NaryKind, _ inputs: [([Float], [Int])]) -> (values: [Float], shape: [Int])? {
        guard var acc = inputs.first else { return nil }
        for next in inputs.dropFirst() {
            guard let r = ElementwiseReference.broadcast(acc.0, acc.1, next.0, next.1, { a, b in
                switch kind {
                case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
                case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
                case .mean, .sum: return a + b
                }
            }) else { return nil }
            acc = (r.values, r.shape)
        }
        if kind == .mean { acc.0 = acc.0.map { $0 / Float(inputs.count) } }
        return (acc.0, acc.1)
    }

    /// Integer Min / Max with numpy broadcasting.
    public static func naryInt<T: FixedWidthInteger>(max: Bool, _ inputs: [([T], [Int])]) -> (values: [T], shape: [Int])? {
        guard var acc = inputs.first else { return nil }
        for next in inputs.dropFirst() {
            guard let r = ElementwiseReference.broadcast(acc.0, acc.1, next.0, next.1, { a, b in max ? Swift.max(a, b) : Swift.min(a, b) })
            else { return nil }
            acc = (r.values, r.shape)
        }
        return acc
    }

    // MARK: ArgMax / ArgMin

    /// Index of the largest (smallest) element along `axis`; ties: the first, or the last with
    /// `selectLast`. NaN never replaces a number found before it. Output keeps `axis` as 1 (the
    /// caller drops it for keepdims = 0; the values are the same).
    public static func argReduce<T: Comparable>(_ x: [T], shape: [Int], axis: Int, max: Bool, selectLast: Bool) -> [Int64] {
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var out: [Int64] = []
        for o in 0 ..< outer {
            for j in 0 ..< inner {
                var best = 0
                for k in 1 ..< Swift.max(1, n) {
                    let v = x[(o * n + k) * inner + j], b = x[(o * n + best) * inner + j]
                    let wins = max ? (v > b || (selectLast && v == b)) : (v < b || (selectLast && v == b))
                    if wins { best = k }
                }
                out.append(Int64(best))
            }
        }
        return out
    }

    // MARK: TopK

    /// The k largest (smallest) elements along `axis`, sorted best first; ties: lower index
    /// first; NaN ranks above every number (onnxruntime's order). Output shape: x's with `axis`
    /// replaced by k.
    public static func topK<T: Comparable>(_ x: [T], shape: [Int], axis: Int, k: Int, largest: Bool) -> (values: [T], indices: [Int64]) {
        let outer = shape[..<axis].reduce(1, *), n = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var values = [T](), indices = [Int64]()
        var slots = [(Int, Int, T, Int64)]()  // (o, j, value, index) in output order
        for o in 0 ..< outer {
            for j in 0 ..< inner {
                let column = (0 ..< n).map { (x[(o * n + $0) * inner + j], $0) }
                let sorted = column.sorted { a, b in
                    let aNaN = a.0 != a.0, bNaN = b.0 != b.0
                    if aNaN || bNaN {
                        if aNaN && bNaN { return a.1 < b.1 }
                        return largest ? aNaN : bNaN
                    }
                    if a.0 == b.0 { return a.1 < b.1 }
                    return largest ? a.0 > b.0 : a.0 < b.0
                }
                for r in 0 ..< k { slots.append((o, j, sorted[r].0, Int64(sorted[r].1))) }
            }
        }
        // Reorder from [outer, inner, k] to [outer, k, inner].
        for o in 0 ..< outer {
            for r in 0 ..< k {
                for j in 0 ..< inner {
                    let s = slots[(o * inner + j) * k + r]
                    values.append(s.2)
                    indices.append(s.3)
                }
            }
        }
        return (values, indices)
    }
}
