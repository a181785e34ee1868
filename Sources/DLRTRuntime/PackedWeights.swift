import DLRTModel
import DLRTKernels
#if canImport(Glibc)
import Glibc
#endif

/// Constant GEMM operands packed once at load (MatMul's B matrices), in one allocation.
///
/// Load time: BERT-6×384 packs ~40 MB of weights, and the page faults of that fresh memory were
/// ~15 % of its load (file → first result). Packing writes every element (panel padding
/// included), so the memory is not zeroed first (DenseBuffer does), and an allocation of 2 MiB or
/// more is 2 MiB aligned and advised for transparent huge pages (`MADV_HUGEPAGE`; this machine's
/// THP mode is `madvise`): one fault per 2 MiB instead of per 4 KiB. Measured, alternating runs:
/// load 66–85 ms with huge pages vs 79–99 ms without.
final class PackedMatrices: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Float>
    /// Floats per matrix (each matrix starts 64-byte aligned).
    let stride: Int
    let count: Int
    /// The model's bytes when they are already packed (MatMulPackedB, op 119): kept alive, not freed.
    private let borrowed: TensorData?

    /// One matrix already in the packed layout (the file's bytes, used in place).
    init(borrowing pointer: UnsafePointer<Float>, owner: TensorData) {
        base = UnsafeMutablePointer(mutating: pointer)
        stride = 0
        count = 1
        borrowed = owner
    }

    /// `count` matrices of `floatsEach` floats; `pack(i, destination)` fills matrix i.
    init(count: Int, floatsEach: Int, pack: (Int, UnsafeMutablePointer<Float>) -> Void) {
        self.count = count
        borrowed = nil
        stride = (Swift.max(floatsEach, 1) + 15) / 16 * 16
        let bytes = Swift.max(stride * count * 4, 64)
        let huge = 2 << 20
        var p: UnsafeMutableRawPointer?
        if bytes >= huge, posix_memalign(&p, huge, (bytes + 4095) / 4096 * 4096) == 0, let q = p {
            // Only whole 2 MiB pages become huge; the rest of the last one stays in 4 KiB pages
            // (rounding the size up to 2 MiB measured slower: the kernel zeroes the padding too).
            _ = madvise(q, (bytes + 4095) / 4096 * 4096, 14 /* MADV_HUGEPAGE */)
        } else if posix_memalign(&p, 64, bytes) != 0 {
            p = nil
        }
        // Out of memory at load: fall back to Swift's allocator (which traps like any allocation).
        let raw = p ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: stride * Swift.max(count, 1))
        for i in 0 ..< count { pack(i, base + i * stride) }
    }

    deinit { if borrowed == nil { free(base) } }

    @inline(__always)
    func pointer(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(base + i * stride) }
}
