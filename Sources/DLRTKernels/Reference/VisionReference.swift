import Glibc

/// Plain scalar references of the vision ops (ConvTranspose, Resize, Pad, DepthToSpace,
/// SpaceToDepth), written straight from the ONNX definitions. The fast kernels in `Vision/` are
/// tested against them; they are slow, allocate, and the runtime never calls them.

/// ConvTranspose with explicit begin pads: x [N, C, d1…], w [C, M/group, k1…]; `outSpatial` is
/// the output's spatial shape (it fixes the end pads and output_padding). Direct scatter loops:
/// every input element times every tap adds into the output position it reaches.
public func referenceConvTranspose(x: [Float], xShape: [Int], w: [Float], wShape: [Int], bias: [Float]?,
                                   strides: [Int], padsBegin: [Int], dilations: [Int], group: Int,
                                   outSpatial: [Int], activation: DenseActivation = .none) -> [Float] {
    let r = xShape.count - 2
    let n = xShape[0], c = xShape[1], cg = c / group, mg = wShape[1], m = mg * group
    let yShape = [n, m] + outSpatial
    var y = [Double](repeating: 0, count: yShape.reduce(1, *))
    let kernel = Array(wShape[2...])
    referenceForEachIndex(xShape) { xi in
        let xv = Double(x[referenceOffset(xi, xShape)])
        let ci = xi[1], g = ci / cg
        for j in 0 ..< mg {
            referenceForEachIndex(kernel) { k in
                var yi = [xi[0], g * mg + j] + [Int](repeating: 0, count: r)
                for d in 0 ..< r {
                    let o = xi[2 + d] * strides[d] - padsBegin[d] + k[d] * dilations[d]
                    if o < 0 || o >= outSpatial[d] { return }
                    yi[2 + d] = o
                }
                let wv = Double(w[referenceOffset([ci, j] + k, wShape)])
                y[referenceOffset(yi, yShape)] += xv * wv
            }
        }
    }
    var out = [Float](repeating: 0, count: y.count)
    referenceForEachIndex(yShape) { yi in
        let o = referenceOffset(yi, yShape)
        out[o] = activation.apply(Float(y[o] + Double(bias?[yi[1]] ?? 0)))
    }
    return out
}

/// One axis of a reference Resize: how output coordinates map back and are interpolated.
public struct ReferenceResizeAxis {
    public var mode: String                // nearest, linear, cubic
    public var coordinate: String          // ONNX coordinate_transformation_mode
    public var nearest: String             // ONNX nearest_mode
    public var cubicA: Float
    public var excludeOutside: Bool
    public var scale: Float
    public var roi: (start: Float, end: Float)

    public init(mode: String, coordinate: String, nearest: String = "round_prefer_floor", cubicA: Float = -0.75,
                excludeOutside: Bool = false, scale: Float, roi: (Float, Float) = (0, 1)) {
        self.mode = mode; self.coordinate = coordinate; self.nearest = nearest
        self.cubicA = cubicA; self.excludeOutside = excludeOutside; self.scale = scale; self.roi = roi
    }

    /// x_original of the ONNX definition (float arithmetic, as onnxruntime does it).
    func original(_ x: Int, inSize: Int, outSize: Int) -> Float {
        let xr = Float(x), s = scale, lin = Float(inSize), lout = Float(outSize)
        switch coordinate {
        case "half_pixel": return (xr + 0.5) / s - 0.5
        case "half_pixel_symmetric":
            let adjustment = lout / (s * lin)
            let offset = lin / 2 * (1 - adjustment)
            return offset + (xr + 0.5) / s - 0.5
        case "pytorch_half_pixel": return outSize > 1 ? (xr + 0.5) / s - 0.5 : 0
        case "align_corners": return outSize == 1 ? 0 : xr * (lin - 1) / (lout - 1)
        case "tf_half_pixel_for_nn": return (xr + 0.5) / s
        case "tf_crop_and_resize":
            return outSize > 1 ? roi.start * (lin - 1) + xr * (roi.end - roi.start) * (lin - 1) / (lout - 1)
                               : 0.5 * (roi.start + roi.end) * (lin - 1)
        default: return xr / s  // asymmetric
        }
    }

    /// The (input index, weight) pairs output index `x` reads; nil when it is extrapolated.
    func taps(_ x: Int, inSize: Int, outSize: Int) -> [(Int, Double)]? {
        let xo = original(x, inSize: inSize, outSize: outSize)
        if coordinate == "tf_crop_and_resize" && (xo < 0 || xo > Float(inSize - 1)) { return nil }
        func clampIndex(_ i: Int) -> Int { min(max(i, 0), inSize - 1) }
        // An axis of one element reads it whatever the mode (as onnxruntime, which interpolates
        // only resized axes: no 0-weight taps multiplying an infinity into NaN).
        if inSize == 1 { return [(0, 1)] }
        switch mode {
        case "nearest":
            let f = xo.rounded(.down)
            var i: Float
            switch nearest {
            case "round_prefer_ceil": i = xo - f == 0.5 ? f + 1 : xo.rounded(.toNearestOrAwayFromZero)
            case "floor": i = f
            case "ceil": i = xo.rounded(.up)
            default: i = xo - f == 0.5 ? f : xo.rounded(.toNearestOrAwayFromZero)
            }
            i = min(max(i, -1), Float(inSize))
            return [(clampIndex(Int(i)), 1)]
        case "linear":
            let c = min(max(xo, 0), Float(inSize - 1))
            let i0 = Int(c.rounded(.down)), i1 = min(i0 + 1, inSize - 1)
            let t = Double(c) - Double(i0)
            return i0 == i1 ? [(i0, 1)] : [(i0, 1 - t), (i1, t)]
        default:  // cubic
            let f = xo.rounded(.down), t = Double(xo - f), a = Double(cubicA)
            func k(_ d: Double) -> Double {  // Keys' cubic kernel
                let d = abs(d)
                if d <= 1 { return ((a + 2) * d - (a + 3)) * d * d + 1 }
                if d < 2 { return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a }
                return 0
            }
            var out: [(Int, Double)] = []
            for j in -1 ... 2 {
                let i = Int(f) + j
                if excludeOutside && (i < 0 || i >= inSize) { continue }
                out.append((clampIndex(i), k(t - Double(j))))
            }
            if excludeOutside {
                let sum = out.reduce(0) { $0 + $1.1 }
                out = out.map { ($0.0, $0.1 / sum) }
            }
            return out
        }
    }
}

