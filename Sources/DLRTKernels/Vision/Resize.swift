import Glibc

// Resize (float32, any rank) from per-axis tables built at plan time. Each axis maps output
// index o to `taps` (input index, weight) pairs — 1 for nearest, 2 for linear, 4 for cubic —
// and the output is Σ over the combinations of the per-axis taps of Π weights · x. Leading axes
// that are unchanged become "planes"; the axes between them and the last one become per-row
// (offset, weight) lists; the last axis is applied per element from its table.

public enum ResizeMode: String, Sendable { case nearest, linear, cubic }

public enum ResizeCoordinateMode: String, Sendable {
    case halfPixel = "half_pixel", halfPixelSymmetric = "half_pixel_symmetric"
    case pytorchHalfPixel = "pytorch_half_pixel", alignCorners = "align_corners", asymmetric
    case tfHalfPixelForNN = "tf_half_pixel_for_nn", tfCropAndResize = "tf_crop_and_resize"
}

public enum ResizeNearestMode: String, Sendable {
    case roundPreferFloor = "round_prefer_floor", roundPreferCeil = "round_prefer_ceil", floor, ceil
}

/// The interpolation settings shared by every axis of one Resize node.
public struct ResizeSpec: Sendable, Equatable {
    public var mode: ResizeMode
    public var coordinate: ResizeCoordinateMode
    public var nearest: ResizeNearestMode
    public var cubicA: Float
    public var excludeOutside: Bool
    public var extrapolation: Float

    public init(mode: ResizeMode, coordinate: ResizeCoordinateMode, nearest: ResizeNearestMode = .roundPreferFloor,
                cubicA: Float = -0.75, excludeOutside: Bool = false, extrapolation: Float = 0) {
        self.mode = mode; self.coordinate = coordinate; self.nearest = nearest
        self.cubicA = cubicA; self.excludeOutside = excludeOutside; self.extrapolation = extrapolation
    }

    public var taps: Int { mode == .nearest ? 1 : mode == .linear ? 2 : 4 }
}

/// One axis: for output index o, input indices `index[o·taps + t]` with weights `weight[…]`;
/// `outside[o]` marks positions tf_crop_and_resize extrapolates.
public struct ResizeAxisTable: Sendable, Equatable {
    public let inSize: Int, outSize: Int, taps: Int
    public let index: [Int]
    public let weight: [Float]
    public let outside: [Bool]

    /// True when output o reads exactly input o.
    public var isIdentity: Bool {
        guard inSize == outSize, !outside.contains(true) else { return false }
        for o in 0 ..< outSize {
            for t in 0 ..< taps where weight[o * taps + t] != (t == 0 ? 1 : 0) || (t == 0 && index[o * taps] != o) { return false }
        }
        return true
    }

    public init(inSize: Int, outSize: Int, scale: Float, roi: (Float, Float) = (0, 1), spec: ResizeSpec) {
        self.inSize = inSize; self.outSize = outSize
        // A one-element axis reads input 0 whatever the mode (the weights sum to 1): one tap.
        let taps = inSize == 1 ? 1 : spec.taps
        self.taps = taps
        var index = [Int](repeating: 0, count: outSize * taps)
        var weight = [Float](repeating: 0, count: outSize * taps)
        var outside = [Bool](repeating: false, count: outSize)
        let last = Float(inSize - 1)
        func clampIndex(_ i: Int) -> Int { Swift.min(Swift.max(i, 0), inSize - 1) }
        for o in 0 ..< outSize {
            let xo = resizeOriginal(o, inSize: inSize, outSize: outSize, scale: scale, roi: roi, spec.coordinate)
            if spec.coordinate == .tfCropAndResize && !(xo >= 0 && xo <= last) { outside[o] = true; continue }
            let b = o * taps
            switch taps == 1 ? .nearest : spec.mode {
            case .nearest:
                index[b] = clampIndex(resizeNearest(xo, spec.nearest, limit: inSize))
                weight[b] = 1
            case .linear:
                let c = Swift.min(Swift.max(xo, 0), last)
                let i0 = Int(c.rounded(.down)), i1 = Swift.min(i0 + 1, inSize - 1)
                let t = c - Float(i0)
                index[b] = i0; index[b + 1] = i1
                weight[b] = i0 == i1 ? 1 : 1 - t; weight[b + 1] = i0 == i1 ? 0 : t
            case .cubic:
                let f = xo.rounded(.down), t = xo - f, a = spec.cubicA
                var sum: Float = 0
                for j in 0 ..< 4 {
                    let i = Int(f) + j - 1
                    let d = Swift.abs(t - Float(j - 1))
                    var w: Float = d <= 1 ? ((a + 2) * d - (a + 3)) * d * d + 1
                                          : d < 2 ? ((a * d - 5 * a) * d + 8 * a) * d - 4 * a : 0
                    if spec.excludeOutside && (i < 0 || i >= inSize) { w = 0 }
                    index[b + j] = clampIndex(i)
                    weight[b + j] = w
                    sum += w
                }
                if spec.excludeOutside && sum != 0 { for j in 0 ..< 4 { weight[b + j] /= sum } }
            }
        }
        self.index = index; self.weight = weight; self.outside = outside
    }
}

