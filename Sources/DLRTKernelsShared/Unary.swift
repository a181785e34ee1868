// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations, the function structs of
/// DLRTKernelsCore inlined here (so compiled for this module's ISA; the portable build runs them
/// at half the width and without FMA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    switch g.kind {
    case .elu: unaryLoop(EluFunction(alpha: g.parameter), g.src, g.dst, g.count)
    case .sigmoid: unaryLoop(SigmoidFunction(), g.src, g.dst, g.count)
    case .tanh: unaryLoop(TanhFunction(), g.src, g.dst, g.count)
    case .generic: break
    }
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
