/// Plain scalar reference implementations of the dense ops, written straight from the ONNX
/// definitions (Double accumulation). They are the specification the fast kernels are tested
/// against; they are slow and allocate, and are not used by the runtime.

/// Calls `body` with every multi-index of `shape` in row-major order.
func referenceForEachIndex(_ shape: [Int], _ body: ([Int]) -> Void) {
    if shape.contains(where: { $0 <= 0 }) { return }
    var idx = [Int](repeating: 0, count: shape.count)
    while true {
        body(idx)
        var d = shape.count - 1
        while d >= 0 {
            idx[d] += 1
            if idx[d] < shape[d] { break }
            idx[d] = 0
            d -= 1
        }
        if d < 0 { return }
    }
}

func referenceOffset(_ idx: [Int], _ shape: [Int]) -> Int {
    var o = 0
    for d in 0 ..< shape.count { o = o * shape[d] + idx[d] }
    return o
}

/// Gemm: Y = act(alpha · op(A) · op(B) + beta · C), op(A) is m × k, op(B) is k × n, A and B
/// row-major (A is k × m when transA), C of shape `cShape` (rank ≤ 2) broadcast to [m, n].
public func referenceGemm(m: Int, n: Int, k: Int, a: [Float], transA: Bool, b: [Float], transB: Bool,
                          c: [Float]? = nil, cShape: [Int] = [], alpha: Float = 1, beta: Float = 1,
                          activation: DenseActivation = .none) -> [Float] {
    var y = [Float](repeating: 0, count: m * n)
    let cs = [Int](repeating: 1, count: max(0, 2 - cShape.count)) + cShape
    for i in 0 ..< m {
        for j in 0 ..< n {
            var s = 0.0
            for kk in 0 ..< k {
                let av = transA ? a[kk * m + i] : a[i * k + kk]
                let bv = transB ? b[j * k + kk] : b[kk * n + j]
                s += Double(av) * Double(bv)
            }
            var v = Double(alpha) * s
            if let c {
                let ci = cs[0] == 1 ? 0 : i
                let cj = cs[1] == 1 ? 0 : j
                v += Double(beta) * Double(c[ci * cs[1] + cj])
            }
            y[i * n + j] = activation.apply(Float(v))
        }
    }
    return y
}

/// Conv with explicit pads: x is [N, C, d1…], w is [M, C/group, k1…], pads [b1…, e1…].
/// Returns Y and its shape [N, M, o1…] with o = floor((in + b + e - ((k-1)·dil + 1)) / s) + 1.
public func referenceConv(x: [Float], xShape: [Int], w: [Float], wShape: [Int], bias: [Float]?,
                          strides: [Int], pads: [Int], dilations: [Int], group: Int,
                          activation: DenseActivation = .none) -> (y: [Float], shape: [Int]) {
    let r = xShape.count - 2
    let n = xShape[0], c = xShape[1], m = wShape[0], cg = c / group, mg = m / group
    let inSp = Array(xShape[2...]), kSp = Array(wShape[2...])
    var outSp = [Int]()
    for d in 0 ..< r {
        let ext = (kSp[d] - 1) * dilations[d] + 1
        outSp.append((inSp[d] + pads[d] + pads[d + r] - ext) / strides[d] + 1)
    }
    let yShape = [n, m] + outSp
    var y = [Float](repeating: 0, count: yShape.reduce(1, *))
    referenceForEachIndex(yShape) { oi in
        let b = oi[0], oc = oi[1], g = oc / mg
        var s = 0.0
        for ic in 0 ..< cg {
            referenceForEachIndex(kSp) { ki in
                var xi = [b, g * cg + ic]
                for d in 0 ..< r {
                    let p = oi[2 + d] * strides[d] - pads[d] + ki[d] * dilations[d]
                    if p < 0 || p >= inSp[d] { return }
                    xi.append(p)
                }
                let wv = w[referenceOffset([oc, ic] + ki, wShape)]
                s += Double(wv) * Double(x[referenceOffset(xi, xShape)])
            }
        }
        if let bias { s += Double(bias[oc]) }
        y[referenceOffset(oi, yShape)] = activation.apply(Float(s))
    }
    return (y, yShape)
}

/// Output size of a pooling window along one axis (ONNX, explicit pads): floor or ceil of
/// (in + b + e - ext) / s, plus one; with ceil_mode a window starting in the end padding is dropped.
public func referencePoolOutputSize(input: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int,
                                    dilation: Int, ceilMode: Bool) -> Int {
    let ext = (kernel - 1) * dilation + 1
    let span = input + padBegin + padEnd - ext
    var out = (ceilMode ? (span + stride - 1) / stride : span / stride) + 1
    if ceilMode && (out - 1) * stride >= input + padBegin { out -= 1 }
    return out
}

/// MaxPool (`isMax`) or AveragePool on x [N, C, d1…] with explicit pads [b1…, e1…].
/// Padding never wins a max; the average divides by the in-bounds count, or with
/// `countIncludePad` by the positions inside the padded input (not those past it from ceil_mode).
public func referencePool(isMax: Bool, x: [Float], xShape: [Int], kernel: [Int], strides: [Int], pads: [Int],
                          dilations: [Int], ceilMode: Bool, countIncludePad: Bool) -> (y: [Float], shape: [Int]) {
    let r = xShape.count - 2
    let inSp = Array(xShape[2...])
    var outSp = [Int]()
    for d in 0 ..< r {
        outSp.append(referencePoolOutputSize(input: inSp[d], kernel: kernel[d], stride: strides[d], padBegin: pads[d],
                                             padEnd: pads[d + r], dilation: dilations[d], ceilMode: ceilMode))
    }
    let yShape = [xShape[0], xShape[1]] + outSp
    var y = [Float](repeating: 0, count: yShape.reduce(1, *))
    referenceForEachIndex(yShape) { oi in
        var best = -Double.infinity
        var sum = 0.0
        var count = 0
        referenceForEachIndex(kernel) { ki in
            var xi = [oi[0], oi[1]]
            var inside = true
            for d in 0 ..< r {
                let p = oi[2 + d] * strides[d] - pads[d] + ki[d] * dilations[d]
                if p >= inSp[d] + pads[d + r] { return }      // past the padded end: never counts
                if p < 0 || p >= inSp[d] { inside = false }
                xi.append(p)
            }
            if inside {
                let v = Double(x[referenceOffset(xi, xShape)])
                best = max(best, v)
                sum += v
                count += 1
            } else if countIncludePad {
                count += 1
            }
        }
        let v = isMax ? best : (count == 0 ? 0 : sum / Double(count))
        y[referenceOffset(oi, yShape)] = Float(v)
    }
    return (y, yShape)
}

/// GlobalAveragePool / GlobalMaxPool on x [N, C, d1…]: one value per (n, c).
public func referenceGlobalPool(isMax: Bool, x: [Float], xShape: [Int]) -> [Float] {
    let planes = xShape[0] * xShape[1]
    let size = xShape[2...].reduce(1, *)
    var y = [Float](repeating: 0, count: planes)
    for p in 0 ..< planes {
        var best = -Double.infinity, sum = 0.0
        for i in 0 ..< size {
            let v = Double(x[p * size + i])
            best = max(best, v)
            sum += v
        }
        y[p] = Float(isMax ? best : sum / Double(size))
    }
    return y
}
