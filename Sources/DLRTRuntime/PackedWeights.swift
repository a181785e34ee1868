import DLRTKernels
#if canImport(Glibc)
import Glibc
#endif

/// Constant GEMM operands packed once at load (MatMul's B matrices), in one allocation.
///
/// Load time: a 45 MB transformer packs ~40 MB of weights. Packing writes every element (panel
/// padding included), so the memory is not zeroed first, and an allocation of 2 MiB or more is
/// 2 MiB aligned and advised for transparent huge pages (`MADV_HUGEPAGE`; this machine's THP
/// mode is `madvise`): one page fault per 2 MiB instead of per 4 KiB. Measured on BERT-6×384
/// (docs in PackedWeights' callers): page-fault time was ~15 % of load.
final class PackedMatrices: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Float>
    /// Floats per matrix (each matrix starts 64-byte aligned).
    let stride: Int
    let count: Int

    /// `count` matrices of `floatsEach` floats; `pack(i, destination)` fills matrix i.
    init(count: Int, floatsEach: Int, pack: (Int, UnsafeMutablePointer<Float>) -> Void) {
        self.count = count
        stride = (Swift.max(floatsEach, 1) + 15) / 16 * 16
        let bytes = Swift.max(stride * count * 4, 64)
        let huge = 2 << 20
        var p: UnsafeMutableRawPointer?
        if bytes >= huge, posix_memalign(&p, huge, (bytes + huge - 1) / huge * huge) == 0, let q = p {
            _ = madvise(q, (bytes + huge - 1) / huge * huge, 14 /* MADV_HUGEPAGE */)
        } else if posix_memalign(&p, 64, bytes) != 0 {
            p = nil
        }
        // Out of memory at load: fall back to Swift's allocator (which traps like any allocation).
        let raw = p ?? UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: stride * Swift.max(count, 1))
        for i in 0 ..< count { pack(i, base + i * stride) }
    }

    deinit { free(base) }

    @inline(__always)
    func pointer(_ i: Int) -> UnsafePointer<Float> { UnsafePointer(base + i * stride) }
}
