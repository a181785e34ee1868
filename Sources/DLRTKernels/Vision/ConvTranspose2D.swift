// ConvTranspose (1-D uses H = 1) as GEMM + col2im. Per image and group:
//   col [Mg·kH·kW, H·W] = Wgᵀ · Xg        (Wg: the group's rows of W [C, Mg, kH, kW] = [Cg, Mg·kH·kW])
//   y[m, oh, ow] += col[(m·kH + kh)·kW + kw, ih·W + iw]   where oh = ih·sH − padTop + kh·dH, …
// The input positions are taken in chunks of columns so the column buffer stays small; y starts
// as the bias, the activation runs once every image is complete. At most `sgemmSmallM` columns
// in all (DCGAN's 1×1 latent input) skip the GEMM, whose panels would be mostly padding: colᵀ
// [cols, Mg·kH·kW] accumulates rows of W read in place. With `transposedGEMM` (small planes) the
// GEMM computes colᵀ = Xgᵀ · Wg instead (W pre-packed as B). When one GEMM covers whole planes,
// col2im runs by output rows with bias and activation (ConvTransposeGather.swift).

/// Geometry of a 2-D transposed convolution. `outH`/`outW` come from the caller (they include
/// output_padding and the end pads).
public struct ConvTranspose2DShape: Sendable, Equatable {
    public var batch = 1, inChannels = 1, inH = 1, inW = 1
    public var outChannels = 1, outH = 1, outW = 1
    public var kH = 1, kW = 1
    public var strideH = 1, strideW = 1
    public var padTop = 0, padLeft = 0
    public var dilationH = 1, dilationW = 1
    public var group = 1
    /// Small planes (dcg2): colᵀ [positions, Mg·kH·kW] = Xgᵀ · Wg with W pre-packed as the B
    /// operand, so the GEMM's long dimension is the output-channel one (a plane of 16 positions
    /// as the B side would run the 12×16 kernel, bound by its broadcast loads). Set from the
    /// graph's static shape when the operator is built; the weights are packed to match.
    public var transposedGEMM = false

    public init() {}

    public var inChannelsPerGroup: Int { inChannels / group }
    public var outChannelsPerGroup: Int { outChannels / group }
    /// Rows of the column matrix: Mg × kH × kW.
    public var columnRows: Int { outChannelsPerGroup * kH * kW }
    public var inPlane: Int { inH * inW }
    public var outPlane: Int { outH * outW }

    /// Columns the column buffer holds (~2^18 floats, at least one B panel of 16).
    var columnBudget: Int { max(sgemmNR, (1 << 18) / max(1, columnRows) / sgemmNR * sgemmNR) }

    /// Whole images per GEMM: small planes of several images are gathered side by side into one
    /// B matrix [Cg, images · H·W], so e.g. DCGAN's 1×1 input is one GEMM for the batch.
    public var imagesPerGEMM: Int {
        inPlane >= columnBudget / 2 || batch <= 1 ? 1 : min(batch, columnBudget / max(1, inPlane))
    }

    /// Columns of one GEMM: a chunk of one image's input positions, or `imagesPerGEMM` planes.
    public var chunkColumns: Int {
        imagesPerGEMM > 1 ? imagesPerGEMM * inPlane : min(columnBudget, roundUp(max(1, inPlane), sgemmNR))
    }

    /// Floats of pre-packed weights (`convTranspose2DPackWeights`).
    public var packedWeightCount: Int { group * packedWeightsPerGroup }

    var packedWeightsPerGroup: Int {
        transposedGEMM ? sgemmPackedBCount(k: inChannelsPerGroup, n: columnRows) : sgemmPackedACount(m: columnRows, k: inChannelsPerGroup)
    }

    /// Floats of scratch `convTranspose2DForward` needs: the packed B panels of one GEMM, the
    /// gathered B matrix when images are batched, then the column buffer (each 64-byte aligned).
    public var scratchCount: Int {
        let n = chunkColumns
        return packCount + gatherCount + columnRows * n
    }

