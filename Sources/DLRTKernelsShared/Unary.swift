// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations on this module's `RowVector`
/// (VectorMath.swift: the function structs' code, compiled for this module's ISA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    // A constant `kind` per call: once the loop is inlined the switch in `rowUnary` folds away
    // (see Binary.swift for why not a closure or a protocol).
    switch g.kind {
    case .elu: unaryRowLoop(g, .elu)
    case .sigmoid: unaryRowLoop(g, .sigmoid)
    case .tanh: unaryRowLoop(g, .tanh)
    case .erf: unaryRowLoop(g, .erf)
    case .generic: break
    }
}

@inline(__always)
func rowUnary(_ kind: UnaryKernel, _ alpha: RowVector, _ x: RowVector) -> RowVector {
    switch kind {
    case .elu: return (alpha * (rowExp(x) - 1)).replacing(with: x, where: x .> 0)
    case .sigmoid: return rowSigmoid(x)
    case .tanh: return rowTanh(x)
    case .erf: return rowErf(x)
    case .generic: return x
    }
}

/// dst[i] = f(src[i]) on this module's `RowVector` (16 lanes with AVX-512), f the function struct's
/// code lane for lane, so the results equal the portable loop's (`mapUnary`). One call site of
/// `rowUnary` (the tail is a partial vector): with more, the inliner was measured leaving it out of
/// line (a call per vector).
@inline(__always)
func unaryRowLoop(_ g: UnaryArgs, _ kind: UnaryKernel) {
    let alpha = RowVector(repeating: g.parameter)
    let src = g.src, dst = g.dst, count = g.count
    var i = 0
    while i < count {
        let k = Swift.min(rowLanes, count - i)
        let x = k == rowLanes ? rowLoad(src + i) : rowLoadPartial(src + i, k, fill: 0)
        let y = rowUnary(kind, alpha, x)
        if k == rowLanes { rowStore(y, dst + i) } else { rowStorePartial(y, dst + i, k) }
        i += rowLanes
    }
}
