// Scalar references for the transformer ops (Gather, LayerNormalization, Reduce*, Slice, Trilu),
// written for obviousness; tests compare the fast kernels against these.

import Glibc

public enum TransformerReference {
    /// Gather along `axis`; out-of-range indices give `zero`.
    public static func gather<T>(_ data: [T], shape: [Int], indices: [Int64], axis: Int, zero: T) -> [T] {
        let outer = shape[..<axis].reduce(1, *), d = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        var y: [T] = []
        for o in 0 ..< outer {
            for i in indices {
                let k = i < 0 ? i + Int64(d) : i
                for j in 0 ..< inner { y.append(k < 0 || k >= Int64(d) ? zero : data[(o * d + Int(k)) * inner + j]) }
            }
        }
        return y
    }

    /// LayerNormalization over the last `n` elements of each row, in Double.
    public static func layerNorm(_ x: [Float], n: Int, scale: [Float], bias: [Float]?, epsilon: Float) -> [Float] {
        var y = x
        for r in 0 ..< (n == 0 ? 0 : x.count / n) {
            let row = x[(r * n) ..< ((r + 1) * n)].map(Double.init)
            let mean = row.reduce(0, +) / Double(n)
            let v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n)
            for k in 0 ..< n {
                let s = Double(scale[scale.count == 1 ? 0 : k]), b = bias.map { Double($0[$0.count == 1 ? 0 : k]) } ?? 0
                y[r * n + k] = Float((row[k] - mean) / (v + Double(epsilon)).squareRoot() * s + b)
            }
        }
        return y
    }

    /// Reduction of `shape` over `axes` (keepdims layout: reduced dims become 1), in Double:
    /// `kind` is "sum", "mean", "max", "min", "l2" or "prod".
    public static func reduce(_ x: [Float], shape: [Int], axes: Set<Int>, kind: String) -> [Float] {
        let outShape = shape.indices.map { axes.contains($0) ? 1 : shape[$0] }
        let count = outShape.reduce(1, *)
        var acc = [[Double]](repeating: [], count: count)
        let st = ElementwiseReference.strides(outShape)
        for f in 0 ..< x.count {
            let idx = ElementwiseReference.index(f, shape)
            var o = 0
            for k in shape.indices where !axes.contains(k) { o += idx[k] * st[k] }
            acc[o].append(Double(x[f]))
        }
        return acc.map { v in
            switch kind {
            case "sum": return Float(v.reduce(0, +))
            case "mean": return Float(v.reduce(0, +) / Double(v.count))
            case "max": return v.contains { $0.isNaN } ? .nan : Float(v.max() ?? -.infinity)
            case "min": return v.contains { $0.isNaN } ? .nan : Float(v.min() ?? .infinity)
            case "l2": return Float(v.map { $0 * $0 }.reduce(0, +).squareRoot())
            default: return Float(v.reduce(1, *))
            }
        }
    }

    /// Slice by per-axis (start, step, count).
    public static func slice<T>(_ x: [T], shape: [Int], params: [(start: Int, step: Int, count: Int)]) -> [T] {
        let out = params.map(\.count), st = ElementwiseReference.strides(shape)
        return (0 ..< out.reduce(1, *)).map { f in
            let idx = ElementwiseReference.index(f, out)
            var src = 0
            for k in idx.indices { src += (params[k].start + idx[k] * params[k].step) * st[k] }
            return x[src]
        }
    }

    /// Trilu on the last two dims.
    public static func trilu<T>(_ x: [T], shape: [Int], k: Int, upper: Bool, zero: T) -> [T] {
        let n = shape[shape.count - 2], m = shape[shape.count - 1]
        return x.indices.map { f in
            let i = (f / m) % n, j = f % m
            return (upper ? j - i >= k : j - i <= k) ? x[f] : zero
        }
    }
}
