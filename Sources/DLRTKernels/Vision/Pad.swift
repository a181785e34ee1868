// Pad of any element size (1, 2, 4 or 8 bytes), planned once per input shape: per axis, a table
// maps each output index to an input index or to "constant" (-1). Negative pads crop first; the
// modes then index the cropped range. The last axis is copied as (mapped head, contiguous body,
// mapped tail); the other axes select a source row or a constant row.

public enum PadMode: String, Sendable { case constant, reflect, edge, wrap }

public struct PadPlan: Sendable, Equatable {
    public let outShape: [Int]
    public let elementSize: Int
    /// Output dims except the last, their index tables and the input element strides.
    let outerDims: [Int]
    let outerMaps: [[Int]]
    let outerStrides: [Int]
    /// Last axis: output length, its table, and the body [bodyStart, bodyStart + bodyCount)
    /// that copies input elements from `bodySource` on.
    let lastCount: Int
    let lastMap: [Int]
    let bodyStart: Int, bodyCount: Int, bodySource: Int

    /// `pads` are ONNX's [b1…, e1…] for every axis of `shape` (the caller checks the result is ≥ 0
    /// and that non-constant modes have a non-empty cropped input on every padded axis).
    public init(shape: [Int], pads: [Int], mode: PadMode, elementSize: Int) {
        let s = shape.isEmpty ? [1] : shape
        let p = shape.isEmpty ? [0, 0] : pads
        let r = s.count
        self.elementSize = elementSize
        outShape = (0 ..< r).map { s[$0] + p[$0] + p[$0 + r] }
        var maps: [[Int]] = []
        for d in 0 ..< r {
            let lo = Swift.max(0, -p[d]), n = s[d] - lo - Swift.max(0, -p[d + r])
            let begin = Swift.max(0, p[d])
            maps.append((0 ..< outShape[d]).map { o in
                var i = o - begin
                if i < 0 || i >= n {
                    switch mode {
                    case .constant: return -1
                    case .edge: i = Swift.min(Swift.max(i, 0), n - 1)
                    case .wrap: i = ((i % n) + n) % n
                    case .reflect:
                        if n == 1 { i = 0 } else {
                            let period = 2 * (n - 1)
                            i = ((i % period) + period) % period
                            if i >= n { i = period - i }
                        }
                    }
                }
                return lo + i
            })
        }
        var strides = [Int](repeating: 1, count: r)
        for k in stride(from: r - 2, through: 0, by: -1) { strides[k] = strides[k + 1] * s[k + 1] }
        outerDims = Array(outShape.dropLast())
        outerMaps = Array(maps.dropLast())
        outerStrides = Array(strides.dropLast())
        lastCount = outShape[r - 1]
        lastMap = maps[r - 1]
        let lo = Swift.max(0, -p[r - 1]), n = s[r - 1] - lo - Swift.max(0, -p[2 * r - 1])
        bodyStart = Swift.min(Swift.max(0, p[r - 1]), lastCount)
        bodyCount = Swift.max(0, Swift.min(n, lastCount - bodyStart))
        bodySource = lo
    }

    public var rowCount: Int { lastCount == 0 ? 0 : outerDims.reduce(1, *) }

    /// Writes output rows `rows`; `value` is the constant's bit pattern (low `elementSize` bytes).
    public func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, value: UInt64, rows: Range<Int>) {
        switch elementSize {
        case 1: run(UInt8(truncatingIfNeeded: value), src, dst, rows)
        case 2: run(UInt16(truncatingIfNeeded: value), src, dst, rows)
        case 4: run(UInt32(truncatingIfNeeded: value), src, dst, rows)
        default: run(value, src, dst, rows)
        }
    }

    @inline(__always)
    func run<T>(_ value: T, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ rows: Range<Int>) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        let n = lastCount
        lastMap.withUnsafeBufferPointer { lm in
            for row in rows {
                let out = d + row * n
                var rest = row, off = 0, k = outerDims.count - 1
                while k >= 0 {
                    let i = outerMaps[k][rest % outerDims[k]]
                    rest /= outerDims[k]
                    if i < 0 { off = -1; break }
                    off += i * outerStrides[k]
                    k -= 1
                }
                if off < 0 { out.update(repeating: value, count: n); continue }
                let inRow = s + off
                for j in 0 ..< bodyStart { out[j] = lm[j] < 0 ? value : inRow[lm[j]] }
                if bodyCount > 0 { (out + bodyStart).update(from: inRow + bodySource, count: bodyCount) }
                for j in bodyStart + bodyCount ..< n { out[j] = lm[j] < 0 ? value : inRow[lm[j]] }
            }
        }
    }
}
