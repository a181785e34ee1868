// Softmax over the middle dim of a [outer, n, inner] view: y = e^(x − max) / Σ e^(x − max).
// NaN anywhere in a softmax group makes the whole group NaN (like numpy): the max ignores it,
// but it reaches the sum.

import DLRTKernelsCore

/// Softmax of `outer` groups `[outer, n, inner]`, groups `groups` only (a range of 0..<outer).
/// `inner == 1` is the common contiguous case; otherwise 8 neighbouring inner positions are
/// processed together with contiguous vector loads (no scratch needed). Rows (`inner == 1`) run
/// in the kernel table's `softmaxRows` entry (16 lanes with AVX-512).
public func softmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                    n: Int, inner: Int, groups: Range<Int>, kernels: KernelTable = .active) {
    if n <= 0 || inner <= 0 { return }
    if inner == 1 {
        callKernel(kernels.softmaxRows, SoftmaxRowsArgs(x: x, y: y, n: n, log: false, rows: groups))
        return
    }
    for g in groups {
        let base = g * n * inner
        do {
            var j = 0
            while j < inner {
                softmaxColumns(x + base + j, y + base + j, n: n, stride: inner, lanes: Swift.min(8, inner - j))
                j += 8
            }
        }
    }
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
