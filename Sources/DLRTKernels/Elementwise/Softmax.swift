// Softmax over the middle dim of a [outer, n, inner] view: y = e^(x − max) / Σ e^(x − max).
// NaN anywhere in a softmax group makes the whole group NaN (like numpy): the max ignores it,
// but it reaches the sum.

/// Softmax of `outer` groups `[outer, n, inner]`, groups `groups` only (a range of 0..<outer).
/// `inner == 1` is the common contiguous case; otherwise 8 neighbouring inner positions are
/// processed together with contiguous vector loads (no scratch needed).
public func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                    n: Int, inner: Int, groups: Range<Int>) {
    if n <= 0 || inner <= 0 { return }
    for g in groups {
        let base = g * n * inner
        if inner == 1 {
            softmaxRow(x + base, y + base, n)
        } else {
            var j = 0
            while j < inner {
                softmaxColumns(x + base + j, y + base + j, n: n, stride: inner, lanes: Swift.min(8, inner - j))
                j += 8
            }
        }
    }
}

/// Softmax of one contiguous row of `n` floats.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    // max
    var vm = SIMD8<Float>(repeating: -.infinity)
    var i = 0
    while i + 8 <= n {
        let v = ewLoad8(x + i)
        vm = vm.replacing(with: v, where: v .> vm)
        i += 8
    }
    var m = vm.max()
    while i < n {
        if x[i] > m { m = x[i] }
        i += 1
    }
    // exp and sum
    let vmax = SIMD8<Float>(repeating: m)
    var vs = SIMD8<Float>(repeating: 0)
    i = 0
    while i + 8 <= n {
        let e = ewExp(ewLoad8(x + i) - vmax)
        ewStore8(e, y + i)
        vs += e
        i += 8
    }
    if i < n {
        let e = ewExp(ewLoadPartial(x + i, n - i) - vmax)
        ewStorePartial(e, y + i, n - i)
        for j in 0 ..< (n - i) { vs[j] += e[j] }
    }
    let inv = 1 / vs.sum()
    // scale
    i = 0
    while i + 8 <= n {
        ewStore8(ewLoad8(y + i) * inv, y + i)
        i += 8
    }
    while i < n { y[i] *= inv; i += 1 }
}

/// Softmax down `lanes` (≤ 8) neighbouring columns of a [n, stride] block.
@inline(__always)
func softmaxColumns(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, n: Int, stride: Int, lanes: Int) {
    @inline(__always) func load(_ k: Int) -> SIMD8<Float> {
        lanes == 8 ? ewLoad8(x + k * stride) : ewLoadPartial(x + k * stride, lanes)
    }
    @inline(__always) func store(_ v: SIMD8<Float>, _ k: Int) {
        if lanes == 8 { ewStore8(v, y + k * stride) } else { ewStorePartial(v, y + k * stride, lanes) }
    }
    var vm = SIMD8<Float>(repeating: -.infinity)
    for k in 0 ..< n {
        let v = load(k)
        vm = vm.replacing(with: v, where: v .> vm)
    }
    var vs = SIMD8<Float>(repeating: 0)
    for k in 0 ..< n {
        let e = ewExp(load(k) - vm)
        store(e, k)
        vs += e
    }
    let inv = 1 / vs
    for k in 0 ..< n {
        let v = lanes == 8 ? ewLoad8(y + k * stride) : ewLoadPartial(y + k * stride, lanes)
        store(v * inv, k)
    }
}
