/// Small-M GEMM (M ≤ `sgemmSmallM`, e.g. a dense layer at batch 1): C = epilogue(op(A) · packedB),
/// A read in place, B packed. The kernels live in the per-ISA modules (SmallMKernels.swift): each C
/// element is computed exactly as by the packed path, so results are bit-identical to it and to
/// any split of the panels among threads.

/// Computes columns of B panels `panels` of C = epilogue(op(A) · B) for m ≤ `sgemmSmallM`.
/// op(A)[i, k] = transA ? a[k * lda + i] : a[i * lda + k]; `packedB` as `sgemmPackB` writes it.
public func sgemmSmallMCompute(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool,
                               packedB: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int,
                               epilogue: DenseEpilogue, panels: Range<Int>, kernels: KernelTable = .active) {
    if panels.isEmpty || m < 1 || m > sgemmSmallM { return }
    callKernel(kernels.gemmSmallM, SGEMMSmallMArgs(m: m, n: n, k: k, a: a, lda: lda, transA: transA, packedB: packedB,
                                                   c: c, ldc: ldc, epilogue: epilogue, panels: panels))
}

/// `sgemmSmallMCompute` over a range of B panels.
struct SGEMMSmallMTask: ParallelTask {
    let m: Int, n: Int, k: Int
    let a: UnsafePointer<Float>, lda: Int, transA: Bool
    let packedB: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let epilogue: DenseEpilogue
    let kernels: KernelTable

    func run(_ panels: Range<Int>) {
        sgemmSmallMCompute(m: m, n: n, k: k, a: a, lda: lda, transA: transA, packedB: packedB, c: c, ldc: ldc,
                           epilogue: epilogue, panels: panels, kernels: kernels)
    }
}
