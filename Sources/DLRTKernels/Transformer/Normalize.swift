// LayerNormalization rows and the Reduce* family, float32.

import DLRTKernelsCore
import Glibc

/// LayerNormalization of rows `rows` of a [rows, n] matrix: y = (x − mean) / sqrt(var + eps) ·
/// scale + bias, with the mean and the (biased) variance computed in two passes. `scale` and
/// `bias` hold n elements (stride 1) or one (stride 0); `bias` may be nil. Runs in the kernel
/// table's `layerNormRows` entry (16 lanes with AVX-512); other strides take the loop below.
public func layerNormRows(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, epsilon: Float,
                          scale: UnsafePointer<Float>, scaleStride: Int, bias: UnsafePointer<Float>?, biasStride: Int,
                          rows: Range<Int>, kernels: KernelTable = .active) {
    if n <= 0 { return }
    if (scaleStride == 0 || scaleStride == 1) && (biasStride == 0 || biasStride == 1) {
        callKernel(kernels.layerNormRows, LayerNormRowsArgs(x: x, y: y, n: n, epsilon: epsilon, scale: scale,
                                                            scaleStride: scaleStride, bias: bias,
                                                            biasStride: biasStride, rows: rows))
        return
    }
    for r in rows {
        let xr = x + r * n, yr = y + r * n
        var vs = SIMD8<Float>(repeating: 0)
        var i = 0
        while i + 8 <= n { vs += ewLoad8(xr + i); i += 8 }
        var s = vs.sum()
        while i < n { s += xr[i]; i += 1 }
        let mean = s / Float(n)
        let vm = SIMD8<Float>(repeating: mean)
        var vq = SIMD8<Float>(repeating: 0)
        i = 0
        while i + 8 <= n { let d = ewLoad8(xr + i) - vm; vq += d * d; i += 8 }
        var q = vq.sum()
        while i < n { let d = xr[i] - mean; q += d * d; i += 1 }
        let inv = 1 / (q / Float(n) + epsilon).squareRoot()
        if scaleStride == 1 && (bias == nil || biasStride == 1) {
            i = 0
            while i + 8 <= n {
                var v = (ewLoad8(xr + i) - vm) * inv * ewLoad8(scale + i)
                if let bias { v += ewLoad8(bias + i) }
                ewStore8(v, yr + i)
                i += 8
            }
            while i < n {
                yr[i] = (xr[i] - mean) * inv * scale[i] + (bias?[i] ?? 0)
                i += 1
            }
        } else {
            for k in 0 ..< n { yr[k] = (xr[k] - mean) * inv * scale[k * scaleStride] + (bias?[k * biasStride] ?? 0) }
        }
    }
}

// MARK: - Reductions

/// One reduction: start value, accumulate one element, merge two partial results, finish.
public protocol ReduceOperation {
    static var initial: Float { get }
    static func accumulate(_ acc: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float>
    static func merge(_ a: Float, _ b: Float) -> Float
    static func finish(_ acc: Float, count: Int) -> Float
}

extension ReduceOperation {
    @inlinable @inline(__always)
    static func accumulate(_ acc: Float, _ x: Float) -> Float {
        accumulate(SIMD8(repeating: acc), SIMD8(repeating: x))[0]
    }
    @inlinable @inline(__always) public static func finish(_ acc: Float, count: Int) -> Float { acc }
}

public enum ReduceSumOperation: ReduceOperation {
    @inlinable public static var initial: Float { 0 }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { a + x }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { a + b }
}

public enum ReduceMeanOperation: ReduceOperation {
    @inlinable public static var initial: Float { 0 }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { a + x }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { a + b }
    @inlinable @inline(__always) public static func finish(_ acc: Float, count: Int) -> Float { acc / Float(count) }
}

/// Max; NaN wins (numpy).
public enum ReduceMaxOperation: ReduceOperation {
    @inlinable public static var initial: Float { -.infinity }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: x, where: (x .> a) .| (x .!= x))
    }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { b > a || b.isNaN ? b : a }
}

/// Min; NaN wins (numpy).
public enum ReduceMinOperation: ReduceOperation {
    @inlinable public static var initial: Float { .infinity }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> {
        a.replacing(with: x, where: (x .< a) .| (x .!= x))
    }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { b < a || b.isNaN ? b : a }
}

public enum ReduceL2Operation: ReduceOperation {
    @inlinable public static var initial: Float { 0 }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { a + x * x }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { a + b }
    @inlinable @inline(__always) public static func finish(_ acc: Float, count: Int) -> Float { acc.squareRoot() }
}

public enum ReduceProdOperation: ReduceOperation {
    @inlinable public static var initial: Float { 1 }
    @inlinable @inline(__always) public static func accumulate(_ a: SIMD8<Float>, _ x: SIMD8<Float>) -> SIMD8<Float> { a * x }
    @inlinable @inline(__always) public static func merge(_ a: Float, _ b: Float) -> Float { a * b }
}

/// Reduction of a [outer, r, inner] view over r, for outputs `outs` (flat indices into
/// [outer, inner]). Contiguous rows (inner = 1) use 8 partial accumulators merged at the end;
/// otherwise 8 neighbouring inner positions are reduced together.
@inlinable
public func reduceMiddle<Op: ReduceOperation>(_: Op.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                              r: Int, inner: Int, outs: Range<Int>) {
    if inner == 1 {
        for o in outs {
            let xr = x + o * r
            var acc = SIMD8<Float>(repeating: Op.initial)
            var i = 0
            while i + 8 <= r { acc = Op.accumulate(acc, ewLoad8(xr + i)); i += 8 }
            var s = Op.initial
            for j in 0 ..< 8 { s = Op.merge(s, acc[j]) }
            while i < r { s = Op.accumulate(s, xr[i]); i += 1 }
            y[o] = Op.finish(s, count: r)
        }
        return
    }
    var o = outs.lowerBound
    while o < outs.upperBound {
        let g = o / inner, j = o % inner
        let lanes = Swift.min(8, inner - j, outs.upperBound - o)
        let base = x + g * r * inner + j
        var acc = SIMD8<Float>(repeating: Op.initial)
        for k in 0 ..< r {
            let v = lanes == 8 ? ewLoad8(base + k * inner) : ewLoadPartial(base + k * inner, lanes)
            acc = Op.accumulate(acc, v)
        }
        for l in 0 ..< lanes { y[o + l] = Op.finish(acc[l], count: r) }
        o += lanes
    }
}

/// Reduction through offset tables: y[o] = reduce over t of x[base[o] + offsets[t]].
@inlinable
public func reduceGathered<Op: ReduceOperation>(_: Op.Type, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                                                base: UnsafePointer<Int>, offsets: UnsafeBufferPointer<Int>, outs: Range<Int>) {
    for o in outs {
        let b = x + base[o]
        var s = Op.initial
        for t in offsets { s = Op.accumulate(s, b[t]) }
        y[o] = Op.finish(s, count: offsets.count)
    }
}
