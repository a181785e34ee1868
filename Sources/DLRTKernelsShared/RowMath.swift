// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
// Row kernels of Softmax / LogSoftmax and LayerNormalization on this module's `RowVector`
// (RowVector.swift: 16 lanes with AVX-512, 8 otherwise). The partial tail of a row goes through
// the same vector code (its unused lanes filled with a neutral value), so every element of a row
// gets the same operations whatever its position; sums are reduced lane by lane in a fixed order
// (results do not depend on the thread count; across ISAs they differ in the last bits because
// the number of partial sums is the lane count).
import DLRTKernelsCore
import Glibc

let rowLanes = RowVector.scalarCount

/// The first `count` (< rowLanes) floats at `p`; the other lanes are `fill`.
@inline(__always)
func rowLoadPartial(_ p: UnsafePointer<Float>, _ count: Int, fill: Float) -> RowVector {
    var v = RowVector(repeating: fill)
    var j = 0
    while j < count { v[j] = p[j]; j += 1 }
    return v
}

/// Stores the low `count` (< rowLanes) lanes of `v`.
@inline(__always)
func rowStorePartial(_ v: RowVector, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    var j = 0
    while j < count { p[j] = v[j]; j += 1 }
}

/// Lane 0 + lane 1 + … in that order.
@inline(__always)
func rowSum(_ v: RowVector) -> Float {
    var s: Float = 0
    var j = 0
    while j < rowLanes { s += v[j]; j += 1 }
    return s
}

/// Lane-wise max ignoring NaN in `b` (NaN reaches the result through the sum instead).
@inline(__always)
func rowMax(_ a: RowVector, _ b: RowVector) -> RowVector { a.replacing(with: b, where: b .> a) }

/// max over x[0..<n] (−inf when every element is NaN or −inf).
@inline(__always)
func rowMaxValue(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
    var m0 = RowVector(repeating: -.infinity), m1 = m0
    var i = 0
    while i + 2 * rowLanes <= n {
        m0 = rowMax(m0, rowLoad(x + i)); m1 = rowMax(m1, rowLoad(x + i + rowLanes))
        i += 2 * rowLanes
    }
    if i + rowLanes <= n { m0 = rowMax(m0, rowLoad(x + i)); i += rowLanes }
    if i < n { m0 = rowMax(m0, rowLoadPartial(x + i, n - i, fill: -.infinity)) }
    let v = rowMax(m0, m1)
    var m = -Float.infinity
    var j = 0
    while j < rowLanes { if v[j] > m { m = v[j] }; j += 1 }
    return m
}

/// Table entry `softmaxRows` (`SoftmaxRowsArgs`).
func isaSoftmaxRows(_ args: UnsafeRawPointer) {
    let g = args.load(as: SoftmaxRowsArgs.self)
    if g.n <= 0 { return }
    var r = g.lo
    while r < g.hi {
        if g.log { isaLogSoftmaxRow(g.x + r * g.n, g.y + r * g.n, g.n) } else { isaSoftmaxRow(g.x + r * g.n, g.y + r * g.n, g.n) }
        r += 1
    }
}

/// y = e^(x − max) / Σ e^(x − max). The tail lanes hold −inf, whose exponential adds an exact 0.
@inline(__always)
func isaSoftmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let vmax = RowVector(repeating: rowMaxValue(x, n))
    var s0 = RowVector(), s1 = RowVector()
    var i = 0
    while i + 2 * rowLanes <= n {
        let e0 = rowExpNonPositive(rowLoad(x + i) - vmax), e1 = rowExpNonPositive(rowLoad(x + i + rowLanes) - vmax)
        rowStore(e0, y + i); rowStore(e1, y + i + rowLanes)
        s0 += e0; s1 += e1
        i += 2 * rowLanes
    }
    if i + rowLanes <= n {
        let e = rowExpNonPositive(rowLoad(x + i) - vmax)
        rowStore(e, y + i)
        s0 += e
        i += rowLanes
    }
    if i < n {
        let e = rowExpNonPositive(rowLoadPartial(x + i, n - i, fill: -.infinity) - vmax)
        rowStorePartial(e, y + i, n - i)
        s1 += e
    }
    let inv = RowVector(repeating: 1 / rowSum(s0 + s1))
    i = 0
    while i + rowLanes <= n { rowStore(rowLoad(y + i) * inv, y + i); i += rowLanes }
    if i < n { rowStorePartial(rowLoadPartial(y + i, n - i, fill: 0) * inv, y + i, n - i) }
}

