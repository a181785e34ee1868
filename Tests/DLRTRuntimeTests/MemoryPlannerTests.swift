@testable import DLRTRuntime
import XCTest

final class MemoryPlannerTests: XCTestCase {
    /// Tensors alive at the same step never share bytes; offsets are 64-byte aligned.
    func testNoOverlapBetweenLiveTensors() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0 ..< 200 {
            let n = Int.random(in: 1 ... 40, using: &rng)
            let requests = (0 ..< n).map { i -> MemoryPlanner.Request in
                let first = Int.random(in: 0 ... 30, using: &rng)
                return .init(id: i, byteCount: Int.random(in: 0 ... 5000, using: &rng), firstUse: first,
                             lastUse: first + Int.random(in: 0 ... 10, using: &rng))
            }
            let (offsets, arena) = MemoryPlanner.plan(requests)
            for i in 0 ..< n {
                XCTAssertEqual(offsets[i] % 64, 0)
                XCTAssertLessThanOrEqual(offsets[i] + requests[i].byteCount, arena)
                for j in 0 ..< i {
                    let a = requests[i], b = requests[j]
                    let live = a.firstUse <= b.lastUse && b.firstUse <= a.lastUse
                    let disjoint = offsets[i] + max(a.byteCount, 1) <= offsets[j] || offsets[j] + max(b.byteCount, 1) <= offsets[i]
                    if live { XCTAssertTrue(disjoint, "tensors \(i) and \(j) overlap while both live") }
                }
            }
        }
    }

    /// A chain a→b→c→d reuses memory: the arena holds two tensors, not four.
    func testChainReusesMemory() {
        let requests = (0 ..< 4).map { MemoryPlanner.Request(id: $0, byteCount: 1024, firstUse: $0, lastUse: $0 + 1) }
        let (_, arena) = MemoryPlanner.plan(requests)
        XCTAssertEqual(arena, 2048)
    }
}
