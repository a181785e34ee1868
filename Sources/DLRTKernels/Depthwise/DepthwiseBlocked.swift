/// Depthwise convolution computed 8 channels at a time (one SIMD8 lane per channel).
///
/// The plane-by-plane kernel (`conv2dDepthwise`) vectorizes along a row, which only pays when
/// rows are long and the stride is 1. MobileNet-style nets spend most depthwise time in
/// stride-2 layers and on 4…32-wide planes, where it falls back to scalar code. Here a block of
/// 8 channels is first interleaved into a zero-padded scratch plane xs [ph][pw][8], so every
/// tap of every output is one unaligned vector load and one FMA, whatever the stride, dilation,
/// padding or width; the 8 results of an output position are written back to the 8 NCHW planes.
///
/// Scratch per task (one (image, channel block)): ph·pw·8 floats of padded input + kH·kW·8
/// weights + 8 bias, rounded to 16 floats. Tasks run in chunks so the scratch stays bounded.
public enum DepthwiseBlocked {
    /// Channels per block (SIMD8 lanes).
    public static let lanes = 8
    /// Floats of scratch one chunk of tasks may use (≈ 1 MiB).
    static let chunkBudget = 1 << 18

    /// Whether the blocked path is the faster one for `s` (measured on MobileNetV2 layers: long
    /// stride-1 rows are as fast in the plane kernel, without the interleaving passes).
    public static func isPreferred(for s: Conv2DShape) -> Bool {
        s.isDepthwise && s.group >= lanes / 2
    }

    /// Height and width of the zero-padded input plane: every tap of every output lies in it.
    static func paddedSize(_ s: Conv2DShape) -> (h: Int, w: Int) {
        ((s.outH - 1) * s.strideH + (s.kH - 1) * s.dilationH + 1, (s.outW - 1) * s.strideW + (s.kW - 1) * s.dilationW + 1)
    }

    static func slotFloats(_ s: Conv2DShape) -> Int {
        let (ph, pw) = paddedSize(s)
        return (ph * pw * lanes + s.kH * s.kW * lanes + lanes + 15) / 16 * 16
    }

    static func blocks(_ s: Conv2DShape) -> Int { (s.inChannels + lanes - 1) / lanes }

    static func tasksPerChunk(_ s: Conv2DShape) -> Int {
        let tasks = s.batch * blocks(s)
        return Swift.max(1, Swift.min(tasks, Swift.max(2, chunkBudget / Swift.max(1, slotFloats(s)))))
    }

    /// Floats of scratch `depthwiseBlockedForward` needs for `s`.
    public static func scratchCount(_ s: Conv2DShape) -> Int {
        s.outPlane == 0 || s.batch == 0 ? 0 : tasksPerChunk(s) * slotFloats(s)
    }
}

/// y [N, C, outH, outW] = act(depthwise(x [N, C, inH, inW], weights [C, kH·kW]) + bias [C]).
/// `scratch` holds `DepthwiseBlocked.scratchCount(s)` floats.
public func depthwiseBlockedForward(_ s: Conv2DShape, x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
                                    bias: UnsafePointer<Float>?, activation: DenseActivation,
                                    y: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>,
                                    parallel: any ParallelLoop = SerialLoop()) {
    let tasks = s.batch * DepthwiseBlocked.blocks(s)
    if tasks == 0 || s.outPlane == 0 { return }
    let chunk = DepthwiseBlocked.tasksPerChunk(s)
    var first = 0
    while first < tasks {
        let n = Swift.min(chunk, tasks - first)
        parallel.parallelFor(n, grain: 1, DepthwiseBlockedTask(s: s, x: x, weights: weights, bias: bias,
                                                                activation: activation, y: y, scratch: scratch,
                                                                firstTask: first))
        first += n
    }
}

struct DepthwiseBlockedTask: ParallelTask {
    let s: Conv2DShape
    let x: UnsafePointer<Float>, weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?
    let activation: DenseActivation
    let y: UnsafeMutablePointer<Float>
    let scratch: UnsafeMutablePointer<Float>
    let firstTask: Int

    func run(_ r: Range<Int>) {
        let slot = DepthwiseBlocked.slotFloats(s), blocks = DepthwiseBlocked.blocks(s)
        for t in r {
            let task = firstTask + t
            depthwiseBlock(s, image: task / blocks, firstChannel: task % blocks * DepthwiseBlocked.lanes,
                           x: x, weights: weights, bias: bias, activation: activation, y: y, slot: scratch + t * slot)
        }
    }
}

@inline(__always) private func loadV(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
}

