// col2im by output rows (dcg2). When one GEMM holds every input position of an image (the column
// buffer is [Mg·kH·kW, H·W] for the whole plane), each output row (m, oh) is built in one go:
// set to the bias, every tap (kh, kw) that reaches it added while the row stays in L1, then the
// activation applied. No separate bias-fill and activation passes over the output, and the rows
// are independent tasks (each output written by exactly one task, in a fixed order: bit-identical
// for any thread count).

/// Output rows t = (i · Mg + m) · outH + oh of images `i`. Column row r, position p is at
/// col[r · ld + p · step] (step 1: the GEMM's col [rows, ld]; ld 1: colᵀ [positions, step]); image
/// i's positions start at i · `count`, its planes at `y` + i · M · outPlane. `bias` is the group's.
struct ConvTransposeGatherTask: ParallelTask {
    let s: ConvTranspose2DShape
    let col: UnsafePointer<Float>
    let ld: Int, step: Int, count: Int
    let y: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>?
    let activation: DenseActivation

    init(s: ConvTranspose2DShape, col: UnsafeMutablePointer<Float>, ld: Int, step: Int, count: Int,
         y: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>?, activation: DenseActivation) {
        self.s = s; self.col = UnsafePointer(col); self.ld = ld; self.step = step; self.count = count; self.y = y
        self.bias = bias; self.activation = activation
    }

    func run(_ rows: Range<Int>) {
        let outH = s.outH, mg = s.outChannelsPerGroup
        for t in rows {
            let plane = t / outH, oh = t - plane * outH
            let i = plane / mg, m = plane - i * mg
            let dst = y + i * s.outChannels * s.outPlane + m * s.outPlane + oh * s.outW
            convTransposeGatherRow(s, col: col + i * count * step + m * s.kH * s.kW * ld, ld: ld, step: step, oh: oh, dst: dst,
                                   bias: bias?[m] ?? 0)
            convTransposeActivate(activation, dst, count: s.outW)
        }
    }
}

/// dst [outW] = b + Σ over taps (kh, kw) reaching output row `oh` of their column rows; `col` is
/// the first column row of the output channel ([kH·kW rows of `ld`], position ih·inW + iw).
@inline(__always)
func convTransposeGatherRow(_ s: ConvTranspose2DShape, col: UnsafePointer<Float>, ld: Int, step: Int, oh: Int,
                            dst: UnsafeMutablePointer<Float>, bias b: Float) {
    let inW = s.inW, outW = s.outW, sW = s.strideW
    dst.update(repeating: b, count: outW)
    if sW == 2 && s.dilationW == 1 {
        for kh in 0 ..< s.kH {
            let t = oh + s.padTop - kh * s.dilationH
            if t < 0 || t % s.strideH != 0 || t / s.strideH >= s.inH { continue }
            convTransposeGatherRowStride2(s, src: col + kh * s.kW * ld + t / s.strideH * inW * step, ld: ld, step: step, dst: dst)
        }
        return
    }
    for kh in 0 ..< s.kH {
        let t = oh + s.padTop - kh * s.dilationH
        if t < 0 || t % s.strideH != 0 { continue }
        let ih = t / s.strideH
        if ih >= s.inH { continue }
        for kw in 0 ..< s.kW {
            let offW = kw * s.dilationW - s.padLeft
            let valid = denseValidRange(offset: offW, stride: sW, lo: 0, hi: outW, outCount: inW)
            let src = col + (kh * s.kW + kw) * ld + ih * inW * step
            let out = dst + offW
            if step != 1 {
                for iw in valid { out[iw * sW] += src[iw * step] }
            } else if sW == 1 {
                var iw = valid.lowerBound
                while iw + 8 <= valid.upperBound {
                    store8(load8(out + iw) + load8(src + iw), out + iw)
                    iw += 8
                }
                while iw < valid.upperBound { out[iw] += src[iw]; iw += 1 }
            } else {
                for iw in valid { out[iw * sW] += src[iw] }
            }
        }
    }
}

