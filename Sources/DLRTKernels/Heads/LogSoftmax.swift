// LogSoftmax over the middle dim of a [outer, n, inner] view: y = x − max − ln Σ e^(x − max).
// Like Softmax: NaN anywhere in a group makes the group NaN; a +inf makes it NaN (inf − inf);
// −inf elements give −inf.

import Glibc

/// LogSoftmax of groups `groups` (a range of 0..<outer) of `[outer, n, inner]`. `inner == 1` is
/// the contiguous row case; otherwise 8 neighbouring inner positions go together (no scratch).
public func logSoftmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                       n: Int, inner: Int, groups: Range<Int>) {
    if n <= 0 || inner <= 0 { return }
    for g in groups {
        let base = g * n * inner
        if inner == 1 {
            logSoftmaxRow(x + base, y + base, n)
        } else {
            var j = 0
            while j < inner {
                logSoftmaxColumns(x + base + j, y + base + j, n: n, stride: inner, lanes: Swift.min(8, inner - j))
                j += 8
            }
        }
    }
}

/// One contiguous row of `n` floats. The max and the sum use four independent accumulators
/// (32 elements per step) so the loops are not bound by one dependency chain.
@inline(__always)
func logSoftmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    @inline(__always) func maxLanes(_ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> { a.replacing(with: b, where: b .> a) }
    var m0 = SIMD8<Float>(repeating: -.infinity), m1 = m0, m2 = m0, m3 = m0
    var i = 0
    while i + 32 <= n {
        m0 = maxLanes(m0, ewLoad8(x + i)); m1 = maxLanes(m1, ewLoad8(x + i + 8))
        m2 = maxLanes(m2, ewLoad8(x + i + 16)); m3 = maxLanes(m3, ewLoad8(x + i + 24))
        i += 32
    }
    while i + 8 <= n { m0 = maxLanes(m0, ewLoad8(x + i)); i += 8 }
    var m = maxLanes(maxLanes(m0, m1), maxLanes(m2, m3)).max()
    while i < n {
        if x[i] > m { m = x[i] }
        i += 1
    }
    let vmax = SIMD8<Float>(repeating: m)
    var s0 = SIMD8<Float>(repeating: 0), s1 = s0, s2 = s0, s3 = s0
    i = 0
    while i + 32 <= n {
        s0 += ewExp(ewLoad8(x + i) - vmax); s1 += ewExp(ewLoad8(x + i + 8) - vmax)
        s2 += ewExp(ewLoad8(x + i + 16) - vmax); s3 += ewExp(ewLoad8(x + i + 24) - vmax)
        i += 32
    }
    while i + 8 <= n { s0 += ewExp(ewLoad8(x + i) - vmax); i += 8 }
    if i < n {
        let e = ewExp(ewLoadPartial(x + i, n - i) - vmax)
        for j in 0 ..< (n - i) { s0[j] += e[j] }
    }
    // All −inf: m = −inf, and x − m is NaN; ONNX gives NaN there too (onnxruntime as well).
    let shift = SIMD8<Float>(repeating: m + logf(((s0 + s1) + (s2 + s3)).sum()))
    i = 0
    while i + 8 <= n {
        ewStore8(ewLoad8(x + i) - shift, y + i)
        i += 8
    }
    while i < n { y[i] = x[i] - shift[0]; i += 1 }
}

/// Down `lanes` (≤ 8) neighbouring columns of a [n, stride] block.
@inline(__always)
func logSoftmaxColumns(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, stride: Int, lanes: Int) {
    @inline(__always) func load(_ k: Int) -> SIMD8<Float> {
        lanes == 8 ? ewLoad8(x + k * stride) : ewLoadPartial(x + k * stride, lanes)
    }
    var vm = SIMD8<Float>(repeating: -.infinity)
    for k in 0 ..< n {
        let v = load(k)
        vm = vm.replacing(with: v, where: v .> vm)
    }
    var vs = SIMD8<Float>(repeating: 0)
    for k in 0 ..< n { vs += ewExp(load(k) - vm) }
    var shift = vm
    for j in 0 ..< lanes { shift[j] = vm[j] + logf(vs[j]) }
    for k in 0 ..< n {
        let v = load(k) - shift
        if lanes == 8 { ewStore8(v, y + k * stride) } else { ewStorePartial(v, y + k * stride, lanes) }
    }
}
