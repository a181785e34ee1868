// BatchNormalization, inference form, channel axis 1:
// y = (x − mean[c]) / sqrt(var[c] + eps) · scale[c] + bias[c], computed as x·a[c] + b[c].

import Glibc

/// Normalises planes `planes` (of N·C, plane p has channel p % channels), `spatial` floats each.
public func batchNormalization(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                               scale: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                               mean: UnsafePointer<Float>, variance: UnsafePointer<Float>,
                               epsilon: Float, channels: Int, spatial: Int, planes: Range<Int>) {
    if channels <= 0 { return }
    for p in planes {
        let c = p % channels
        let a = scale[c] / sqrtf(variance[c] + epsilon)
        let b = bias[c] - mean[c] * a
        let va = SIMD8<Float>(repeating: a), vb = SIMD8<Float>(repeating: b)
        let src = x + p * spatial, dst = y + p * spatial
        var i = 0
        while i + 8 <= spatial {
            ewStore8(ewLoad8(src + i) * va + vb, dst + i)
            i += 8
        }
        while i < spatial { dst[i] = src[i] * a + b; i += 1 }
    }
}
