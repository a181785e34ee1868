// TopK over the middle dim of a [outer, n, inner] view: the k best elements of each column,
// sorted best first, with their int64 indices; outputs are [outer, k, inner].
// Order (onnxruntime's): largest — greater first; smallest — smaller first; equal values — lower
// index first; NaN ranks above every number (first for largest, last for smallest).
// A heap of k indices per column (in caller-provided scratch): O(n log k), no allocation.

/// Whether element (va, ia) goes before (vb, ib) in the output order.
@inlinable @inline(__always)
func topKBefore<T: Comparable>(_ va: T, _ ia: Int, _ vb: T, _ ib: Int, largest: Bool) -> Bool {
    let aNaN = va != va, bNaN = vb != vb
    if aNaN || bNaN {
        if aNaN && bNaN { return ia < ib }
        return largest ? aNaN : bNaN
    }
    if va == vb { return ia < ib }
    return largest ? va > vb : va < vb
}

/// TopK of columns `columns` (of outer·inner). `heap` holds at least k Ints. 0 ≤ k ≤ n.
@inlinable
public func topK<T: Comparable>(_ x: UnsafePointer<T>, values: UnsafeMutablePointer<T>, indices: UnsafeMutablePointer<Int64>?,
                                n: Int, inner: Int, k: Int, largest: Bool, heap: UnsafeMutablePointer<Int>,
                                columns: Range<Int>) {
    if k == 0 { return }
    for p in columns {
        let o = p / inner, j = p - o * inner
        let col = x + o * n * inner + j
        // Min-heap in output order: heap[0] is the worst element kept so far.
        @inline(__always) func worse(_ a: Int, _ b: Int) -> Bool { topKBefore(col[b * inner], b, col[a * inner], a, largest: largest) }
        @inline(__always) func siftDown(_ start: Int, _ count: Int) {
            var i = start
            while true {
                let l = 2 * i + 1
                if l >= count { return }
                var c = l
                if l + 1 < count && worse(heap[l + 1], heap[l]) { c = l + 1 }
                if !worse(heap[c], heap[i]) { return }
                topKSwap(heap, i, c)
                i = c
            }
        }
        for i in 0 ..< k { heap[i] = i }
        var s = k / 2
        while s > 0 { s -= 1; siftDown(s, k) }
        var i = k
        while i < n {
            if worse(heap[0], i) { heap[0] = i; siftDown(0, k) }
            i += 1
        }
        // Pop the worst to the back: heap[0..<k] ends sorted best first.
        var count = k
        while count > 1 {
            count -= 1
            topKSwap(heap, 0, count)
            siftDown(0, count)
        }
        let out = o * k * inner + j
        for r in 0 ..< k {
            values[out + r * inner] = col[heap[r] * inner]
            indices?[out + r * inner] = Int64(heap[r])
        }
    }
}

@inlinable @inline(__always)
func topKSwap(_ p: UnsafeMutablePointer<Int>, _ a: Int, _ b: Int) { let t = p[a]; p[a] = p[b]; p[b] = t }

/// TopK of `T` on raw addresses: (x, values, indices?, n, inner, k, largest, heap, columns).
public typealias TopKFunction = @Sendable (UnsafeRawPointer, UnsafeMutableRawPointer, UnsafeMutablePointer<Int64>?, Int, Int, Int, Bool,
                                           UnsafeMutablePointer<Int>, Range<Int>) -> Void

/// The TopK loop on `T`; call with a concrete type so it is specialised.
@inlinable @inline(__always)
public func topKFunction<T: Comparable>(_: T.Type) -> TopKFunction {
    { x, values, indices, n, inner, k, largest, heap, columns in
        topK(x.assumingMemoryBound(to: T.self), values: values.assumingMemoryBound(to: T.self), indices: indices, n: n, inner: inner, k: k,
             largest: largest, heap: heap, columns: columns)
    }
}
