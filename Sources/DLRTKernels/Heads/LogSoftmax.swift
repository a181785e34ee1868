// LogSoftmax over the middle dim of a [outer, n, inner] view: y = x − max − ln Σ e^(x − max).
// Like Softmax: NaN anywhere in a group makes the group NaN; a +inf makes it NaN (inf − inf);
// −inf elements give −inf.

import DLRTKernelsCore
import Glibc

/// LogSoftmax of groups `groups` (a range of 0..<outer) of `[outer, n, inner]`. `inner == 1` is
/// the contiguous row case; otherwise 8 neighbouring inner positions go together (no scratch).
/// Rows (`inner == 1`) run in the kernel table's `softmaxRows` entry.
public func logSoftmax(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                       n: Int, inner: Int, groups: Range<Int>, kernels: KernelTable = .active) {
    if n <= 0 || inner <= 0 { return }
    if inner == 1 {
        callKernel(kernels.softmaxRows, SoftmaxRowsArgs(x: x, y: y, n: n, log: true, rows: groups))
        return
    }
    for g in groups {
        let base = g * n * inner
        do {
            var j = 0
            while j < inner {
                logSoftmaxColumns(x + base + j, y + base + j, n: n, stride: inner, lanes: Swift.min(8, inner - j))
                j += 8
            }
        }
    }
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