/// y = (x − max) − ln Σ e^(x − max). All −inf gives NaN (x − max), as in onnxruntime.
@inline(__always)
func isaLogSoftmaxRow(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let m = rowMaxValue(x, n)
    let vmax = RowVector(repeating: m)
    var s0 = RowVector(), s1 = RowVector()
    var i = 0
    while i + 2 * rowLanes <= n {
        s0 += rowExpNonPositive(rowLoad(x + i) - vmax); s1 += rowExpNonPositive(rowLoad(x + i + rowLanes) - vmax)
        i += 2 * rowLanes
    }
    if i + rowLanes <= n { s0 += rowExpNonPositive(rowLoad(x + i) - vmax); i += rowLanes }
    if i < n { s1 += rowExpNonPositive(rowLoadPartial(x + i, n - i, fill: -.infinity) - vmax) }
    // (x − max) − ln Σ, not x − (max + ln Σ): max + ln Σ rounds away ln Σ when |max| is huge.
    let logSum = RowVector(repeating: logf(rowSum(s0 + s1)))
    i = 0
    while i + rowLanes <= n { rowStore((rowLoad(x + i) - vmax) - logSum, y + i); i += rowLanes }
    if i < n { rowStorePartial((rowLoadPartial(x + i, n - i, fill: 0) - vmax) - logSum, y + i, n - i) }
}

/// Table entry `layerNormRows` (`LayerNormRowsArgs`).
func isaLayerNormRows(_ args: UnsafeRawPointer) {
    let g = args.load(as: LayerNormRowsArgs.self)
    let n = g.n
    if n <= 0 { return }
    @inline(__always) func param(_ p: UnsafePointer<Float>, _ stride: Int, _ i: Int, _ count: Int) -> RowVector {
        if stride == 0 { return RowVector(repeating: p[0]) }
        return count == rowLanes ? rowLoad(p + i) : rowLoadPartial(p + i, count, fill: 0)
    }
    var r = g.lo
    while r < g.hi {
        let x = g.x + r * n, y = g.y + r * n
        // mean (tail lanes add 0)
        var s0 = RowVector(), s1 = RowVector()
        var i = 0
        while i + 2 * rowLanes <= n { s0 += rowLoad(x + i); s1 += rowLoad(x + i + rowLanes); i += 2 * rowLanes }
        if i + rowLanes <= n { s0 += rowLoad(x + i); i += rowLanes }
        if i < n { s1 += rowLoadPartial(x + i, n - i, fill: 0) }
        let mean = rowSum(s0 + s1) / Float(n)
        let vm = RowVector(repeating: mean)
        // biased variance (tail lanes hold the mean: they add 0)
        var q0 = RowVector(), q1 = RowVector()
        i = 0
        while i + 2 * rowLanes <= n {
            let d0 = rowLoad(x + i) - vm, d1 = rowLoad(x + i + rowLanes) - vm
            q0 += d0 * d0; q1 += d1 * d1
            i += 2 * rowLanes
        }
        if i + rowLanes <= n { let d = rowLoad(x + i) - vm; q0 += d * d; i += rowLanes }
        if i < n { let d = rowLoadPartial(x + i, n - i, fill: mean) - vm; q1 += d * d }
        let inv = RowVector(repeating: 1 / (rowSum(q0 + q1) / Float(n) + g.epsilon).squareRoot())
        i = 0
        while i < n {
            let count = Swift.min(rowLanes, n - i)
            let xv = count == rowLanes ? rowLoad(x + i) : rowLoadPartial(x + i, count, fill: 0)
            var v = (xv - vm) * inv * param(g.scale, g.scaleStride, i, count)
            if let bias = g.bias { v += param(bias, g.biasStride, i, count) }
            if count == rowLanes { rowStore(v, y + i) } else { rowStorePartial(v, y + i, count) }
            i += rowLanes
        }
        r += 1
    }
}
