// PRelu: y = x < 0 ? slope·x : x, slope unidirectionally broadcast to x (the output has x's
// shape). Rows come from a `NaryBroadcastPlan` of [x, slope]: x is contiguous along a row; the
// slope is either one value per row (per-channel [C, 1, 1] against [N, C, H, W]: rows of H·W)
// or contiguous (a slope as long as the row), both vectorised.

public struct PReluRow: BroadcastRowBody {
    public let x: UnsafePointer<Float>, slope: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>
    @inlinable public init(x: UnsafePointer<Float>, slope: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        self.x = x; self.slope = slope; self.y = y
    }

    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        if s0 == 1 && s1 == 0 {
            preluRow(x + o0, slope: slope[o1], y + out, count)
        } else if s0 == 1 && s1 == 1 {
            preluRow(x + o0, slopes: slope + o1, y + out, count)
        } else {
            for j in 0 ..< count {
                let v = x[o0 + j * s0]
                y[out + j] = v < 0 ? slope[o1 + j * s1] * v : v
            }
        }
    }
}

@inlinable @inline(__always)
func preluLanes(_ v: SIMD8<Float>, _ a: SIMD8<Float>) -> SIMD8<Float> { v.replacing(with: v * a, where: v .< 0) }

/// One slope for the whole row.
@inlinable
public func preluRow(_ x: UnsafePointer<Float>, slope: Float, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    let a = SIMD8<Float>(repeating: slope)
    var i = 0
    while i + 16 <= n {
        let u = preluLanes(ewLoad8(x + i), a), w = preluLanes(ewLoad8(x + i + 8), a)
        ewStore8(u, y + i); ewStore8(w, y + i + 8)
        i += 16
    }
    while i + 8 <= n { ewStore8(preluLanes(ewLoad8(x + i), a), y + i); i += 8 }
    if i < n { ewStorePartial(preluLanes(ewLoadPartial(x + i, n - i), a), y + i, n - i) }
}

/// One slope per element.
@inlinable
public func preluRow(_ x: UnsafePointer<Float>, slopes: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
    var i = 0
    while i + 8 <= n { ewStore8(preluLanes(ewLoad8(x + i), ewLoad8(slopes + i)), y + i); i += 8 }
    if i < n { ewStorePartial(preluLanes(ewLoadPartial(x + i, n - i), ewLoadPartial(slopes + i, n - i)), y + i, n - i) }
}
