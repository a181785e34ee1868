// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

// Direct convolution: no im2col copy. The input of one image is copied once into zero-padded,
// stride-phase-split planes (`ConvDirectGeometry`), after which every tap (kh, kw) of every
// channel is a contiguous run of the prepared input: the micro-kernel loads its B vectors straight
// from there (two unaligned 16-float loads per k step) and multiplies them by the packed weights
// of `conv2dPackWeights` (packed A, K order c, kh, kw). A tile is 12 (or 6) output channels × 32
// consecutive flat positions; positions in the padding columns (ow ≥ outW) are computed and
// dropped when the tile is stored, so the stores of a tile are one contiguous run of the output.

/// Table entry `convDirectPrep` (`ConvDirectPrepArgs`).
func isaConvDirectPrep(_ args: UnsafeRawPointer) {
    let g = args.load(as: ConvDirectPrepArgs.self)
    let s = g.s, geo = g.geo
    let sH = s.strideH, sW = s.strideW, pw = geo.pw
    var c = g.lo
    while c < g.hi {
        let src = g.x + c * s.inPlane
        let dst = g.into + c * geo.channelStride
        for pr in 0 ..< sH {
            for pc in 0 ..< sW {
                // Phases no tap reads (kernel extent below the stride, e.g. 1×1 stride 2) stay
                // unwritten: only the dropped positions past a row's end can read them.
                if pr > (s.kH - 1) * s.dilationH || pc > (s.kW - 1) * s.dilationW { continue }
                let plane = dst + (pr * sW + pc) * geo.phasePlane
                // Phase columns j whose input column j·sW + pc − padLeft lies in 0..<inW.
                let cols = denseValidBounds(offset: pc - s.padLeft, stride: sW, lo: 0, hi: s.inW, outCount: pw)
                let lead = cols.lowerBound, body = cols.upperBound - cols.lowerBound
                for i in 0 ..< geo.ph {
                    let row = plane + i * pw
                    let ih = i * sH + pr - s.padTop
                    if ih < 0 || ih >= s.inH || body == 0 {
                        conv2dZero(row, pw)
                        continue
                    }
                    conv2dZero(row, lead)
                    let from = src + ih * s.inW + lead * sW + pc - s.padLeft
                    if sW == 2 {
                        convDirectCopy2(from, row + lead, body)
                    } else {
                        conv2dCopy(from, sW, row + lead, body)
                    }
                    conv2dZero(row + lead + body, pw - lead - body)
                }
            }
        }
        c += 1
    }
}

/// d[i] = src[2i] for i < n, reading nothing past src[2n − 2].
@inline(__always)
func convDirectCopy2(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 < n {  // reads src[2i ..< 2i + 16], 2i + 15 < 2n − 2
        let v = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
        store8(v.evenHalf, d + i)
        i += 8
    }
    while i < n { d[i] = src[2 * i]; i += 1 }
}

/// Table entry `convDirect` (`ConvDirectArgs`). Tasks of one (group, row block) are taken in
/// chunks of `chunk` tiles; per chunk, each pair of A panels (12 output channels, 12 × K floats: L1 or L2)
/// multiplies every tile of the chunk before the next pair, so the weights stream once per chunk.
func isaConvDirect(_ args: UnsafeRawPointer) {
    let d = args.load(as: ConvDirectArgs.self)
    let s = d.s, geo = d.geo
    let mg = s.outChannelsPerGroup, k = s.gemmK
    let perGroup = sgemmPackedACount(m: mg, k: k)
    let aPanels = sgemmPanelsA(mg), aStride = sgemmMR * k
    let chunk = d.chunk > 0 ? d.chunk : 1
    let blocks = d.rowBlocks > 0 ? d.rowBlocks : 1
    var t0 = d.lo
    while t0 < d.hi {
        let gb = t0 / geo.tiles  // g · rowBlocks + rb
        let g = gb / blocks, rb = gb - g * blocks
        let runStart = gb * geo.tiles, runEnd = runStart + geo.tiles
        var t1 = t0 + chunk < d.hi ? t0 + chunk : d.hi
        if t1 > runEnd { t1 = runEnd }
        let pLo = rb * d.panelsPerBlock
        let pHi = pLo + d.panelsPerBlock < aPanels && blocks > 1 ? pLo + d.panelsPerBlock : aPanels
        let x = d.x + g * s.channelsPerGroup * geo.channelStride
        let w = d.weights + g * perGroup
        let yg = d.y + g * mg * s.outPlane
        var bias: UnsafePointer<Float>? = nil
        if let b = d.bias { bias = b + g * mg }
        let k0 = ConvDirectLoop(channels: s.channelsPerGroup, taps: s.kH * s.kW, tap: d.taps,
                                channelStride: geo.channelStride)
        var p = pLo
        while p < pHi {
            let two = p + 2 <= pHi
            var e = DenseEpilogue(bias: bias, biasRowStride: 1, biasColStride: 0, activation: d.activation)
            if let b = bias { e.bias = b + p * sgemmMR }
            var t = t0
            while t < t1 {
                let f0 = (t - runStart) * convDirectTile
                let out = ConvDirectOut(s, geo, f0: f0, y: yg + p * sgemmMR * s.outPlane, rows: mg - p * sgemmMR, e: e)
                if two {
                    convDirect12x32(k0, x + f0, w + p * aStride, aStride, out)
                } else {
                    convDirect6x32(k0, x + f0, w + p * aStride, out)
                }
                t += 1
            }
            p += two ? 2 : 1
        }
        t0 = t1
    }
}

