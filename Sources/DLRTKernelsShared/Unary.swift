// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations on this module's `RowVector`
/// (VectorMath.swift: the function structs' code, compiled for this module's ISA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    let alpha = RowVector(repeating: g.parameter)
    switch g.kind {
    case .elu: unaryRowLoop(g) { x in (alpha * (rowExp(x) - 1)).replacing(with: x, where: x .> 0) }
    case .sigmoid: unaryRowLoop(g) { rowSigmoid($0) }
    case .tanh: unaryRowLoop(g) { rowTanh($0) }
    case .erf: unaryRowLoop(g) { rowErf($0) }
    case .generic: break
    }
}

/// dst[i] = f(src[i]) on this module's `RowVector` (16 lanes with AVX-512); `f` is lane for lane
/// the function struct's code, so the results equal the portable loop's (`mapUnary`).
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
