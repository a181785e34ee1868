// Shared by the per-ISA kernel modules (each ISA directory holds a symlink to this file, so the
// same source is compiled once per `-target-cpu`; see docs/ARCHITECTURE.md). Only raw pointers,
// trivial structs and SIMD operators here: no generic code that a module could share with another.
import DLRTKernelsCore

/// Table entry `gemmCompute` (`SGEMMComputeArgs`). Loop order: row blocks of A → K blocks →
/// `isaGemmBlock` (B panels → A panels → micro-kernel). Each C element is always produced by
/// the same sequence of operations (one FMA chain over a K block, then the finish), whatever
/// subset of panels a call covers and whichever micro-kernel covers it, so splitting the panels
/// among threads gives bit-identical results.
func isaGemmCompute(_ args: UnsafeRawPointer) {
    let g = args.load(as: SGEMMComputeArgs.self)
    if g.aLo >= g.aHi || g.bLo >= g.bHi { return }
    var ic = g.aLo
    while ic < g.aHi {
        // All K blocks of one row block before the next: its rows of C (≤ 96 × N) stay in L2
        // between the K blocks instead of being swept from memory once per K block.
        let icEnd = ic + sgemmMCPanels < g.aHi ? ic + sgemmMCPanels : g.aHi
        var pc = 0
        repeat {
            let kc = g.k - pc < sgemmKC ? g.k - pc : sgemmKC
            isaGemmBlock(GemmBlock(g, kc: kc, pc: pc, aLo: ic, aHi: icEnd))
            pc += kc
        } while pc < g.k
        ic = icEnd
    }
}

/// One K block of A panels `aLo..<aHi` × B panels `bLo..<bHi`.
struct GemmBlock {
    let kc: Int, k: Int, pc: Int, m: Int, n: Int
    let packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let e: DenseEpilogue
    let accumulate: Bool, final: Bool
    let aLo: Int, aHi: Int, bLo: Int, bHi: Int

    @inline(__always)
    init(_ g: SGEMMComputeArgs, kc: Int, pc: Int, aLo: Int, aHi: Int) {
        self.kc = kc; self.k = g.k; self.pc = pc; self.m = g.m; self.n = g.n
        packedA = g.packedA; packedB = g.packedB
        c = g.c; ldc = g.ldc
        e = g.epilogue
        accumulate = pc > 0
        final = pc + kc >= g.k
        self.aLo = aLo; self.aHi = aHi; bLo = g.bLo; bHi = g.bHi
    }

    /// Packed A panel `p` at this K block; the next panel is `aStride` floats further.
    @inline(__always) func a(_ p: Int) -> UnsafePointer<Float> { packedA + p * sgemmMR * k + pc * sgemmMR }
    @inline(__always) var aStride: Int { sgemmMR * k }
    /// Packed B panel `q` at this K block; the next panel is `bStride` floats further.
    @inline(__always) func b(_ q: Int) -> UnsafePointer<Float> { packedB + q * sgemmNR * k + pc * sgemmNR }
    @inline(__always) var bStride: Int { sgemmNR * k }
    /// Where the tile of A panel `p` × B panel `q` goes: its C origin, rows and columns left in C
    /// from there, and the epilogue offset to it.
    @inline(__always)
    func out(_ p: Int, _ q: Int) -> TileOut {
        let i0 = p * sgemmMR, j0 = q * sgemmNR
        return TileOut(c: c + i0 * ldc + j0, ldc: ldc, rows: m - i0, cols: n - j0, accumulate: accumulate, final: final,
                       e: final ? e.offset(row: i0, col: j0) : e)
    }
}

/// Output side of one micro-kernel call (also used by the small-M kernels).
struct TileOut {
    var c: UnsafeMutablePointer<Float>
    var ldc: Int
    var rows: Int
    var cols: Int
    var accumulate: Bool
    var final: Bool
    var e: DenseEpilogue

    /// Finishes the kernel's accumulators, spilled row-major by (row, 16-column panel) as `tile`.
    @inline(__always)
    func finish<Tile>(_ tile: inout Tile, rows tileRows: Int, panels: Int) {
        withUnsafePointer(to: &tile) {
            sgemmFinishTile(UnsafeRawPointer($0).assumingMemoryBound(to: Float.self), tileRows, panels, self)
        }
    }
}