    var packCount: Int {
        let scratch = transposedGEMM
            ? sgemmScratchCount(m: chunkColumns, n: columnRows, k: inChannelsPerGroup, packA: true, packB: false)
            : sgemmScratchCount(m: columnRows, n: chunkColumns, k: inChannelsPerGroup, packA: false, packB: true)
        return roundUp(scratch, 16)
    }
    var gatherCount: Int { imagesPerGEMM > 1 ? roundUp(inChannelsPerGroup * chunkColumns, 16) : 0 }
}

/// Packs W [C, Mg, kH, kW] once: per group the A operand Wgᵀ (Mg·kH·kW × Cg), MR-panel packed.
public func convTranspose2DPackWeights(_ s: ConvTranspose2DShape, _ w: UnsafePointer<Float>) -> DenseBuffer {
    let buf = DenseBuffer(count: max(1, s.packedWeightCount))
    convTranspose2DPackWeights(s, w, into: buf.pointer)
    return buf
}

/// The same packing into `dst` (`s.packedWeightCount` floats), for a W fed at run time.
public func convTranspose2DPackWeights(_ s: ConvTranspose2DShape, _ w: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
    let m = s.columnRows, k = s.inChannelsPerGroup
    let per = s.packedWeightsPerGroup
    for g in 0 ..< s.group {
        if s.transposedGEMM {
            sgemmPackB(k: k, n: m, b: w + g * k * m, ldb: m, transB: false, into: dst + g * per, panels: 0 ..< sgemmPanelsB(m))
            continue
        }
        sgemmPackA(m: m, k: k, a: w + g * k * m, lda: m, transA: true, into: dst + g * per, panels: 0 ..< sgemmPanelsA(m))
    }
}

