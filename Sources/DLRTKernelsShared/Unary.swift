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

/// dst[i] = f(src[i]) on this module's `RowVector` (16 lanes with AVX-512); `f` is lane for lane
/// the function struct's code, so the results equal the portable loop's (`mapUnary`).
@inline(__always)
func unaryRowLoop(_ g: UnaryArgs, _ kind: UnaryKernel) {
    let alpha = RowVector(repeating: g.parameter)
    let src = g.src, dst = g.dst, count = g.count
    var i = 0
    while i + 2 * rowLanes <= count {
        let a = rowUnary(kind, alpha, rowLoad(src + i)), b = rowUnary(kind, alpha, rowLoad(src + i + rowLanes))
        rowStore(a, dst + i); rowStore(b, dst + i + rowLanes)
        i += 2 * rowLanes
    }
    while i + rowLanes <= count { rowStore(rowUnary(kind, alpha, rowLoad(src + i)), dst + i); i += rowLanes }
    if i < count { rowStorePartial(rowUnary(kind, alpha, rowLoadPartial(src + i, count - i, fill: 0)), dst + i, count - i) }
}
