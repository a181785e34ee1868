// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
import DLRTKernelsCore

// im2col packing of convolutions into packed-B panels (the layout of DLRTKernelsCore/Layout.swift)
// and the fused pack-and-multiply loop: memory-bound copies, but compiled per ISA so they use the
// wide loads and stores of the CPU (the portable build has only 16-byte SSE moves).

/// Table entry `convPack` (`ConvPackArgs`): packs B panels `lo..<hi` of the im2col matrix
/// (K × outH·outW) of one group of one image; `x` points at the group's first input channel.
func isaConvPack(_ args: UnsafeRawPointer) {
    let g = args.load(as: ConvPackArgs.self)
    let k = g.s.gemmK
    var q = g.lo
    while q < g.hi {
        conv2dPackPanel(g.s, g.x, panel: q, into: g.into + q * sgemmNR * k)
        q += 1
    }
}

/// Table entry `convFused` (`ConvFusedArgs`): the fused path of a convolution over task indices
/// `lo..<hi` = (image · group + g) · panelsPerGroup + q of a chunk of images: panel q of (image,
/// group) is packed into its own slot of the scratch, then multiplied by all of the group's A
/// panels while it is in L1. `x` is the chunk's input, or its zero-padded copy when `padded`
/// (never for output rows narrower than a panel: those gather from the input itself).
func isaConvFused(_ args: UnsafeRawPointer) {
    let f = args.load(as: ConvFusedArgs.self)
    let s = f.s
    let mg = s.outChannelsPerGroup, k = s.gemmK, n = s.outPlane, nr = sgemmNR
    let perGroup = sgemmPackedACount(m: mg, k: k)
    let aPanels = sgemmPanelsA(mg)
    var q = f.lo % f.panelsPerGroup
    var ig = f.lo / f.panelsPerGroup
    var t = f.lo
    while t < f.hi {
        let b = ig / s.group, g = ig - b * s.group
        let slot = f.scratch + t * nr * k
        let c0 = b * s.inChannels + g * s.channelsPerGroup
        // Two panels of the same (image, group) in this task range: packed side by side they
        // form a 2-panel packed B (slots are consecutive), so one GEMM call uses the widest
        // tile (AVX-512: 12×32). Each C element is the same FMA chain whichever tile covers it.
        let panels = t + 1 < f.hi && q + 1 < f.panelsPerGroup ? 2 : 1
        for h in 0 ..< panels {
            let into = slot + h * nr * k
            if s.outW < nr {
                conv2dPackPanelGather(s, f.x + c0 * s.inPlane, panel: q + h, into: into)
            } else if f.padded {
                conv2dPackPanelPadded(s, f.x + c0 * f.ph * f.pw, ph: f.ph, pw: f.pw, panel: q + h, into: into)
            } else {
                conv2dPackPanel(s, f.x + c0 * s.inPlane, panel: q + h, into: into)
            }
        }
        let j0 = q * nr
        var bias: UnsafePointer<Float>? = nil
        if let bp = f.bias { bias = bp + g * mg }
        let epi = DenseEpilogue(bias: bias, biasRowStride: 1, biasColStride: 0, activation: f.activation)
        let cols = n - j0 < panels * nr ? n - j0 : panels * nr
        var gemm = SGEMMComputeArgs(m: mg, n: cols, k: k, packedA: f.weights + g * perGroup, packedB: slot,
                                    c: f.y + (b * s.outChannels + g * mg) * n + j0, ldc: n, epilogue: epi,
                                    aPanels: 0 ..< aPanels, bPanels: 0 ..< panels)
        withUnsafePointer(to: &gemm) { isaGemmCompute(UnsafeRawPointer($0)) }
        q += panels
        if q == f.panelsPerGroup { q = 0; ig += 1 }
        t += panels
    }
}