/// One image × one block of ≤ 8 channels starting at `c0`.
func depthwiseBlock(_ s: Conv2DShape, image b: Int, firstChannel c0: Int, x: UnsafePointer<Float>,
                    weights: UnsafePointer<Float>, bias: UnsafePointer<Float>?, activation: DenseActivation,
                    y: UnsafeMutablePointer<Float>, slot: UnsafeMutablePointer<Float>) {
    let L = DepthwiseBlocked.lanes
    let nc = Swift.min(L, s.inChannels - c0)
    let (ph, pw) = DepthwiseBlocked.paddedSize(s)
    let kk = s.kH * s.kW
    let xs = slot                        // [ph][pw][8]
    let wv = slot + ph * pw * L          // [kk][8]
    let bv = wv + kk * L                 // [8]

    // Weights and bias interleaved by lane; lanes past the last channel are zero.
    for tap in 0 ..< kk {
        for l in 0 ..< L { wv[tap * L + l] = l < nc ? weights[(c0 + l) * kk + tap] : 0 }
    }
    for l in 0 ..< L { bv[l] = l < nc ? (bias?[c0 + l] ?? 0) : 0 }

    // Zero-padded, interleaved input: padded row r is input row r − padTop, column q is q − padLeft.
    let inPlane = s.inPlane
    let xb = x + (b * s.inChannels + c0) * inPlane
    let colLo = Swift.min(pw, Swift.max(0, s.padLeft)), colHi = Swift.max(colLo, Swift.min(pw, s.inW + s.padLeft))
    for r in 0 ..< ph {
        let row = xs + r * pw * L
        let ih = r - s.padTop
        if ih < 0 || ih >= s.inH {
            row.update(repeating: 0, count: pw * L)
            continue
        }
        if colLo > 0 { row.update(repeating: 0, count: colLo * L) }
        if colHi < pw { (row + colHi * L).update(repeating: 0, count: (pw - colHi) * L) }
        if nc < L {
            for q in colLo ..< colHi { (row + q * L + nc).update(repeating: 0, count: L - nc) }
        }
        let iw0 = colLo - s.padLeft
        for l in 0 ..< nc {
            let src = xb + l * inPlane + ih * s.inW + iw0
            var dst = row + colLo * L + l
            for q in 0 ..< colHi - colLo {
                dst.pointee = src[q]
                dst += L
            }
        }
    }

    let outPlane = s.outPlane
    let yb = y + (b * s.outChannels + c0) * outPlane
    // relu and clip become one clamp to [lo, hi]; leaky relu scales negatives by `slope`.
    let vectorAct = activation.kind == .none || activation.kind == .relu || activation.kind == .leakyRelu
        || activation.kind == .clip
    let lo = SIMD8<Float>(repeating: activation.kind == .clip ? activation.min : activation.kind == .relu ? 0 : -.infinity)
    let hi = SIMD8<Float>(repeating: activation.kind == .clip ? activation.max : .infinity)
    let slope: Float = activation.kind == .leakyRelu ? activation.alpha : 1
    let bias0 = loadV(bv)
    let rowStep = s.strideH * pw * L, colStep = s.strideW * L, dilH = s.dilationH * pw * L, dilW = s.dilationW * L
    let kH = s.kH, kW = s.kW, outW = s.outW
    for oh in 0 ..< s.outH {
        let xrow = UnsafePointer(xs + oh &* rowStep)
        let yrow = yb + oh &* outW
        var ow = 0
        // Four output positions at once: four independent FMA chains hide the FMA latency.
        while ow &+ 4 <= outW {
            var a0 = bias0, a1 = bias0, a2 = bias0, a3 = bias0
            let xp = xrow + ow &* colStep
            var wp = UnsafePointer(wv)
            for kh in 0 ..< kH {
                var xr = xp + kh &* dilH
                for _ in 0 ..< kW {
                    let w = loadV(wp)
                    a0.addProduct(w, loadV(xr))
                    a1.addProduct(w, loadV(xr + colStep))
                    a2.addProduct(w, loadV(xr + 2 &* colStep))
                    a3.addProduct(w, loadV(xr + 3 &* colStep))
                    wp += L
                    xr += dilW
                }
            }
            storeBlock(clamp(a0, lo, hi, slope), yrow + ow, nc, outPlane)
            storeBlock(clamp(a1, lo, hi, slope), yrow + (ow &+ 1), nc, outPlane)
            storeBlock(clamp(a2, lo, hi, slope), yrow + (ow &+ 2), nc, outPlane)
            storeBlock(clamp(a3, lo, hi, slope), yrow + (ow &+ 3), nc, outPlane)
            ow &+= 4
        }
        while ow < outW {
            var acc = bias0
            var wp = UnsafePointer(wv)
            let xp = xrow + ow &* colStep
            for kh in 0 ..< kH {
                var xr = xp + kh &* dilH
                for _ in 0 ..< kW {
                    acc.addProduct(loadV(wp), loadV(xr))
                    wp += L
                    xr += dilW
                }
            }
            storeBlock(clamp(acc, lo, hi, slope), yrow + ow, nc, outPlane)
            ow &+= 1
        }
    }
    if !vectorAct {
        for l in 0 ..< nc { activation.apply(yb + l * outPlane, count: outPlane) }
    }
}

/// Leaky slope, then clamp to [lo, hi] (relu: [0, ∞), clip: [min, max], none: identity).
@inline(__always)
private func clamp(_ v: SIMD8<Float>, _ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ slope: Float) -> SIMD8<Float> {
    var a = v.replacing(with: v * slope, where: v .< 0)
    a = a.replacing(with: lo, where: a .< lo)
    return a.replacing(with: hi, where: a .> hi)
}

/// Writes lane l of `v` to `y[l · planeStride]` for the first `count` lanes.
@inline(__always)
private func storeBlock(_ v: SIMD8<Float>, _ y: UnsafeMutablePointer<Float>, _ count: Int, _ planeStride: Int) {
    if count == 8 {
        for l in 0 ..< 8 { y[l &* planeStride] = v[l] }
    } else {
        for l in 0 ..< count { y[l &* planeStride] = v[l] }
    }
}