/// y = act(bias + ConvTranspose(x)). `weights` are the packed weights, `rawWeights` W itself
/// [C, Mg, kH, kW]; `scratch` holds `s.scratchCount` floats.
public func convTranspose2DForward(_ s: ConvTranspose2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                   rawWeights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: DenseActivation,
                                   y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                   parallel: any ParallelLoop) {
    let m = s.columnRows, k = s.inChannelsPerGroup, chunk = s.chunkColumns, mg = s.outChannelsPerGroup
    let packedPer = s.packedWeightsPerGroup
    let gathered = scratch + s.packCount
    let col = gathered + s.gatherCount
    let outPlane = s.outPlane, inPlane = s.inPlane, ipg = s.imagesPerGEMM
    // Every GEMM covers whole planes: col2im by output rows (ConvTransposeGather.swift), bias and
    // activation included.
    let gather = inPlane > sgemmSmallM && (ipg > 1 || chunk >= inPlane)
    if !gather {
        parallel.parallelFor(s.batch * s.outChannels, grain: 1,
                             ConvTransposeFillTask(y: y, plane: outPlane, channels: s.outChannels, bias: bias))
    }
    for g in 0 ..< s.group {
        let a = SGEMMOperand.packed(weights + g * packedPer)
        let yGroup = y + g * mg * outPlane
        if ipg > 1 {
            // Images n0 ..< n0 + count side by side: B [Cg, count · H·W], col [rows, count · H·W].
            var n0 = 0
            while n0 < s.batch {
                let count = min(ipg, s.batch - n0), cols = count * inPlane
                for i in 0 ..< count {
                    for c in 0 ..< k {
                        (gathered + c * cols + i * inPlane).update(from: x + ((n0 + i) * s.inChannels + g * k + c) * inPlane, count: inPlane)
                    }
                }
                let small = cols <= sgemmSmallM || s.transposedGEMM
                if s.transposedGEMM {
                    sgemm(m: cols, n: m, k: k, a: .matrix(gathered, ld: cols, transposed: true), b: a, c: col, ldc: m,
                          epilogue: DenseEpilogue(), scratch: scratch, parallel: parallel)
                } else if small {
                    parallel.parallelFor((m + 63) / 64, grain: 1,
                                         ConvTransposeSmallTask(w: rawWeights + g * k * m, x: gathered, colT: col, k: k, m: m, cols: cols))
                } else {
                    sgemm(m: m, n: cols, k: k, a: a, b: .matrix(gathered, ld: cols, transposed: false), c: col, ldc: cols,
                          epilogue: DenseEpilogue(), scratch: scratch, parallel: parallel)
                }
                if gather {
                    parallel.parallelFor(count * mg * s.outH, grain: 1,
                                         ConvTransposeGatherTask(s: s, col: col, ld: small ? 1 : cols, step: small ? m : 1,
                                                                 count: inPlane,
                                                                 y: yGroup + n0 * s.outChannels * outPlane,
                                                                 bias: bias.map { $0 + g * mg }, activation: activation))
                } else {
                    parallel.parallelFor(count * mg, grain: 1,
                                         ConvTransposeScatterTask(s: s, col: col, ld: small ? 1 : cols, step: small ? m : 1, first: 0,
                                                                  count: inPlane, y: yGroup + n0 * s.outChannels * outPlane))
                }
                n0 += count
            }
            continue
        }
        for n in 0 ..< s.batch {
            let xg = x + (n * s.inChannels + g * k) * inPlane
            var j0 = 0
            while j0 < inPlane {
                let cols = min(chunk, inPlane - j0)
                let small = inPlane <= sgemmSmallM || s.transposedGEMM
                if gather && s.transposedGEMM {
                    sgemm(m: inPlane, n: m, k: k, a: .matrix(xg, ld: inPlane, transposed: true), b: a, c: col, ldc: m,
                          epilogue: DenseEpilogue(), scratch: scratch, parallel: parallel)
                    parallel.parallelFor(mg * s.outH, grain: 1,
                                         ConvTransposeGatherTask(s: s, col: col, ld: 1, step: m, count: inPlane,
                                                                 y: yGroup + n * s.outChannels * outPlane,
                                                                 bias: bias.map { $0 + g * mg }, activation: activation))
                    break
                }
                if gather {
                    // X packed once, then per block of output channels its GEMM rows and their
                    // output rows while the rows are still in cache (ConvTransposeGather.swift).
                    parallel.parallelFor(sgemmPanelsB(inPlane), grain: 1,
                                         SGEMMPackBTask(k: k, n: inPlane, b: xg, ldb: inPlane, transB: false, into: scratch))
                    let fused = ConvTransposeFusedTask(
                        s: s, packedA: weights + g * packedPer, packedB: scratch, col: col,
                        gather: ConvTransposeGatherTask(s: s, col: col, ld: inPlane, step: 1, count: inPlane,
                                                        y: yGroup + n * s.outChannels * outPlane,
                                                        bias: bias.map { $0 + g * mg }, activation: activation))
                    parallel.parallelFor(fused.blockCount, grain: 1, fused)
                    break
                }
                if s.transposedGEMM {
                    sgemm(m: cols, n: m, k: k, a: .matrix(xg + j0, ld: inPlane, transposed: true), b: a, c: col, ldc: m,
                          epilogue: DenseEpilogue(), scratch: scratch, parallel: parallel)
                } else if small {
                    parallel.parallelFor((m + 63) / 64, grain: 1,
                                         ConvTransposeSmallTask(w: rawWeights + g * k * m, x: xg, colT: col, k: k, m: m, cols: cols))
                } else {
                    sgemm(m: m, n: cols, k: k, a: a, b: .matrix(xg + j0, ld: inPlane, transposed: false), c: col, ldc: cols,
                          epilogue: DenseEpilogue(), scratch: scratch, parallel: parallel)
                }
                do {
                    parallel.parallelFor(mg, grain: 1,
                                         ConvTransposeScatterTask(s: s, col: col, ld: small ? 1 : cols, step: small ? m : 1, first: j0,
                                                                  count: cols, y: yGroup + n * s.outChannels * outPlane))
                }
                j0 += cols
            }
        }
    }
    if activation.kind != .none && !gather {
        parallel.parallelFor(s.batch * s.outChannels, grain: 1, ConvTransposeActivationTask(y: y, plane: outPlane, activation: activation))
    }
}

