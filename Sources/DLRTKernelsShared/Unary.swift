// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations, the function structs of
/// DLRTKernelsCore inlined here (so compiled for this module's ISA; the portable build runs them
/// at half the width and without FMA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    let alpha = RowVector(repeating: g.parameter)
    switch g.kind {
    case .elu: unaryRowLoop(g) { x in (alpha * (ewExp(x) - 1)).replacing(with: x, where: x .> 0) }
    case .sigmoid: unaryRowLoop(g) { ewSigmoid($0) }
    case .tanh: unaryRowLoop(g) { ewTanh($0) }
    case .generic: break
    }
}

/// dst[i] = f(src[i]) on this module's `RowVector` (16 lanes with AVX-512); `f` is lane for lane
/// the function struct's code, so the results equal `unaryLoop`'s (and the portable loop's).
@inline(__always)
func unaryRowLoop(_ g: UnaryArgs, _ f: (RowVector) -> RowVector) {
    let src = g.src, dst = g.dst, count = g.count
    var i = 0
    while i + 2 * rowLanes <= count {
        let a = f(rowLoad(src + i)), b = f(rowLoad(src + i + rowLanes))
        rowStore(a, dst + i); rowStore(b, dst + i + rowLanes)
        i += 2 * rowLanes
    }
    while i + rowLanes <= count { rowStore(f(rowLoad(src + i)), dst + i); i += rowLanes }
    if i < count { rowStorePartial(f(rowLoadPartial(src + i, count - i, fill: 0)), dst + i, count - i) }
}

/// The loop of `mapUnary` (DLRTKernels/Elementwise/Unary.swift), repeated here on purpose: a
/// generic function of DLRTKernelsCore specialized in this module would be a weak symbol shared
/// with the other ISA modules (scripts/check_isa_symbols.sh); this one is mangled with this module's
/// name. Same lanes, same order, so the results equal the portable loop's for the same ISA.
@inline(__always)
func unaryLoop<F: UnaryFloatFunction>(_ f: F, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                      _ count: Int) {
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
