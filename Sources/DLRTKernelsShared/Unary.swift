// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `unary` (`UnaryArgs`): the exp-based activations on this module's `RowVector`
/// (VectorMath.swift: the function structs' code, compiled for this module's ISA).
func isaUnary(_ args: UnsafeRawPointer) {
    let g = args.load(as: UnaryArgs.self)
    if g.kind == .generic { return }
    let alpha = RowVector(repeating: g.parameter)
    let full = g.count - g.count % rowLanes
    unaryVectors(g.kind, alpha, g.src, g.dst, full)
    if full < g.count {
        let rest = g.count - full
        rowStorePartial(unaryVector(g.kind, alpha, rowLoadPartial(g.src + full, rest, fill: 0)), g.dst + full, rest)
    }
}

@inline(__always)
func rowUnary(_ kind: UnaryKernel, _ alpha: RowVector, _ x: RowVector) -> RowVector {
    switch kind {
    case .elu: return (alpha * (rowExp(x) - 1)).replacing(with: x, where: x .> 0)
    case .sigmoid: return rowSigmoid(x)
    case .tanh: return rowTanh(x)
    case .erf: return rowErf(x)
    case .gelu: return rowGeluErf(x)
    case .geluTanh: return rowGeluTanh(x)
    case .generic: return x
    }
}

/// As GeluErfFunction.
@inline(__always)
func rowGeluErf(_ x: RowVector) -> RowVector { 0.5 * x * (1 + rowErf(x * 0.707_106_781_186_547_524)) }

/// As GeluTanhFunction, the same operations in the same order.
@inline(__always)
func rowGeluTanh(_ x: RowVector) -> RowVector {
    let inner = RowVector(repeating: 0.797_884_560_802_865_4) * (x + RowVector(repeating: 0.044_715) * x * x * x)
    return RowVector(repeating: 0.5) * x * (RowVector(repeating: 1) + rowTanh(inner))
}

/// dst[i] = f(src[i]) for i < count (a multiple of rowLanes) on this module's `RowVector`, f the
/// function struct's code lane for lane, so the results equal the portable loop's (`mapUnary`).
/// `rowUnary` has one call site here and one in `unaryVector` (the tail): with more in one function
/// the inliner was measured leaving it out of line, or mixing the tail's lane inserts into the loop
/// (xmm/ymm pieces, 2× slower).
/// Erf and the GELUs (the transformers' FFN activation) loop in their own functions: inside the
/// switch of `rowUnary` the optimizer was measured splitting the erf polynomial into ymm/xmm/scalar
/// pieces (GPT int8: the GELU took 16 % of the run); alone in a loop it stays in zmm registers.
@inline(never)
func unaryVectors(_ kind: UnaryKernel, _ alpha: RowVector, _ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                  _ count: Int) {
    switch kind {
    case .erf: erfVectors(src, dst, count)
    case .gelu: geluErfVectors(src, dst, count)
    case .geluTanh: geluTanhVectors(src, dst, count)
    default:
        var i = 0
        while i < count {
            rowStore(rowUnary(kind, alpha, rowLoad(src + i)), dst + i)
            i += rowLanes
        }
    }
}

@inline(never)
func erfVectors(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
        rowStore(rowErf(rowLoad(src + i)), dst + i)
        i += rowLanes
    }
}

@inline(never)
func geluErfVectors(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
        rowStore(rowGeluErf(rowLoad(src + i)), dst + i)
        i += rowLanes
    }
}

@inline(never)
func geluTanhVectors(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
    var i = 0
    while i < count {
        rowStore(rowGeluTanh(rowLoad(src + i)), dst + i)
        i += rowLanes
    }
}

/// One vector through `rowUnary`.
@inline(never)
func unaryVector(_ kind: UnaryKernel, _ alpha: RowVector, _ x: RowVector) -> RowVector { rowUnary(kind, alpha, x) }