/// x_original of ONNX Resize for output index x (float arithmetic, as onnxruntime).
@inline(__always)
func resizeOriginal(_ x: Int, inSize: Int, outSize: Int, scale s: Float, roi: (Float, Float),
                    _ mode: ResizeCoordinateMode) -> Float {
    let xr = Float(x), lin = Float(inSize), lout = Float(outSize)
    switch mode {
    case .halfPixel: return (xr + 0.5) / s - 0.5
    case .halfPixelSymmetric:
        let adjustment = lout / (s * lin)
        return lin / 2 * (1 - adjustment) + (xr + 0.5) / s - 0.5
    case .pytorchHalfPixel: return outSize > 1 ? (xr + 0.5) / s - 0.5 : 0
    case .alignCorners: return outSize == 1 ? 0 : xr * (lin - 1) / (lout - 1)
    case .asymmetric: return xr / s
    case .tfHalfPixelForNN: return (xr + 0.5) / s
    case .tfCropAndResize:
        return outSize > 1 ? roi.0 * (lin - 1) + xr * (roi.1 - roi.0) * (lin - 1) / (lout - 1)
                           : 0.5 * (roi.0 + roi.1) * (lin - 1)
    }
}

/// The nearest input index of x_original (before clamping; bounded so the Int conversion is safe).
@inline(__always)
func resizeNearest(_ xo: Float, _ mode: ResizeNearestMode, limit: Int) -> Int {
    let c = Swift.min(Swift.max(xo, -1), Float(limit))
    if !(c == c) { return 0 }
    let f = c.rounded(.down)
    switch mode {
    case .roundPreferFloor: return Int(c - f == 0.5 ? f : c.rounded(.toNearestOrAwayFromZero))
    case .roundPreferCeil: return Int(c - f == 0.5 ? f + 1 : c.rounded(.toNearestOrAwayFromZero))
    case .floor: return Int(f)
    case .ceil: return Int(c.rounded(.up))
    }
}

/// Everything `run` needs for one input shape, computed once at plan time.
public struct ResizePlan: Sendable {
    public let inShape: [Int], outShape: [Int]
    /// Leading unchanged axes merged: `planes` blocks of `inPlane` → `outPlane` floats.
    public let planes: Int, inPlane: Int, outPlane: Int
    /// Output rows per plane (product of the output dims between the planes and the last axis)
    /// and, per row, `combos` (input offset within the plane, weight) pairs; `rowOutside[r]`:
    /// the whole row is the extrapolation value.
    public let rowsPerPlane: Int, combos: Int
    let rowOffset: [Int], rowWeight: [Float], rowOutside: [Bool]
    /// Row r reads exactly what row r − 1 of its plane reads (nearest upsampling): copied.
    let rowRepeats: [Bool]
    /// The last axis.
    let last: ResizeAxisTable
    let lastHasOutside: Bool
    /// k > 1 when the last axis is nearest upsampling by the integer k (output j reads input j / k).
    let lastRepeat: Int
    let extrapolation: Float

    public var rowCount: Int { planes * rowsPerPlane }

