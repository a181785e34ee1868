/// Packing of the SGEMM operands into the panel layouts described in DLRTKernelsCore/Layout.swift
/// (the same for every ISA, so pre-packed weights do not depend on the kernel table).

/// Packs panels `panels` of op(A) (m × k; op(A)[i, k] = transA ? a[k * lda + i] : a[i * lda + k]).
public func sgemmPackA(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool,
                       into dst: UnsafeMutablePointer<Float>, panels: Range<Int>) {
    let mr = sgemmMR
    for p in panels {
        let out = dst + p * mr * k
        let i0 = p * mr
        let rows = min(mr, m - i0)
        if transA {
            for kk in 0 ..< k {
                let src = a + kk * lda + i0
                let o = out + kk * mr
                var r = 0
                while r < rows { o[r] = src[r]; r += 1 }
                while r < mr { o[r] = 0; r += 1 }
            }
        } else if rows == mr {
            // Six row streams in, one sequential stream out.
            let s0 = a + i0 * lda, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda
            var o = out
            for kk in 0 ..< k {
                o[0] = s0[kk]; o[1] = s1[kk]; o[2] = s2[kk]; o[3] = s3[kk]; o[4] = s4[kk]; o[5] = s5[kk]
                o += mr
            }
        } else {
            for r in 0 ..< mr {
                if r < rows {
                    let src = a + (i0 + r) * lda
                    for kk in 0 ..< k { out[kk * mr + r] = src[kk] }
                } else {
                    for kk in 0 ..< k { out[kk * mr + r] = 0 }
                }
            }
        }
    }
}

/// Packs panels `panels` of op(B) (k × n; op(B)[k, j] = transB ? b[j * ldb + k] : b[k * ldb + j]).
public func sgemmPackB(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transB: Bool,
                       into dst: UnsafeMutablePointer<Float>, panels: Range<Int>) {
    let nr = sgemmNR
    for q in panels {
        let out = dst + q * nr * k
        let j0 = q * nr
        let cols = min(nr, n - j0)
        if transB {
            for j in 0 ..< nr {
                if j < cols {
                    let src = b + (j0 + j) * ldb
                    for kk in 0 ..< k { out[kk * nr + j] = src[kk] }
                } else {
                    for kk in 0 ..< k { out[kk * nr + j] = 0 }
                }
            }
        } else if cols == nr {
            for kk in 0 ..< k {
                let src = b + kk * ldb + j0
                let o = out + kk * nr
                store8(load8(src), o)
                store8(load8(src + 8), o + 8)
            }
        } else {
            for kk in 0 ..< k {
                let src = b + kk * ldb + j0
                let o = out + kk * nr
                var j = 0
                while j < cols { o[j] = src[j]; j += 1 }
                while j < nr { o[j] = 0; j += 1 }
            }
        }
    }
}

/// An owned, 64-byte aligned float buffer (pre-packed weights). Immutable once filled.
public final class DenseBuffer: @unchecked Sendable {
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int

    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }

    /// op(A) packed as the left operand.
    public static func packedA(m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool) -> DenseBuffer {
        let buf = DenseBuffer(count: sgemmPackedACount(m: m, k: k))
        sgemmPackA(m: m, k: k, a: a, lda: lda, transA: transA, into: buf.pointer, panels: 0 ..< sgemmPanelsA(m))
        return buf
    }

    /// op(B) packed as the right operand.
    public static func packedB(k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transB: Bool) -> DenseBuffer {
        let buf = DenseBuffer(count: sgemmPackedBCount(k: k, n: n))
        sgemmPackB(k: k, n: n, b: b, ldb: ldb, transB: transB, into: buf.pointer, panels: 0 ..< sgemmPanelsB(n))
        return buf
    }
}
