/// Static memory plan: every planned tensor gets an offset in one arena such that tensors whose
/// lifetimes overlap never share bytes (XNNPACK-style: sort by size, place each at the lowest
/// offset where it fits among the already placed tensors that are alive at the same time).
struct MemoryPlanner {
    struct Request {
        var id: Int            // caller's key (tensor id, or a scratch id)
        var byteCount: Int
        var firstUse: Int      // step index that writes it
        var lastUse: Int       // last step index that reads it (inclusive)
    }

    static let alignment = 64

    /// Returns the offset of each request (same order) and the arena size in bytes.
    static func plan(_ requests: [Request]) -> (offsets: [Int], arenaByteCount: Int) {
        let order = requests.indices.sorted {
            let a = requests[$0], b = requests[$1]
            if a.byteCount != b.byteCount { return a.byteCount > b.byteCount }
            return a.firstUse < b.firstUse
        }
        var offsets = [Int](repeating: 0, count: requests.count)
        var placed: [(offset: Int, end: Int, first: Int, last: Int)] = []
        var arena = 0
        for i in order {
            let r = requests[i]
            let size = align(Swift.max(r.byteCount, 1))
            // Intervals of live-overlapping tensors, sorted by offset: take the best (smallest) gap.
            let conflicts = placed.filter { $0.first <= r.lastUse && r.firstUse <= $0.last }
                .sorted { $0.offset < $1.offset }
            var bestOffset = -1
            var bestGap = Int.max
            var cursor = 0
            for c in conflicts {
                if c.offset > cursor {
                    let gap = c.offset - cursor
                    if gap >= size && gap < bestGap { bestGap = gap; bestOffset = cursor }
                }
                cursor = Swift.max(cursor, c.end)
            }
            if bestOffset < 0 { bestOffset = cursor }
            offsets[i] = bestOffset
            placed.append((bestOffset, bestOffset + size, r.firstUse, r.lastUse))
            arena = Swift.max(arena, bestOffset + size)
        }
        return (offsets, arena)
    }

    @inline(__always) static func align(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
}