/// Adds the column rows of output channels `channels` (of one group, chunk of input positions
/// `first ..< first + count`) into their output planes. Column row r, position p is at
/// col[r · ld + (p − first) · step] (step 1: the GEMM's col; ld 1: the small path's colᵀ).
@inline(__always)
func convTranspose2DScatter(_ s: ConvTranspose2DShape, col: UnsafePointer<Float>, ld: Int, step: Int, first: Int, count: Int,
                            y: UnsafeMutablePointer<Float>, channels: Range<Int>) {
    let inW = s.inW, outW = s.outW, sW = s.strideW
    let ih0 = first / inW, ihLast = (first + count - 1) / inW
    // Stride 2, no dilation: taps kw and kw + 1 fill alternate output columns, added as one
    // interleaved vector.
    let pairs = sW == 2 && s.dilationW == 1 && step == 1
    for m in channels {
        let plane = y + m * s.outPlane
        for kh in 0 ..< s.kH {
            let offH = kh * s.dilationH - s.padTop
            var kw = 0
            while kw < s.kW {
                let offW = kw * s.dilationW - s.padLeft
                // Input columns iw whose output column iw·sW + offW lies in [0, outW).
                let valid = denseValidRange(offset: offW, stride: sW, lo: 0, hi: outW, outCount: inW)
                let row = col + ((m * s.kH + kh) * s.kW + kw) * ld - first * step
                let paired = pairs && kw + 1 < s.kW
                let valid1 = paired ? denseValidRange(offset: offW + 1, stride: 2, lo: 0, hi: outW, outCount: inW) : 0 ..< 0
                for ih in ih0 ... ihLast {
                    let oh = ih * s.strideH + offH
                    if oh < 0 || oh >= s.outH { continue }
                    let lo = ih == ih0 ? first - ih * inW : 0, hi = ih == ihLast ? first + count - ih * inW : inW
                    let a = max(valid.lowerBound, lo), b = min(valid.upperBound, hi)
                    let src = row + ih * inW * step
                    let dst = plane + oh * outW + offW
                    if paired {
                        let a1 = max(valid1.lowerBound, lo), b1 = min(valid1.upperBound, hi)
                        convTransposeAddPair(dst, src, src + ld, a ..< max(a, b), a1 ..< max(a1, b1))
                    } else if a < b {
                        if step != 1 {
                            for iw in a ..< b { dst[iw * sW] += src[iw * step] }
                        } else if sW == 1 {
                            var iw = a
                            while iw + 8 <= b {
                                store8(load8(dst + iw) + load8(src + iw), dst + iw)
                                iw += 8
                            }
                            while iw < b { dst[iw] += src[iw]; iw += 1 }
                        } else {
                            for iw in a ..< b { dst[iw * sW] += src[iw] }
                        }
                    }
                }
                kw += paired ? 2 : 1
            }
        }
    }
}

/// dst[2·iw] += a[iw] for iw in `ra`, dst[2·iw + 1] += b[iw] for iw in `rb` (stride-2 taps kw and
/// kw + 1 of one input row); where both ranges overlap, 4 pairs at a time as one interleaved vector.
@inline(__always)
func convTransposeAddPair(_ dst: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
                          _ ra: Range<Int>, _ rb: Range<Int>) {
    let lo = max(ra.lowerBound, rb.lowerBound), hi = max(lo, min(ra.upperBound, rb.upperBound))
    // The ends outside the common range, one tap at a time.
    for iw in ra.lowerBound ..< max(ra.lowerBound, min(lo, ra.upperBound)) { dst[2 * iw] += a[iw] }
    for iw in min(max(hi, ra.lowerBound), ra.upperBound) ..< ra.upperBound { dst[2 * iw] += a[iw] }
    for iw in rb.lowerBound ..< max(rb.lowerBound, min(lo, rb.upperBound)) { dst[2 * iw + 1] += b[iw] }
    for iw in min(max(hi, rb.lowerBound), rb.upperBound) ..< rb.upperBound { dst[2 * iw + 1] += b[iw] }
    var iw = lo
    while iw + 4 <= hi {
        var v = SIMD8<Float>()
        v.evenHalf = UnsafeRawPointer(a + iw).loadUnaligned(as: SIMD4<Float>.self)
        v.oddHalf = UnsafeRawPointer(b + iw).loadUnaligned(as: SIMD4<Float>.self)
        store8(load8(dst + 2 * iw) + v, dst + 2 * iw)
        iw += 4
    }
    while iw < hi { dst[2 * iw] += a[iw]; dst[2 * iw + 1] += b[iw]; iw += 1 }
}

