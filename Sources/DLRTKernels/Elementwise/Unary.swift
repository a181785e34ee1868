// The elementwise activation loop. Functions with a table kernel (Elu, Sigmoid, Tanh: exp-based,
// compute-bound) run in the per-ISA modules; the others (cheap, memory-bound) here.
import DLRTKernelsCore

/// dst[i] = f(src[i]) for i in 0..<count. `dst` may equal `src`.
@inlinable
public func mapUnary<F: UnaryFloatFunction>(_ f: F, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                            _ count: Int) {
    let (kind, parameter) = f.kernel
    if kind != .generic {
        mapUnaryTable(kind, parameter, src, dst, count)
        return
    }
    var i = 0
    while i + 32 <= count {
        let a = f(ewLoad8(src + i)), b = f(ewLoad8(src + i + 8))
        let c = f(ewLoad8(src + i + 16)), d = f(ewLoad8(src + i + 24))
        ewStore8(a, dst + i); ewStore8(b, dst + i + 8); ewStore8(c, dst + i + 16); ewStore8(d, dst + i + 24)
        i += 32
    }
    while i + 8 <= count {
        ewStore8(f(ewLoad8(src + i)), dst + i)
        i += 8
    }
    if i < count {
        ewStorePartial(f(ewLoadPartial(src + i, count - i)), dst + i, count - i)
    }
}

/// `mapUnary` by the active kernel table (out of line: one call per buffer).
public func mapUnaryTable(_ kind: UnaryKernel, _ parameter: Float, _ src: UnsafePointer<Float>,
                          _ dst: UnsafeMutablePointer<Float>, _ count: Int, kernels: KernelTable = .active) {
    callKernel(kernels.unary, UnaryArgs(kind: kind, parameter: parameter, src: src, dst: dst, count: count))
}