/// Resize of x (any rank) to `outShape`, one `ReferenceResizeAxis` per axis: each output element
/// is Σ over every combination of per-axis taps of Π weights · x (extrapolated: `extrapolation`).
public func referenceResize(x: [Float], xShape: [Int], outShape: [Int], axes: [ReferenceResizeAxis],
                            extrapolation: Float = 0) -> [Float] {
    var y = [Float](repeating: 0, count: outShape.reduce(1, *))
    referenceForEachIndex(outShape) { yi in
        var perAxis: [[(Int, Double)]] = []
        for d in 0 ..< xShape.count {
            guard let t = axes[d].taps(yi[d], inSize: xShape[d], outSize: outShape[d]) else {
                y[referenceOffset(yi, outShape)] = extrapolation
                return
            }
            perAxis.append(t)
        }
        var sum = 0.0
        referenceForEachIndex(perAxis.map(\.count)) { pick in
            var w = 1.0
            var xi: [Int] = []
            for d in 0 ..< xShape.count { xi.append(perAxis[d][pick[d]].0); w *= perAxis[d][pick[d]].1 }
            sum += w * Double(x[referenceOffset(xi, xShape)])
        }
        y[referenceOffset(yi, outShape)] = Float(sum)
    }
    return y
}

/// Pad of any element type (as raw values) with ONNX pads [b1…, e1…] (negative: crop) and mode
/// constant / reflect / edge / wrap. Reflect and wrap repeat as often as the pads need.
public func referencePad<T>(x: [T], xShape: [Int], pads: [Int], mode: String, value: T) -> (y: [T], shape: [Int]) {
    let r = xShape.count
    let outShape = (0 ..< r).map { xShape[$0] + pads[$0] + pads[$0 + r] }
    var y: [T] = []
    y.reserveCapacity(outShape.reduce(1, *))
    referenceForEachIndex(outShape) { oi in
        var xi: [Int] = []
        for d in 0 ..< r {
            // The cropped input: [lo, lo + n) of the original axis.
            let lo = max(0, -pads[d]), n = xShape[d] - lo - max(0, -pads[d + r])
            var i = oi[d] - max(0, pads[d])
            if i < 0 || i >= n {
                switch mode {
                case "edge": i = min(max(i, 0), n - 1)
                case "wrap": i = ((i % n) + n) % n
                case "reflect":
                    if n == 1 { i = 0 } else {
                        let period = 2 * (n - 1)
                        i = ((i % period) + period) % period
                        if i >= n { i = period - i }
                    }
                default: y.append(value); return
                }
            }
            xi.append(lo + i)
        }
        y.append(x[referenceOffset(xi, xShape)])
    }
    return (y, outShape)
}

/// DepthToSpace of x [N, C, H, W] with block b: DCR reads channel (bh·b + bw)·C/b² + c,
/// CRD reads c·b² + bh·b + bw.
public func referenceDepthToSpace<T>(x: [T], xShape: [Int], blocksize b: Int, crd: Bool) -> [T] {
    let (n, c, h, w) = (xShape[0], xShape[1], xShape[2], xShape[3])
    let oc = c / (b * b)
    var y: [T] = []
    y.reserveCapacity(x.count)
    for i in 0 ..< n { for k in 0 ..< oc { for oh in 0 ..< h * b { for ow in 0 ..< w * b {
        let bh = oh % b, bw = ow % b
        let ch = crd ? k * b * b + bh * b + bw : (bh * b + bw) * oc + k
        y.append(x[((i * c + ch) * h + oh / b) * w + ow / b])
    } } } }
    return y
}

/// SpaceToDepth of x [N, C, H, W] with block b: output channel (bh·b + bw)·C + c (DCR) or
/// c·b² + bh·b + bw (CRD).
public func referenceSpaceToDepth<T>(x: [T], xShape: [Int], blocksize b: Int, crd: Bool = false) -> [T] {
    let (n, c, h, w) = (xShape[0], xShape[1], xShape[2], xShape[3])
    var y: [T] = []
    y.reserveCapacity(x.count)
    for i in 0 ..< n { for ch in 0 ..< c * b * b { for oh in 0 ..< h / b { for ow in 0 ..< w / b {
        let k = crd ? ch / (b * b) : ch % c, blk = crd ? ch % (b * b) : ch / c, bh = blk / b, bw = blk % b
        y.append(x[((i * c + k) * h + oh * b + bh) * w + ow * b + bw])
    } } } }
    return y
}