/// Finishes a register tile spilled to `tile` (`tileRows` × `panels` blocks of 16 floats, row-major
/// by block) into C: rows < `o.rows`, columns < `o.cols`. One out-of-line call per tile keeps the
/// kernels small (with the epilogue inlined per row the optimizer stopped inlining it, and even the
/// SIMD loads, into the kernels).
@inline(never)
func sgemmFinishTile(_ tile: UnsafePointer<Float>, _ tileRows: Int, _ panels: Int, _ o: TileOut) {
    let rows = tileRows < o.rows ? tileRows : o.rows
    if !o.final && o.cols >= panels * 16 {
        // A K block before the last, full-width tile: C (+)= tile, 16 columns at a time.
        var r = 0
        while r < rows {
            var p = 0
            while p < panels {
                let t = tile + (r * panels + p) * 16
                let c = o.c + r * o.ldc + p * 16
                var x = load16(t)
                if o.accumulate { x += load16(c) }
                UnsafeMutableRawPointer(c).storeBytes(of: x, as: SIMD16<Float>.self)
                p += 1
            }
            r += 1
        }
        return
    }
    let e = o.e
    if o.cols >= panels * 16 && e.activation.isVectorizable && e.biasColStride <= 1 {
        // Last K block, full-width tile, vector epilogue.
        finishFull(tile, rows, panels, o)
        return
    }
    var p = 0
    while p < panels {
        let j = p * 16
        let nr = o.cols - j < 16 ? o.cols - j : 16
        if nr <= 0 { break }
        let ep = o.final && p > 0 ? o.e.offset(row: 0, col: j) : o.e
        var r = 0
        while r < rows {
            let t = tile + (r * panels + p) * 16
            sgemmFinishRow(load8(t), load8(t + 8), r, o.c + j, o.ldc, nr, o.accumulate, o.final, ep)
            r += 1
        }
        p += 1
    }
}

/// `sgemmFinishTile` of a full-width tile in its last K block: C = act(alpha · (tile [+ C]) + beta · bias),
/// 16 columns at a time — the same operations, element for element, as `sgemmFinishRow`.
@inline(__always)
func finishFull(_ tile: UnsafePointer<Float>, _ rows: Int, _ panels: Int, _ o: TileOut) {
    let e = o.e
    let a = e.activation
    let beta = SIMD16<Float>(repeating: e.beta)
    var r = 0
    while r < rows {
        var p = 0
        while p < panels {
            let c = o.c + r * o.ldc + p * 16
            var x = load16(tile + (r * panels + p) * 16)
            if o.accumulate { x += load16(c) }
            if e.alpha != 1 { x *= e.alpha }
            if let bias = e.bias, e.beta != 0 {
                let br = bias + r * e.biasRowStride + p * 16 * e.biasColStride
                if e.biasColStride == 0 {
                    x += SIMD16<Float>(repeating: e.beta * br[0])
                } else {
                    fma16(&x, beta, load16(br))
                }
            }
            switch a.kind {  // the same choice every time: predicted
            case .relu: x.replace(with: 0, where: x .< 0)
            case .leakyRelu: x.replace(with: x * a.alpha, where: x .< 0)
            case .clip:  // min(max(v, min), max): when min > max every value becomes max
                x.replace(with: a.min, where: x .< a.min)
                x.replace(with: a.max, where: x .> a.max)
            default: break
            }
            UnsafeMutableRawPointer(c).storeBytes(of: x, as: SIMD16<Float>.self)
            p += 1
        }
        r += 1
    }
}

/// Finishes row `r` of a tile (16 columns as two halves): stores it, adding the tile already in C
/// when `accumulate`, applying the epilogue when `final`. The common case (full 16 columns, a
/// vector activation, no per-row bias stride) runs in registers here; the rest (edge tiles,
/// sigmoid/tanh, transposed bias) goes to the out-of-line `sgemmFinishRowScalar`.
@inline(__always)
func sgemmFinishRow(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ r: Int, _ c: UnsafeMutablePointer<Float>,
                    _ ldc: Int, _ nr: Int, _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    let row = c + r * ldc
    if nr == 16 && (!final || (e.activation.isVectorizable && e.biasColStride <= 1)) {
        var x0 = v0, x1 = v1
        if accumulate { x0 += load8(row); x1 += load8(row + 8) }
        if final {
            if e.alpha != 1 { x0 *= e.alpha; x1 *= e.alpha }
            if let bias = e.bias, e.beta != 0 {
                let br = bias + r * e.biasRowStride
                if e.biasColStride == 0 {
                    let s = SIMD8<Float>(repeating: e.beta * br[0])
                    x0 += s; x1 += s
                } else {
                    fma8(&x0, SIMD8<Float>(repeating: e.beta), load8(br))
                    fma8(&x1, SIMD8<Float>(repeating: e.beta), load8(br + 8))
                }
            }
            x0 = e.activation.apply8(x0)
            x1 = e.activation.apply8(x1)
        }
        store8(x0, row)
        store8(x1, row + 8)
        return
    }
    sgemmFinishRowScalar(v0, v1, r, row, nr, accumulate, final, e)
}

/// Edge tile or scalar epilogue of `sgemmFinishRow` (`row` already points at row `r`).
@inline(never)
func sgemmFinishRowScalar(_ v0: SIMD8<Float>, _ v1: SIMD8<Float>, _ r: Int, _ row: UnsafeMutablePointer<Float>,
                          _ nr: Int, _ accumulate: Bool, _ final: Bool, _ e: DenseEpilogue) {
    var t = (v0, v1)
    withUnsafePointer(to: &t) {
        let tp = UnsafeRawPointer($0).assumingMemoryBound(to: Float.self)
        var j = 0
        while j < nr {
            var x = tp[j]
            if accumulate { x += row[j] }
            if final {
                x *= e.alpha
                if let bias = e.bias, e.beta != 0 {
                    x += e.beta * bias[r * e.biasRowStride + j * e.biasColStride]
                }
                x = e.activation.apply(x)
            }
            row[j] = x
            j += 1
        }
    }
}
