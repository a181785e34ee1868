// Slice as a strided copy: output element (i_0, …, i_{r-1}) comes from input offset
// base + Σ i_k · strides[k] (element strides, negative for reversed slices).

public struct StridedCopyPlan: Sendable, Equatable {
    public let dims: [Int]
    public let strides: [Int]
    public let base: Int
    public let elementSize: Int

    public init(dims: [Int], strides: [Int], base: Int, elementSize: Int) {
        // Merge output dims that are contiguous in the source too.
        var d: [Int] = [], s: [Int] = []
        for (k, n) in dims.enumerated() where n != 1 {
            if let ln = d.last, let ls = s.last, ls == strides[k] * n {
                d[d.count - 1] = ln * n
                s[s.count - 1] = strides[k]
            } else {
                d.append(n); s.append(strides[k])
            }
        }
        if d.isEmpty { d = [1]; s = [1] }
        self.dims = d
        self.strides = s
        self.base = base
        self.elementSize = elementSize
    }

    public var rowLength: Int { dims[dims.count - 1] }
    public var rowCount: Int { rowLength == 0 ? 0 : dims.reduce(1, *) / rowLength }

    /// Copies output rows `rows`. Does not allocate.
    public func run(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, rows: Range<Int>) {
        switch elementSize {
        case 1: run(UInt8.self, src, dst, rows)
        case 2: run(UInt16.self, src, dst, rows)
        case 4: run(UInt32.self, src, dst, rows)
        default: run(UInt64.self, src, dst, rows)
        }
    }

    @inline(__always)
    func run<T>(_: T.Type, _ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, _ rows: Range<Int>) {
        let s = src.assumingMemoryBound(to: T.self), d = dst.assumingMemoryBound(to: T.self)
        let last = dims.count - 1, n = dims[last], step = strides[last]
        dims.withUnsafeBufferPointer { dims in
            strides.withUnsafeBufferPointer { strides in
                for row in rows {
                    var rest = row, off = base, k = last - 1
                    while k >= 0 {
                        off += (rest % dims[k]) * strides[k]
                        rest /= dims[k]
                        k -= 1
                    }
                    let out = d + row * n
                    if step == 1 {
                        out.update(from: s + off, count: n)
                    } else {
                        for j in 0 ..< n { out[j] = s[off + j * step] }
                    }
                }
            }
        }
    }
}

/// Trilu on rows `rows` of a batch of [n, m] matrices of `elementSize`-byte elements: keeps
/// j ≥ i + k (upper) or j ≤ i + k (lower), zeroes the rest.
public func triluRows(_ src: UnsafeRawPointer, _ dst: UnsafeMutableRawPointer, n: Int, m: Int, k: Int, upper: Bool,
                      elementSize: Int, rows: Range<Int>) {
    let rowBytes = m * elementSize
    for r in rows {
        let i = r % n
        let s = src + r * rowBytes, d = dst + r * rowBytes
        // Columns [lo, hi) are kept.
        let lo = upper ? Swift.min(Swift.max(i + k, 0), m) : 0
        let hi = upper ? m : Swift.min(Swift.max(i + k + 1, 0), m)
        if lo > 0 { d.initializeMemory(as: UInt8.self, repeating: 0, count: lo * elementSize) }
        if hi > lo { (d + lo * elementSize).copyMemory(from: s + lo * elementSize, byteCount: (hi - lo) * elementSize) }
        if hi < m { (d + hi * elementSize).initializeMemory(as: UInt8.self, repeating: 0, count: (m - hi) * elementSize) }
    }
}