/// dst [outW] += the taps kw = 0 ..< kW of one kernel row (column row kw at src + kw · `ld`, input
/// row [inW] of stride `step`) for width stride 2, no dilation: tap kw adds src[iw] into output column
/// 2·iw + kw − padLeft. Output pair (2r, 2r + 1) takes, per tap with o = kw − padLeft, src[r − ⌊o/2⌋]
/// (0 outside the row) into its column of o's parity: 4 pairs at a time, the lanes of a pair past
/// outW dropped.
@inline(__always)
func convTransposeGatherRowStride2(_ s: ConvTranspose2DShape, src: UnsafePointer<Float>, ld: Int, step: Int,
                                   dst: UnsafeMutablePointer<Float>) {
    let inW = s.inW, outW = s.outW, kW = s.kW, padLeft = s.padLeft
    var r = 0
    while 2 * r < outW {
        var even = SIMD4<Float>(), odd = SIMD4<Float>()
        for kw in 0 ..< kW {
            let o = kw - padLeft
            let iw = r - (o >> 1)
            let row = src + kw * ld
            let v: SIMD4<Float>
            if step == 1 && iw >= 0 && iw + 4 <= inW {
                v = UnsafeRawPointer(row + iw).loadUnaligned(as: SIMD4<Float>.self)
            } else {
                @inline(__always) func at(_ j: Int) -> Float { j >= 0 && j < inW ? row[j * step] : 0 }
                v = SIMD4(at(iw), at(iw + 1), at(iw + 2), at(iw + 3))
            }
            if o & 1 == 0 { even += v } else { odd += v }
        }
        var pair = SIMD8<Float>()
        pair.evenHalf = even
        pair.oddHalf = odd
        let out = dst + 2 * r
        if 2 * r + 8 <= outW {
            store8(load8(out) + pair, out)
        } else {
            for l in 0 ..< outW - 2 * r { out[l] += pair[l] }
        }
        r += 4
    }
}

/// GEMM and gather of one image and group, by blocks of output channels: block b computes the
/// column rows of its channels (whole A panels of `sgemmMR` rows: a block is a multiple of
/// `unit` channels, so no two blocks share a panel) over the whole plane, then their output rows.
/// A block's rows (~32 KB) are read back while in L1/L2 instead of after the whole GEMM.
struct ConvTransposeFusedTask: ParallelTask {
    let s: ConvTranspose2DShape
    let packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>
    let col: UnsafeMutablePointer<Float>
    let gather: ConvTransposeGatherTask
    /// Output channels per block.
    let channels: Int

    init(s: ConvTranspose2DShape, packedA: UnsafePointer<Float>, packedB: UnsafeMutablePointer<Float>,
         col: UnsafeMutablePointer<Float>, gather: ConvTransposeGatherTask) {
        self.s = s; self.packedA = packedA; self.packedB = UnsafePointer(packedB); self.col = col; self.gather = gather
        let taps = s.kH * s.kW
        let unit = sgemmMR / gcd(taps, sgemmMR)
        let unitBytes = unit * taps * s.inPlane * 4
        channels = unit * max(1, (32 << 10) / max(1, unitBytes))
    }

    var blockCount: Int { (s.outChannelsPerGroup + channels - 1) / channels }

    func run(_ blocks: Range<Int>) {
        let taps = s.kH * s.kW, m = s.columnRows, mg = s.outChannelsPerGroup
        for b in blocks {
            let c0 = b * channels, c1 = min(mg, c0 + channels)
            let panels = c0 * taps / sgemmMR ..< min(sgemmPanelsA(m), (c1 * taps + sgemmMR - 1) / sgemmMR)
            sgemmCompute(m: m, n: s.inPlane, k: s.inChannelsPerGroup, packedA: packedA, packedB: packedB, c: col,
                         ldc: s.inPlane, epilogue: DenseEpilogue(), aPanels: panels, bPanels: 0 ..< sgemmPanelsB(s.inPlane))
            gather.run(c0 * s.outH ..< c1 * s.outH)
        }
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int { b == 0 ? a : gcd(b, a % b) }