/// The reduction loop of a tile: `channels` × `taps` steps, tap t of channel c at
/// c · channelStride + tap[t] from the tile's first position.
struct ConvDirectLoop {
    var channels: Int, taps: Int
    var tap: UnsafePointer<Int32>
    var channelStride: Int
}

/// Where a tile goes: output channel rows `rows` (from `y`), flat positions f0 ..< f0 + 32.
struct ConvDirectOut {
    var f0: Int, flat: Int, pw: Int, outW: Int
    var y: UnsafeMutablePointer<Float>, ldy: Int, rows: Int
    var e: DenseEpilogue

    @inline(__always)
    init(_ s: Conv2DShape, _ geo: ConvDirectGeometry, f0: Int, y: UnsafeMutablePointer<Float>, rows: Int,
         e: DenseEpilogue) {
        self.f0 = f0; flat = geo.flat; pw = geo.pw; outW = s.outW
        self.y = y; ldy = s.outPlane; self.rows = rows; self.e = e
    }
}

/// 12 output channels (two A panels, `as` floats apart) × 32 positions: 24 zmm accumulators
/// (AVX-512; the narrower ISAs split each SIMD16 and spill, correct but slower — the driver
/// takes this path on AVX-512 only).
@inline(never)
func convDirect12x32(_ l: ConvDirectLoop, _ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ as: Int,
                     _ o: ConvDirectOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
    var c80 = SIMD16<Float>(), c81 = SIMD16<Float>(), c90 = SIMD16<Float>(), c91 = SIMD16<Float>()
    var cA0 = SIMD16<Float>(), cA1 = SIMD16<Float>(), cB0 = SIMD16<Float>(), cB1 = SIMD16<Float>()
    var ap = a, xc = x
    var c = 0
    while c < l.channels {
        var t = 0
        while t < l.taps {
            let bp = xc + Int(l.tap[t])
            let b0 = load16(bp), b1 = load16(bp + 16)
            let aq = ap + `as`
            var v = SIMD16<Float>(repeating: ap[0])
            fma16(&c00, v, b0); fma16(&c01, v, b1)
            v = SIMD16<Float>(repeating: ap[1])
            fma16(&c10, v, b0); fma16(&c11, v, b1)
            v = SIMD16<Float>(repeating: ap[2])
            fma16(&c20, v, b0); fma16(&c21, v, b1)
            v = SIMD16<Float>(repeating: ap[3])
            fma16(&c30, v, b0); fma16(&c31, v, b1)
            v = SIMD16<Float>(repeating: ap[4])
            fma16(&c40, v, b0); fma16(&c41, v, b1)
            v = SIMD16<Float>(repeating: ap[5])
            fma16(&c50, v, b0); fma16(&c51, v, b1)
            v = SIMD16<Float>(repeating: aq[0])
            fma16(&c60, v, b0); fma16(&c61, v, b1)
            v = SIMD16<Float>(repeating: aq[1])
            fma16(&c70, v, b0); fma16(&c71, v, b1)
            v = SIMD16<Float>(repeating: aq[2])
            fma16(&c80, v, b0); fma16(&c81, v, b1)
            v = SIMD16<Float>(repeating: aq[3])
            fma16(&c90, v, b0); fma16(&c91, v, b1)
            v = SIMD16<Float>(repeating: aq[4])
            fma16(&cA0, v, b0); fma16(&cA1, v, b1)
            v = SIMD16<Float>(repeating: aq[5])
            fma16(&cB0, v, b0); fma16(&cB1, v, b1)
            ap += 6; t += 1
        }
        xc += l.channelStride
        c += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51,
                c60, c61, c70, c71, c80, c81, c90, c91, cA0, cA1, cB0, cB1)
    withUnsafeMutablePointer(to: &tile) {
        convDirectFinish(UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self), 12, o)
    }
}

