// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `recurrentCell` (`RecurrentCellArgs`): one batch row's gate math on this module's
/// `RowVector` (16 lanes with AVX-512); the partial tail goes through the same vector code (unused
/// lanes 0). sigmoid and tanh are force-inlined here (`cellSigmoid`, `cellTanh`): VectorMath's
/// @inline(__always) rowSigmoid / rowTanh were measured left out of line in this loop body
/// (a call per vector, operands through memory), a third of the cell's time.
func isaRecurrentCell(_ args: UnsafeRawPointer) {
    let g = args.load(as: RecurrentCellArgs.self)
    let full = g.hidden - g.hidden % rowLanes
    if g.clip.isFinite {
        if g.gru { gruCellRow(g, full, clip: true) } else { lstmCellRow(g, full, clip: true) }
    } else {
        if g.gru { gruCellRow(g, full, clip: false) } else { lstmCellRow(g, full, clip: false) }
    }
}

@inline(__always)
func cellClamp(_ v: RowVector, _ c: Float, _ on: Bool) -> RowVector {
    guard on else { return v }
    return v.replacing(with: -c, where: v .< -c).replacing(with: c, where: v .> c)
}

@inline(__always)
func cellLoad(_ p: UnsafePointer<Float>, _ k: Int) -> RowVector { k == rowLanes ? rowLoad(p) : rowLoadPartial(p, k, fill: 0) }

@inline(__always)
func cellStore(_ v: RowVector, _ p: UnsafeMutablePointer<Float>, _ k: Int) {
    if k == rowLanes { rowStore(v, p) } else { rowStorePartial(v, p, k) }
}

@inline(__always)
func lstmCellRow(_ g: RecurrentCellArgs, _ full: Int, clip on: Bool) {
    var j = 0
    while j < full { lstmCellLanes(g, j, rowLanes, on); j += rowLanes }
    if full < g.hidden { lstmCellLanes(g, full, g.hidden - full, on) }
}

/// Gate blocks i, o, f, c.
@inline(__always)
func lstmCellLanes(_ g: RecurrentCellArgs, _ j: Int, _ k: Int, _ on: Bool) {
    let n = g.hidden, xw = g.xw + j, pre = g.pre + j
    let i = cellSigmoid(cellClamp(cellLoad(xw, k) + cellLoad(pre, k), g.clip, on))
    let o = cellSigmoid(cellClamp(cellLoad(xw + n, k) + cellLoad(pre + n, k), g.clip, on))
    let f = cellSigmoid(cellClamp(cellLoad(xw + 2 * n, k) + cellLoad(pre + 2 * n, k), g.clip, on))
    let cc = cellTanh(cellClamp(cellLoad(xw + 3 * n, k) + cellLoad(pre + 3 * n, k), g.clip, on))
    let cn = f * cellLoad(g.c + j, k) + i * cc
    cellStore(cn, g.c + j, k)
    cellStore(o * cellTanh(cn), g.h + j, k)
}

@inline(__always)
func gruCellRow(_ g: RecurrentCellArgs, _ full: Int, clip on: Bool) {
    var j = 0
    while j < full { gruCellLanes(g, j, rowLanes, on); j += rowLanes }
    if full < g.hidden { gruCellLanes(g, full, g.hidden - full, on) }
}

/// Gate blocks z, r, h (linear_before_reset = 1).
@inline(__always)
func gruCellLanes(_ g: RecurrentCellArgs, _ j: Int, _ k: Int, _ on: Bool) {
    let n = g.hidden, xw = g.xw + j, pre = g.pre + j
    let z = cellSigmoid(cellClamp(cellLoad(xw, k) + cellLoad(pre, k), g.clip, on))
    let r = cellSigmoid(cellClamp(cellLoad(xw + n, k) + cellLoad(pre + n, k), g.clip, on))
    let hh = cellTanh(cellClamp(cellLoad(xw + 2 * n, k) + r * cellLoad(pre + 2 * n, k), g.clip, on))
    cellStore((1 - z) * hh + z * cellLoad(g.h + j, k), g.h + j, k)
}

/// e^x, lane-wise: Cephes expf (x clamped to [-87, 88]; NaN in gives NaN out), multiply-adds
/// through `rowFMA`.
@_transparent
func cellExp(_ x: RowVector) -> RowVector {
    let xc = x.replacing(with: -87, where: x .< -87).replacing(with: 88, where: x .> 88)
    let magic = RowVector(repeating: 12_582_912)
    let t = rowFMA(xc, RowVector(repeating: 1.442_695_04), magic)
    let n = t - magic
    var r = rowFMA(n, RowVector(repeating: -0.693_359_375), xc)
    r = rowFMA(n, RowVector(repeating: 2.121_944_4e-4), r)
    var p = RowVector(repeating: 1.987_569_15e-4)
    p = rowFMA(p, r, RowVector(repeating: 1.398_199_950_7e-3))
    p = rowFMA(p, r, RowVector(repeating: 8.333_451_907_3e-3))
    p = rowFMA(p, r, RowVector(repeating: 4.166_579_589_4e-2))
    p = rowFMA(p, r, RowVector(repeating: 1.666_666_545_9e-1))
    p = rowFMA(p, r, RowVector(repeating: 5.000_000_120_1e-1))
    let y = rowFMA(p, r * r, r + 1)
    let scale = unsafeBitCast((unsafeBitCast(t, to: RowVectorInt.self) &- 0x4B40_0000 &+ 127) &<< 23, to: RowVector.self)
    return (y * scale).replacing(with: x, where: x .!= x)
}

/// 1 / (1 + e^−x).
@_transparent
func cellSigmoid(_ x: RowVector) -> RowVector { 1 / (1 + cellExp(-x)) }

/// tanh x = 2·sigmoid(2x) − 1 (absolute error below 2e-7).
@_transparent
func cellTanh(_ x: RowVector) -> RowVector { 2 * cellSigmoid(x + x) - 1 }