/// Packs B panel `q` (output positions q·NR ..< q·NR + NR) of one group of one image into `out`
/// (K × NR). The panel is walked as segments of output rows (a 16-column panel of a small
/// image spans several rows); per kernel column the valid output columns are computed once, so
/// the copy loops have no per-element index arithmetic or bounds checks.
@inline(__always)
func conv2dPackPanel(_ s: Conv2DShape, _ x: UnsafePointer<Float>, panel q: Int, into out: UnsafeMutablePointer<Float>) {
    let nr = sgemmNR
    let k = s.gemmK
    let j0 = q * nr
    let cols = Swift.min(nr, s.outPlane - j0)
    if cols < nr {
        for r in 0 ..< k {
            let o = out + r * nr
            for j in cols ..< nr { o[j] = 0 }
        }
    }
    let oh0 = j0 / s.outW, ow0 = j0 - oh0 * s.outW
    let cstride = s.kH * s.kW * nr
    let inW = s.inW, inH = s.inH, sW = s.strideW
    for kw in 0 ..< s.kW {
        let offW = kw * s.dilationW - s.padLeft
        let valid = denseValidBounds(offset: offW, stride: sW, lo: 0, hi: inW, outCount: s.outW)
        for kh in 0 ..< s.kH {
            let offH = kh * s.dilationH - s.padTop
            let rowOut = out + (kh * s.kW + kw) * nr
            // Segments: output row oh, columns owA ..< owB, at panel column t.
            var oh = oh0, owA = ow0, t = 0
            while t < cols {
                let len = Swift.min(s.outW - owA, cols - t)
                let owB = owA + len
                let ih = oh * s.strideH + offH
                let a = Swift.max(owA, valid.lowerBound), b = Swift.min(owB, valid.upperBound)
                if ih < 0 || ih >= inH || a >= b {
                    for c in 0 ..< s.channelsPerGroup {
                        conv2dZero(rowOut + c * cstride + t, len)
                    }
                } else {
                    let lead = a - owA, body = b - a, tail = owB - b
                    let srcOff = ih * inW + a * sW + offW
                    for c in 0 ..< s.channelsPerGroup {
                        let d = rowOut + c * cstride + t
                        let src = x + c * s.inPlane + srcOff
                        if lead > 0 { conv2dZero(d, lead) }
                        conv2dCopy(src, sW, d + lead, body)
                        if tail > 0 { conv2dZero(d + lead + body, tail) }
                    }
                }
                t += len
                owA = 0
                oh += 1
            }
        }
    }
}

/// `conv2dPackPanel` from zero-padded planes (`conv2dPadded`): `xp` is the group's first padded
/// channel, planes of `ph` × `pw` floats.
@inline(__always)
func conv2dPackPanelPadded(_ s: Conv2DShape, _ xp: UnsafePointer<Float>, ph: Int, pw: Int, panel q: Int,
                           into out: UnsafeMutablePointer<Float>) {
    let nr = sgemmNR
    let k = s.gemmK
    let j0 = q * nr
    let cols = Swift.min(nr, s.outPlane - j0)
    if cols < nr {
        for r in 0 ..< k {
            let o = out + r * nr
            for j in cols ..< nr { o[j] = 0 }
        }
    }
    let oh0 = j0 / s.outW, ow0 = j0 - oh0 * s.outW
    let cstride = s.kH * s.kW * nr
    let plane = ph * pw, sW = s.strideW
    for kh in 0 ..< s.kH {
        for kw in 0 ..< s.kW {
            let rowOut = out + (kh * s.kW + kw) * nr
            let tap = kh * s.dilationH * pw + kw * s.dilationW
            var oh = oh0, owA = ow0, t = 0
            while t < cols {
                let len = Swift.min(s.outW - owA, cols - t)
                let src = xp + (oh * s.strideH * pw + owA * sW + tap)
                let d = rowOut + t
                if sW == 1 {
                    for c in 0 ..< s.channelsPerGroup { conv2dCopy1(src + c * plane, d + c * cstride, len) }
                } else if sW == 2 {
                    for c in 0 ..< s.channelsPerGroup { conv2dCopy2(src + c * plane, d + c * cstride, len) }
                } else {
                    for c in 0 ..< s.channelsPerGroup {
                        var p = src + c * plane
                        let dc = d + c * cstride
                        for i in 0 ..< len { dc[i] = p.pointee; p += sW }
                    }
                }
                t += len
                owA = 0
                oh += 1
            }
        }
    }
}