/// 6 output channels (one A panel) × 32 positions: 12 accumulators (the leftover panel).
@inline(never)
func convDirect6x32(_ l: ConvDirectLoop, _ x: UnsafePointer<Float>, _ a: UnsafePointer<Float>, _ o: ConvDirectOut) {
    var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
    var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
    var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
    var ap = a, xc = x
    var c = 0
    while c < l.channels {
        var t = 0
        while t < l.taps {
            let bp = xc + Int(l.tap[t])
            let b0 = load16(bp), b1 = load16(bp + 16)
            var v = SIMD16<Float>(repeating: ap[0])
            fma16(&c00, v, b0); fma16(&c01, v, b1)
            v = SIMD16<Float>(repeating: ap[1])
            fma16(&c10, v, b0); fma16(&c11, v, b1)
            v = SIMD16<Float>(repeating: ap[2])
            fma16(&c20, v, b0); fma16(&c21, v, b1)
            v = SIMD16<Float>(repeating: ap[3])
            fma16(&c30, v, b0); fma16(&c31, v, b1)
            v = SIMD16<Float>(repeating: ap[4])
            fma16(&c40, v, b0); fma16(&c41, v, b1)
            v = SIMD16<Float>(repeating: ap[5])
            fma16(&c50, v, b0); fma16(&c51, v, b1)
            ap += 6; t += 1
        }
        xc += l.channelStride
        c += 1
    }
    var tile = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51)
    withUnsafeMutablePointer(to: &tile) {
        convDirectFinish(UnsafeMutableRawPointer($0).assumingMemoryBound(to: Float.self), 6, o)
    }
}

/// Stores a tile (`tileRows` rows of 32 positions, row-major): drops the positions in padding
/// columns or past the last one by moving the valid ones to the front of each row (valid positions
/// of a tile are consecutive in the output), then y = act(alpha · tile + beta · bias[row]).
@inline(never)
func convDirectFinish(_ tile: UnsafeMutablePointer<Float>, _ tileRows: Int, _ o: ConvDirectOut) {
    let n = convDirectTile
    let oh0 = o.f0 / o.pw, col0 = o.f0 - oh0 * o.pw
    // Output index of the first valid position at or after f0.
    let y0 = col0 < o.outW ? oh0 * o.outW + col0 : (oh0 + 1) * o.outW
    let rows = tileRows < o.rows ? tileRows : o.rows
    if rows <= 0 { return }
    var valid = n
    if (o.pw != o.outW && col0 + n > o.outW) || o.f0 + n > o.flat {
        // Segments [j, j + len) of the tile, in order, moved left to [w, w + len) in every row.
        var w = 0, j = 0, col = col0
        while j < n && o.f0 + j < o.flat {
            if col >= o.outW {
                j += o.pw - col
                col = 0
                continue
            }
            var len = o.outW - col
            if len > n - j { len = n - j }
            if len > o.flat - o.f0 - j { len = o.flat - o.f0 - j }
            if w != j {
                var r = 0
                while r < rows {
                    convDirectMoveLeft(tile + r * n, from: j, to: w, len)
                    r += 1
                }
            }
            w += len; j += len; col += len
        }
        valid = w
    }
    if valid <= 0 { return }
    let e = o.e
    if !e.activation.isVectorizable || e.biasColStride != 0 {
        sgemmFinishTile(UnsafePointer(tile), tileRows, 2,
                        TileOut(c: o.y + y0, ldc: o.ldy, rows: o.rows, cols: valid, accumulate: false, final: true, e: e))
        return
    }
    let hasBias = e.bias != nil && e.beta != 0
    var r = 0
    while r < rows {
        let row = tile + r * n
        let dst = o.y + y0 + r * o.ldy
        var add = SIMD8<Float>()
        if hasBias, let b = e.bias { add = SIMD8<Float>(repeating: e.beta * b[r * e.biasRowStride]) }
        // 8 lanes at a time; a partial last vector is redone overlapping the previous one (the
        // same values, so the same stores); fewer than 8 valid: finished in the tile, copied.
        // (One epilogue site: with several, the optimizer called it out of line.)
        var j = 0
        while j < valid {
            let at = j + 8 <= valid ? j : (valid >= 8 ? valid - 8 : 0)
            var x = load8(row + at)
            if e.alpha != 1 { x *= e.alpha }
            if hasBias { x += add }
            x = e.activation.apply8(x)
            if valid >= 8 {
                store8(x, dst + at)
            } else {
                store8(x, row)
                var i = 0
                while i < valid { dst[i] = row[i]; i += 1 }
            }
            j += 8
        }
        r += 1
    }
}

/// row[to ..< to + n] = row[from ..< from + n], to < from: 8 floats at a time from the left (each
/// load precedes the stores that could overlap it); when n is not a multiple of 8, the last 8 are
/// loaded first and stored last, overlapping.
@inline(__always)
func convDirectMoveLeft(_ row: UnsafeMutablePointer<Float>, from: Int, to: Int, _ n: Int) {
    if n < 8 {
        var i = 0
        while i < n { row[to + i] = row[from + i]; i += 1 }
        return
    }
    let last = load8(row + from + n - 8)
    var i = 0
    while i + 8 <= n { store8(load8(row + from + i), row + to + i); i += 8 }
    if i < n { store8(last, row + to + n - 8) }
}
