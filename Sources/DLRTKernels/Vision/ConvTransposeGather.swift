// col2im by output rows (dcg2). When one GEMM holds every input position of an image (the column
// buffer is [Mg·kH·kW, H·W] for the whole plane), each output row (m, oh) is built in one go:
// set to the bias, every tap (kh, kw) that reaches it added while the row stays in L1, then the
// activation applied. No separate bias-fill and activation passes over the output, and the rows
// are independent tasks (each output written by exactly one task, in a fixed order: bit-identical
// for any thread count).

/// Output rows t = (i · Mg + m) · outH + oh of images `i` (image i's columns start at i · `count`
/// within rows of `ld` floats; its planes at `y` + i · M · outPlane). `bias` is the group's bias.
struct ConvTransposeGatherTask: ParallelTask {
    let s: ConvTranspose2DShape
    let col: UnsafePointer<Float>
    let ld: Int, count: Int
    let y: UnsafeMutablePointer<Float>
    let bias: UnsafePointer<Float>?
    let activation: DenseActivation

    init(s: ConvTranspose2DShape, col: UnsafeMutablePointer<Float>, ld: Int, count: Int, y: UnsafeMutablePointer<Float>,
         bias: UnsafePointer<Float>?, activation: DenseActivation) {
        self.s = s; self.col = UnsafePointer(col); self.ld = ld; self.count = count; self.y = y
        self.bias = bias; self.activation = activation
    }

    func run(_ rows: Range<Int>) {
        let outH = s.outH, mg = s.outChannelsPerGroup
        for t in rows {
            let plane = t / outH, oh = t - plane * outH
            let i = plane / mg, m = plane - i * mg
            let dst = y + i * s.outChannels * s.outPlane + m * s.outPlane + oh * s.outW
            convTransposeGatherRow(s, col: col + i * count + m * s.kH * s.kW * ld, ld: ld, oh: oh, dst: dst,
                                   bias: bias?[m] ?? 0)
            convTransposeActivate(activation, dst, count: s.outW)
        }
    }
}

/// dst [outW] = b + Σ over taps (kh, kw) reaching output row `oh` of their column rows; `col` is
/// the first column row of the output channel ([kH·kW rows of `ld`], position ih·inW + iw).
@inline(__always)
func convTransposeGatherRow(_ s: ConvTranspose2DShape, col: UnsafePointer<Float>, ld: Int, oh: Int,
                            dst: UnsafeMutablePointer<Float>, bias b: Float) {
    let inW = s.inW, outW = s.outW, sW = s.strideW
    dst.update(repeating: b, count: outW)
    let pairs = sW == 2 && s.dilationW == 1
    for kh in 0 ..< s.kH {
        let t = oh + s.padTop - kh * s.dilationH
        if t < 0 || t % s.strideH != 0 { continue }
        let ih = t / s.strideH
        if ih >= s.inH { continue }
        var kw = 0
        while kw < s.kW {
            let offW = kw * s.dilationW - s.padLeft
            let valid = denseValidRange(offset: offW, stride: sW, lo: 0, hi: outW, outCount: inW)
            let src = col + (kh * s.kW + kw) * ld + ih * inW
            let out = dst + offW
            if pairs && kw + 1 < s.kW {
                let valid1 = denseValidRange(offset: offW + 1, stride: 2, lo: 0, hi: outW, outCount: inW)
                convTransposeAddPair(out, src, src + ld, valid, valid1)
                kw += 2
                continue
            }
            if sW == 1 {
                var iw = valid.lowerBound
                while iw + 8 <= valid.upperBound {
                    store8(load8(out + iw) + load8(src + iw), out + iw)
                    iw += 8
                }
                while iw < valid.upperBound { out[iw] += src[iw]; iw += 1 }
            } else {
                for iw in valid { out[iw * sW] += src[iw] }
            }
            kw += 1
        }
    }
}