/// The scatter for (image, channel) pairs t = i · Mg + m: image i's columns start at i · `count`
/// (several images per GEMM) and its planes at `y` + i · M · outPlane.
struct ConvTransposeScatterTask: ParallelTask {
    let s: ConvTranspose2DShape
    let col: UnsafePointer<Float>
    let ld: Int, step: Int, first: Int, count: Int
    let y: UnsafeMutablePointer<Float>

    init(s: ConvTranspose2DShape, col: UnsafeMutablePointer<Float>, ld: Int, step: Int, first: Int, count: Int,
         y: UnsafeMutablePointer<Float>) {
        self.s = s; self.col = UnsafePointer(col); self.ld = ld; self.step = step; self.first = first; self.count = count; self.y = y
    }

    func run(_ pairs: Range<Int>) {
        let mg = s.outChannelsPerGroup
        var t = pairs.lowerBound
        while t < pairs.upperBound {
            let i = t / mg, m0 = t - i * mg, m1 = min(mg, m0 + pairs.upperBound - t)
            convTranspose2DScatter(s, col: col + i * count * step, ld: ld, step: step, first: first, count: count,
                                   y: y + i * s.outChannels * s.outPlane, channels: m0 ..< m1)
            t += m1 - m0
        }
    }
}

/// Output planes `planes` (image · M + channel) set to their bias (or 0).
struct ConvTransposeFillTask: ParallelTask {
    let y: UnsafeMutablePointer<Float>
    let plane: Int, channels: Int
    let bias: UnsafePointer<Float>?

    func run(_ planes: Range<Int>) {
        for p in planes { (y + p * plane).update(repeating: bias?[p % channels] ?? 0, count: plane) }
    }
}

struct ConvTransposeActivationTask: ParallelTask {
    let y: UnsafeMutablePointer<Float>
    let plane: Int
    let activation: DenseActivation

    func run(_ planes: Range<Int>) {
        convTransposeActivate(activation, y + planes.lowerBound * plane, count: planes.count * plane)
    }
}

/// p[0 ..< count] = activation(p[…]); Sigmoid / Tanh in the vector forms of the elementwise ops
/// (a few ulp of libm's).
@inline(__always)
func convTransposeActivate(_ activation: DenseActivation, _ p: UnsafeMutablePointer<Float>, count: Int) {
    if activation.kind == .none { return }
    guard activation.kind == .sigmoid || activation.kind == .tanh else { activation.apply(p, count: count); return }
    let tanh = activation.kind == .tanh
    var i = 0
    while i + 8 <= count {
        let v = ewLoad8(p + i)
        ewStore8(tanh ? ewTanh(v) : ewSigmoid(v), p + i)
        i += 8
    }
    if i < count {
        let v = ewLoadPartial(p + i, count - i)
        ewStorePartial(tanh ? ewTanh(v) : ewSigmoid(v), p + i, count - i)
    }
}

/// colᵀ [cols, m] = Xᵀ · Wg for at most `sgemmSmallM` columns, rows 64·blocks of m: each row c of
/// Wg [k, m] (read in place) is added into every column's row, scaled by x[c, j] (X [k, cols]).
struct ConvTransposeSmallTask: ParallelTask {
    let w: UnsafePointer<Float>
    let x: UnsafePointer<Float>
    let colT: UnsafeMutablePointer<Float>
    let k: Int, m: Int, cols: Int

    init(w: UnsafePointer<Float>, x: UnsafePointer<Float>, colT: UnsafeMutablePointer<Float>, k: Int, m: Int, cols: Int) {
        self.w = w; self.x = x; self.colT = colT; self.k = k; self.m = m; self.cols = cols
    }

    func run(_ blocks: Range<Int>) {
        let r0 = blocks.lowerBound * 64, r1 = min(m, blocks.upperBound * 64)
        for j in 0 ..< cols { (colT + j * m + r0).update(repeating: 0, count: r1 - r0) }
        for c in 0 ..< k {
            let wRow = w + c * m
            for j in 0 ..< cols {
                let a = x[c * cols + j], a8 = SIMD8<Float>(repeating: a)
                let out = colT + j * m
                var r = r0
                while r + 8 <= r1 {
                    var v = load8(out + r)
                    v += a8 * load8(wRow + r)
                    store8(v, out + r)
                    r += 8
                }
                while r < r1 { out[r] += a * wRow[r]; r += 1 }
            }
        }
    }
}
