/// Packed-panel SGEMM: C[m × n] (row stride ldc) = epilogue(packedA · packedB).
/// Loop order (BLIS): K blocks → row blocks of A → B panels → A panels → micro-kernel (per ISA).
/// Each C element is always produced by the same sequence of operations, whatever subset of
/// panels a call covers, so splitting the panels among threads gives bit-identical results.

/// Computes the tiles of C covered by A panels `aPanels` × B panels `bPanels` with the kernels of
/// `kernels` (the micro-kernels and their loop live in the per-ISA modules).
public func sgemmCompute(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
                         c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: DenseEpilogue,
                         aPanels: Range<Int>, bPanels: Range<Int>, kernels: KernelTable = .active) {
    if aPanels.isEmpty || bPanels.isEmpty { return }
    callKernel(kernels.gemmCompute, SGEMMComputeArgs(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc,
                                                     epilogue: epilogue, aPanels: aPanels, bPanels: bPanels))
}

/// How to split one GEMM among workers: by B panels (columns) when there are enough of them,
/// else by A panels (rows). `count` tasks; `panels(r)` gives the A and B panel ranges of tasks r.
public struct SGEMMSplit: Sendable {
    public let aPanelCount: Int
    public let bPanelCount: Int
    public let byColumns: Bool

    public init(m: Int, n: Int) {
        aPanelCount = sgemmPanelsA(m)
        bPanelCount = sgemmPanelsB(n)
        byColumns = bPanelCount >= 8 || bPanelCount * 3 >= aPanelCount
    }

    public var count: Int { byColumns ? bPanelCount : aPanelCount }

    @inline(__always)
    public func panels(_ r: Range<Int>) -> (a: Range<Int>, b: Range<Int>) {
        byColumns ? (0 ..< aPanelCount, r) : (r, 0 ..< bPanelCount)
    }
}

/// Floats of scratch `sgemm` needs to pack unpacked operands (an unpacked A of at most
/// `sgemmSmallM` rows is read in place).
public func sgemmScratchCount(m: Int, n: Int, k: Int, packA: Bool, packB: Bool) -> Int {
    (packA && m > sgemmSmallM ? sgemmPackedACount(m: m, k: k) + 16 : 0) + (packB ? sgemmPackedBCount(k: k, n: n) : 0)
}

/// A GEMM operand: already packed, or a strided matrix (to pack into scratch).
public enum SGEMMOperand {
    case packed(UnsafePointer<Float>)
    case matrix(UnsafePointer<Float>, ld: Int, transposed: Bool)
}

/// C = epilogue(op(A) · op(B)): packs unpacked operands into `scratch` (`sgemmScratchCount`
/// floats), then computes, both phases split with `parallel`.
public func sgemm(m: Int, n: Int, k: Int, a: SGEMMOperand, b: SGEMMOperand,
                  c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: DenseEpilogue,
                  scratch: UnsafeMutablePointer<Float>?, parallel: any ParallelLoop = SerialLoop(),
                  kernels: KernelTable = .active) {
    if m <= 0 || n <= 0 { return }
    if m <= sgemmSmallM, case .matrix(let pa, let lda, let transA) = a {
        // Small M: A read in place, B packed (once, into scratch, when it is not already).
        let pb: UnsafePointer<Float>
        switch b {
        case .packed(let p): pb = p
        case .matrix(let p, let ld, let t):
            guard let dst = scratch else { return }
            parallel.parallelFor(sgemmPanelsB(n), grain: 1, SGEMMPackBTask(k: k, n: n, b: p, ldb: ld, transB: t, into: dst))
            pb = UnsafePointer(dst)
        }
        parallel.parallelFor(sgemmPanelsB(n), grain: 1,
                             SGEMMSmallMTask(m: m, n: n, k: k, a: pa, lda: lda, transA: transA, packedB: pb, c: c,
                                             ldc: ldc, epilogue: epilogue, kernels: kernels))
        return
    }
    var next = scratch
    let pa: UnsafePointer<Float>
    switch a {
    case .packed(let p): pa = p
    case .matrix(let p, let ld, let t):
        guard let dst = next else { return }
        parallel.parallelFor(sgemmPanelsA(m), grain: 1, SGEMMPackATask(m: m, k: k, a: p, lda: ld, transA: t, into: dst))
        pa = UnsafePointer(dst)
        next = dst + sgemmPackedACount(m: m, k: k) + 16
    }
    let pb: UnsafePointer<Float>
    switch b {
    case .packed(let p): pb = p
    case .matrix(let p, let ld, let t):
        guard let dst = next else { return }
        parallel.parallelFor(sgemmPanelsB(n), grain: 1, SGEMMPackBTask(k: k, n: n, b: p, ldb: ld, transB: t, into: dst))
        pb = UnsafePointer(dst)
    }
    let compute = SGEMMComputeTask(m: m, n: n, k: k, packedA: pa, packedB: pb, c: c, ldc: ldc, epilogue: epilogue,
                                   kernels: kernels)
    parallel.parallelFor(compute.split.count, grain: 1, compute)
}

/// `sgemmPackA` over a range of A panels.
struct SGEMMPackATask: ParallelTask {
    let m: Int, k: Int, a: UnsafePointer<Float>, lda: Int, transA: Bool, into: UnsafeMutablePointer<Float>

    func run(_ panels: Range<Int>) {
        sgemmPackA(m: m, k: k, a: a, lda: lda, transA: transA, into: into, panels: panels)
    }
}

/// `sgemmPackB` over a range of B panels.
struct SGEMMPackBTask: ParallelTask {
    let k: Int, n: Int, b: UnsafePointer<Float>, ldb: Int, transB: Bool, into: UnsafeMutablePointer<Float>

    func run(_ panels: Range<Int>) {
        sgemmPackB(k: k, n: n, b: b, ldb: ldb, transB: transB, into: into, panels: panels)
    }
}

/// `sgemmCompute` of packed operands over a range of the `SGEMMSplit` tasks (`split.count`).
struct SGEMMComputeTask: ParallelTask {
    let m: Int, n: Int, k: Int
    let packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let epilogue: DenseEpilogue
    let split: SGEMMSplit
    let kernels: KernelTable

    init(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>,
         c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: DenseEpilogue, kernels: KernelTable) {
        self.m = m; self.n = n; self.k = k
        self.packedA = packedA; self.packedB = packedB
        self.c = c; self.ldc = ldc
        self.epilogue = epilogue
        split = SGEMMSplit(m: m, n: n)
        self.kernels = kernels
    }

    func run(_ r: Range<Int>) {
        let (ar, br) = split.panels(r)
        sgemmCompute(m: m, n: n, k: k, packedA: packedA, packedB: packedB, c: c, ldc: ldc, epilogue: epilogue,
                     aPanels: ar, bPanels: br, kernels: kernels)
    }
}
