// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

/// Table entry `recurrentCell` (`RecurrentCellArgs`): one batch row's gate math on this module's
/// `RowVector` (16 lanes with AVX-512), sigmoid / tanh from VectorMath.swift; the partial tail goes
/// through the same vector code (unused lanes 0).
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
    let i = rowSigmoid(cellClamp(cellLoad(xw, k) + cellLoad(pre, k), g.clip, on))
    let o = rowSigmoid(cellClamp(cellLoad(xw + n, k) + cellLoad(pre + n, k), g.clip, on))
    let f = rowSigmoid(cellClamp(cellLoad(xw + 2 * n, k) + cellLoad(pre + 2 * n, k), g.clip, on))
    let cc = rowTanh(cellClamp(cellLoad(xw + 3 * n, k) + cellLoad(pre + 3 * n, k), g.clip, on))
    let cn = f * cellLoad(g.c + j, k) + i * cc
    cellStore(cn, g.c + j, k)
    cellStore(o * rowTanh(cn), g.h + j, k)
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
    let z = rowSigmoid(cellClamp(cellLoad(xw, k) + cellLoad(pre, k), g.clip, on))
    let r = rowSigmoid(cellClamp(cellLoad(xw + n, k) + cellLoad(pre + n, k), g.clip, on))
    let hh = rowTanh(cellClamp(cellLoad(xw + 2 * n, k) + r * cellLoad(pre + 2 * n, k), g.clip, on))
    cellStore((1 - z) * hh + z * cellLoad(g.h + j, k), g.h + j, k)
}
