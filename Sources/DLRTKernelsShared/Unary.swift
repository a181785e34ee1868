// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations on this module's `RowVector`
/// (VectorMath.swift: the function structs' code, compiled for this module's ISA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    switch g.kind {
    case .elu: unaryRowLoop(g, RowElu(alpha: RowVector(repeating: g.parameter)))
    case .sigmoid: unaryRowLoop(g, RowSigmoid())
    case .tanh: unaryRowLoop(g, RowTanh())
    case .erf: unaryRowLoop(g, RowErf())
    case .generic: break
    }
}

/// One function of the `unary` entry. (Structs specialize the loop; a closure argument was
/// measured called out of line once per vector.)
protocol RowUnaryFunction { func callAsFunction(_ x: RowVector) -> RowVector }
struct RowElu: RowUnaryFunction {
    let alpha: RowVector
    @inline(__always) func callAsFunction(_ x: RowVector) -> RowVector {
        (alpha * (rowExp(x) - 1)).replacing(with: x, where: x .> 0)
    }
}
struct RowSigmoid: RowUnaryFunction { @inline(__always) func callAsFunction(_ x: RowVector) -> RowVector { rowSigmoid(x) } }
struct RowTanh: RowUnaryFunction { @inline(__always) func callAsFunction(_ x: RowVector) -> RowVector { rowTanh(x) } }
struct RowErf: RowUnaryFunction { @inline(__always) func callAsFunction(_ x: RowVector) -> RowVector { rowErf(x) } }

/// dst[i] = f(src[i]) on this module's `RowVector` (16 lanes with AVX-512); `f` is lane for lane
/// the function struct's code, so the results equal the portable loop's (`mapUnary`).
@inline(__always)
func unaryRowLoop<F: RowUnaryFunction>(_ g: UnaryArgs, _ f: F) {
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