/// Packs B panel `q` for output rows narrower than a panel (the panel spans several output rows,
/// so copying segment by segment would copy a few floats at a time), straight from the unpadded
/// input: per tap (kh, kw) the 16 source offsets and their validity (inside the input plane, inside
/// the output plane) are computed once as vectors, then every channel's packed row gathers them,
/// zeros where invalid. `x` is the group's first input channel.
@inline(__always)
func conv2dPackPanelGather(_ s: Conv2DShape, _ x: UnsafePointer<Float>, panel q: Int,
                           into out: UnsafeMutablePointer<Float>) {
    let nr = sgemmNR
    let j0 = q * nr
    let cols = Swift.min(nr, s.outPlane - j0)
    // Output row and column of each lane (lanes past the plane: masked below)
    // (one division per panel: the lanes walk the output row by row).
    var oh = SIMD16<Int32>(), ow = SIMD16<Int32>()
    var lanesOut = SIMDMask<SIMD16<Int32>>()
    let h0 = j0 / s.outW
    var h = h0, w = j0 - h0 * s.outW
    for j in 0 ..< 16 {
        if j < cols {
            oh[j] = Int32(truncatingIfNeeded: h)
            ow[j] = Int32(truncatingIfNeeded: w)
            w += 1
            if w == s.outW { w = 0; h += 1 }
        } else {
            oh[j] = Int32(truncatingIfNeeded: h0)
            lanesOut[j] = true
        }
    }
    let ih0 = oh &* Int32(truncatingIfNeeded: s.strideH) &- Int32(truncatingIfNeeded: s.padTop)
    let iw0 = ow &* Int32(truncatingIfNeeded: s.strideW) &- Int32(truncatingIfNeeded: s.padLeft)
    let inH = SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: s.inH))
    let inW = SIMD16<Int32>(repeating: Int32(truncatingIfNeeded: s.inW))
    let zero = SIMD16<Int32>()
    let cstride = s.kH * s.kW * nr
    for kh in 0 ..< s.kH {
        let ih = ih0 &+ Int32(truncatingIfNeeded: kh * s.dilationH)
        for kw in 0 ..< s.kW {
            let iw = iw0 &+ Int32(truncatingIfNeeded: kw * s.dilationW)
            let invalid = lanesOut .| (ih .< zero) .| (ih .>= inH) .| (iw .< zero) .| (iw .>= inW)
            let off = (ih &* inW &+ iw).replacing(with: 0, where: invalid)
            var row = out + (kh * s.kW + kw) * nr
            var xc = x
            for _ in 0 ..< s.channelsPerGroup {
                var v = SIMD16<Float>()
                for j in 0 ..< 16 { v[j] = xc[Int(off[j])] }
                v.replace(with: 0, where: invalid)
                UnsafeMutableRawPointer(row).storeBytes(of: v, as: SIMD16<Float>.self)
                row += cstride
                xc += s.inPlane
            }
        }
    }
}

@inline(__always)
func conv2dCopy1(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(load8(src + i), d + i); i += 8 }
    if i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(
            of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
        i += 4
    }
    while i < n { d[i] = src[i]; i += 1 }
}

/// d[i] = src[2i] for i < n; reads up to src[2n] (the padded planes end with slack).
@inline(__always)
func conv2dCopy2(_ src: UnsafePointer<Float>, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n {
        let v = UnsafeRawPointer(src + 2 * i).loadUnaligned(as: SIMD16<Float>.self)
        store8(v.evenHalf, d + i)
        i += 8
    }
    if i + 4 <= n {
        UnsafeMutableRawPointer(d + i).storeBytes(of: load8(src + 2 * i).evenHalf, as: SIMD4<Float>.self)
        i += 4
    }
    while i < n { d[i] = src[2 * i]; i += 1 }
}

/// Table entry `convPad` (`ConvPadArgs`): copies input planes `lo..<hi` (index image · C +
/// channel) into zero-padded planes of ph × pw.
func isaConvPad(_ args: UnsafeRawPointer) {
    let g = args.load(as: ConvPadArgs.self)
    let s = g.s, ph = g.ph, pw = g.pw
    var p = g.lo
    while p < g.hi {
        let src = g.x + p * s.inPlane
        let dst = g.into + p * ph * pw
        conv2dZero(dst, s.padTop * pw)
        for r in 0 ..< s.inH {
            let row = dst + (s.padTop + r) * pw
            conv2dZero(row, s.padLeft)
            conv2dCopy1(src + r * s.inW, row + s.padLeft, s.inW)
            conv2dZero(row + s.padLeft + s.inW, pw - s.padLeft - s.inW)
        }
        conv2dZero(dst + (s.padTop + s.inH) * pw, (ph - s.padTop - s.inH) * pw)
        p += 1
    }
}

@inline(__always)
func conv2dZero(_ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { store8(SIMD8(), d + i); i += 8 }
    while i < n { d[i] = 0; i += 1 }
}

/// d[i] = src[i · stride] for i < n.
@inline(__always)
func conv2dCopy(_ src: UnsafePointer<Float>, _ stride: Int, _ d: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    if stride == 1 {
        while i + 8 <= n { store8(load8(src + i), d + i); i += 8 }
        if i + 4 <= n {
            UnsafeMutableRawPointer(d + i).storeBytes(
                of: UnsafeRawPointer(src + i).loadUnaligned(as: SIMD4<Float>.self), as: SIMD4<Float>.self)
            i += 4
        }
    }
    while i < n { d[i] = src[i * stride]; i += 1 }
}