    public init(inShape: [Int], outShape: [Int], tables: [ResizeAxisTable], extrapolation: Float) {
        self.inShape = inShape; self.outShape = outShape; self.extrapolation = extrapolation
        let r = inShape.count
        var first = 0
        while first < r - 1 && tables[first].isIdentity { first += 1 }
        planes = inShape[..<first].reduce(1, *)
        inPlane = inShape[first...].reduce(1, *)
        outPlane = outShape[first...].reduce(1, *)
        last = tables[r - 1]
        lastHasOutside = last.outside.contains(true)
        let lt = tables[r - 1], k = lt.inSize > 0 ? lt.outSize / lt.inSize : 0
        lastRepeat = lt.taps == 1 && k > 1 && lt.outSize == k * lt.inSize && !lt.outside.contains(true)
            && (0 ..< lt.outSize).allSatisfy { lt.index[$0] == $0 / k } ? k : 0
        let mid = Array(first ..< r - 1)
        rowsPerPlane = mid.reduce(1) { $0 * outShape[$1] }
        combos = mid.reduce(1) { $0 * tables[$1].taps }
        // Input element strides within a plane.
        var inStride = [Int](repeating: 1, count: r)
        for k in stride(from: r - 2, through: 0, by: -1) { inStride[k] = inStride[k + 1] * inShape[k + 1] }
        var offsets = [Int](repeating: 0, count: rowsPerPlane * combos)
        var weights = [Float](repeating: 0, count: rowsPerPlane * combos)
        var outside = [Bool](repeating: false, count: rowsPerPlane)
        var coord = [Int](repeating: 0, count: mid.count)
        var pick = [Int](repeating: 0, count: mid.count)
        for row in 0 ..< rowsPerPlane {
            var rest = row
            for j in stride(from: mid.count - 1, through: 0, by: -1) {
                coord[j] = rest % outShape[mid[j]]; rest /= outShape[mid[j]]
                if tables[mid[j]].outside[coord[j]] { outside[row] = true }
            }
            for c in 0 ..< combos {
                var rest = c, off = 0
                var w: Float = 1
                for j in stride(from: mid.count - 1, through: 0, by: -1) {
                    let t = tables[mid[j]]
                    pick[j] = rest % t.taps; rest /= t.taps
                    off += t.index[coord[j] * t.taps + pick[j]] * inStride[mid[j]]
                    w *= t.weight[coord[j] * t.taps + pick[j]]
                }
                offsets[row * combos + c] = off
                weights[row * combos + c] = w
            }
        }
        rowOffset = offsets; rowWeight = weights; rowOutside = outside
        var repeats = [Bool](repeating: false, count: rowsPerPlane)
        let perRow = combos
        for r in repeats.indices.dropFirst() where outside[r] == outside[r - 1] {
            let a = r * perRow, b = a - perRow
            repeats[r] = offsets[a ..< a + perRow] == offsets[b ..< b + perRow] && weights[a ..< a + perRow] == weights[b ..< b + perRow]
        }
        rowRepeats = repeats
    }

    /// Computes output rows `rows` (index = plane · rowsPerPlane + row). Does not allocate.
    public func run(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        let n = last.outSize, taps = last.taps
        last.index.withUnsafeBufferPointer { li in
        last.weight.withUnsafeBufferPointer { lw in
        rowOffset.withUnsafeBufferPointer { ro in
        rowWeight.withUnsafeBufferPointer { rw in
            for row in rows {
                let p = row / rowsPerPlane, r = row - p * rowsPerPlane
                let out = y + row * n
                if rowRepeats[r] && row > rows.lowerBound { out.update(from: out - n, count: n); continue }
                if rowOutside[r] { out.update(repeating: extrapolation, count: n); continue }
                let base = x + p * inPlane
                if combos == 2 && taps == 2 {
                    // Bilinear: both source rows in one pass.
                    let r0 = base + ro[2 * r], r1 = base + ro[2 * r + 1], w0 = rw[2 * r], w1 = rw[2 * r + 1]
                    for j in 0 ..< n {
                        let i0 = li[2 * j], i1 = li[2 * j + 1], a0 = lw[2 * j], a1 = lw[2 * j + 1]
                        out[j] = w0 * (a0 * r0[i0] + a1 * r0[i1]) + w1 * (a0 * r1[i0] + a1 * r1[i1])
                    }
                    if lastHasOutside { for j in 0 ..< n where last.outside[j] { out[j] = extrapolation } }
                    continue
                }
                for c in 0 ..< combos {
                    let src = base + ro[r * combos + c]
                    let w = rw[r * combos + c]
                    let first = c == 0
                    switch taps {
                    case 1:
                        if first && w == 1 && lastRepeat == 2 {
                            for i in 0 ..< n / 2 { let v = src[i]; out[2 * i] = v; out[2 * i + 1] = v }
                        } else if first && w == 1 && lastRepeat > 2 {
                            let k = lastRepeat
                            for i in 0 ..< n / k { (out + i * k).update(repeating: src[i], count: k) }
                        } else if first && w == 1 { for j in 0 ..< n { out[j] = src[li[j]] } }
                        else { for j in 0 ..< n { out[j] = (first ? 0 : out[j]) + w * src[li[j]] } }
                    case 2:
                        for j in 0 ..< n {
                            let v = lw[2 * j] * src[li[2 * j]] + lw[2 * j + 1] * src[li[2 * j + 1]]
                            out[j] = first ? w * v : out[j] + w * v
                        }
                    default:
                        for j in 0 ..< n {
                            var v: Float = 0
                            for t in 0 ..< taps { v += lw[j * taps + t] * src[li[j * taps + t]] }
                            out[j] = first ? w * v : out[j] + w * v
                        }
                    }
                }
                if lastHasOutside { for j in 0 ..< n where last.outside[j] { out[j] = extrapolation } }
            }
        } } } }
    }
}
