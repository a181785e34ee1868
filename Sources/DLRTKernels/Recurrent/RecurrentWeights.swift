/// One recurrent node's weights packed once at load for the fast kernel (`recurrentRun`).
///
/// - `w`: Wᵀ of every direction side by side, [input, dirs·G·hidden] packed as SGEMM's B operand,
///   so ONE GEMM projects every time step of X for all gates and directions.
/// - `r`: per direction, Rᵀ [hidden, G·hidden] packed in column blocks (`blocks`): one block of
///   all gates, except GRU with linear_before_reset = 0, whose h gate multiplies r (.) Ht-1 and
///   so is a second block [2·hidden, 3·hidden).
/// - `inputBias` [dirs·G·hidden]: added by the input projection: Wb + Rb, except GRU with
///   linear_before_reset = 1, whose Rbh must stay inside r (.) (Ht-1·Rhᵀ + Rbh).
/// - `recurrentBias` [dirs·G·hidden]: added by the recurrent GEMM (zero but for that Rbh).
/// - `peepholes` [dirs·3·hidden] (LSTM; zeros when P is absent).
public final class RecurrentWeights: @unchecked Sendable {
    public let layout: RecurrentWeightLayout
    let storage: DenseBuffer
    /// The packed weights inside `storage`.
    public let packed: RecurrentPackedWeights

    /// `w` [dirs, G·hidden, input], `r` [dirs, G·hidden, hidden], `b` [dirs, 2·G·hidden]?,
    /// `p` [dirs, 3·hidden]? in ONNX layout.
    public init(kind: RecurrentCellKind, input: Int, hidden: Int, directions: Int, linearBeforeReset: Bool,
                w: UnsafePointer<Float>, r: UnsafePointer<Float>, b: UnsafePointer<Float>?, p: UnsafePointer<Float>?) {
        layout = RecurrentWeightLayout(kind: kind, input: input, hidden: hidden, directions: directions,
                                       linearBeforeReset: linearBeforeReset, hasBias: b != nil, hasPeepholes: p != nil)
        storage = DenseBuffer(count: max(1, layout.floatCount))
        packed = layout.pack(w: w, r: r, b: b, p: p, into: storage.pointer)
    }
}

/// Where each packed part lives in `floatCount` floats (each part 16-aligned): computed without
/// allocation, so a W / R / B / P fed at run time is packed into plan scratch on every run.
public struct RecurrentWeightLayout: Sendable {
    public let kind: RecurrentCellKind
    public let input: Int, hidden: Int, directions: Int
    public let linearBeforeReset: Bool, hasBias: Bool, hasPeepholes: Bool
    /// Whether `recurrentBias` has nonzero entries (GRU, linear_before_reset = 1, with B).
    let hasRecurrentBias: Bool
    /// Column blocks of one direction's recurrent GEMM (1 or 2): (first column, width, offset in
    /// `r` of direction 0's packed block); direction d's block is at `offset + d · rStride`.
    let blockCount: Int
    let block0: (col: Int, width: Int, offset: Int), block1: (col: Int, width: Int, offset: Int)
    let rStride: Int
    let rOffset: Int, inputBiasOffset: Int, recurrentBiasOffset: Int, peepholesOffset: Int
    public let floatCount: Int

    public init(kind: RecurrentCellKind, input: Int, hidden: Int, directions: Int, linearBeforeReset: Bool,
                hasBias: Bool, hasPeepholes: Bool) {
        func r16(_ x: Int) -> Int { (x + 15) / 16 * 16 }
        self.kind = kind
        self.input = input
        self.hidden = hidden
        self.directions = directions
        self.linearBeforeReset = linearBeforeReset
        self.hasBias = hasBias
        self.hasPeepholes = hasPeepholes
        hasRecurrentBias = kind == .gru && linearBeforeReset && hasBias
        let gw = kind.gates * hidden, n = directions * gw
        if kind == .gru && !linearBeforeReset {
            blockCount = 2
            block0 = (0, 2 * hidden, 0)
            block1 = (2 * hidden, hidden, sgemmPackedBCount(k: hidden, n: 2 * hidden))
            rStride = block1.offset + sgemmPackedBCount(k: hidden, n: hidden)
        } else {
            blockCount = 1
            block0 = (0, gw, 0)
            block1 = (0, 0, 0)
            rStride = sgemmPackedBCount(k: hidden, n: gw)
        }
        rOffset = r16(sgemmPackedBCount(k: input, n: n))
        inputBiasOffset = rOffset + r16(rStride * directions)
        recurrentBiasOffset = inputBiasOffset + r16(n)
        peepholesOffset = recurrentBiasOffset + r16(n)
        floatCount = peepholesOffset + r16(directions * 3 * hidden)
    }

    @inline(__always)
    func block(_ k: Int) -> (col: Int, width: Int, offset: Int) { k == 0 ? block0 : block1 }

    /// Packs ONNX-layout `w`, `r`, `b`?, `p`? into `dst` (`floatCount` floats).
    public func pack(w: UnsafePointer<Float>, r: UnsafePointer<Float>, b: UnsafePointer<Float>?, p: UnsafePointer<Float>?,
                     into dst: UnsafeMutablePointer<Float>) -> RecurrentPackedWeights {
        let gw = kind.gates * hidden, n = directions * gw
        sgemmPackB(k: input, n: n, b: w, ldb: input, transB: true, into: dst, panels: 0 ..< sgemmPanelsB(n))
        for d in 0 ..< directions {
            for k in 0 ..< blockCount {
                let blk = block(k)
                sgemmPackB(k: hidden, n: blk.width, b: r + (d * gw + blk.col) * hidden, ldb: hidden, transB: true,
                           into: dst + rOffset + d * rStride + blk.offset, panels: 0 ..< sgemmPanelsB(blk.width))
            }
        }
        let inputBias = dst + inputBiasOffset, recurrentBias = dst + recurrentBiasOffset
        if let b {
            for d in 0 ..< directions {
                let wb = b + d * 2 * gw, rb = wb + gw
                for j in 0 ..< gw {
                    let rbStaysInside = kind == .gru && linearBeforeReset && j >= 2 * hidden
                    inputBias[d * gw + j] = wb[j] + (rbStaysInside ? 0 : rb[j])
                    recurrentBias[d * gw + j] = rbStaysInside ? rb[j] : 0
                }
            }
        } else {
            inputBias.update(repeating: 0, count: n)
            recurrentBias.update(repeating: 0, count: n)
        }
        if let p { (dst + peepholesOffset).update(from: p, count: directions * 3 * hidden) }
        else { (dst + peepholesOffset).update(repeating: 0, count: directions * 3 * hidden) }
        return RecurrentPackedWeights(layout: self, base: UnsafePointer(dst))
    }
}

/// Packed weights as the fast kernel reads them (see `RecurrentWeightLayout`).
public struct RecurrentPackedWeights: @unchecked Sendable {
    public let layout: RecurrentWeightLayout
    let base: UnsafePointer<Float>
    var w: UnsafePointer<Float> { base }
    var r: UnsafePointer<Float> { base + layout.rOffset }
    var inputBias: UnsafePointer<Float> { base + layout.inputBiasOffset }
    var recurrentBias: UnsafePointer<Float> { base + layout.recurrentBiasOffset }
    var peepholes: UnsafePointer<Float> { base + layout.peepholesOffset }
}

/// Scratch layout of `recurrentRun` for one configuration (in floats, each region 16-aligned).
public struct RecurrentWorkspace: Sendable {
    /// Input projection [seq·batch, dirs·G·hidden] and the input GEMM's packing scratch.
    let xw: Int, inputGEMM: Int
    /// Per direction: h [batch, hidden], c [batch, hidden], recurrent product [batch, G·hidden],
    /// r (.) h [batch, hidden] (GRU), recurrent GEMM packing scratch.
    let h: Int, c: Int, hr: Int, rh: Int, recurrentGEMM: Int
    let perDirection: Int
    public let floatCount: Int

    public init(_ cfg: RecurrentConfig) {
        func r16(_ x: Int) -> Int { (x + 15) / 16 * 16 }
        let rows = cfg.seq * cfg.batch, gw = cfg.gateWidth
        xw = r16(rows * cfg.directions * gw)
        inputGEMM = r16(sgemmScratchCount(m: rows, n: cfg.directions * gw, k: cfg.input, packA: true, packB: false))
        h = r16(cfg.batch * cfg.hidden)
        c = h
        hr = r16(cfg.batch * gw)
        rh = h
        recurrentGEMM = r16(sgemmScratchCount(m: cfg.batch, n: gw, k: cfg.hidden, packA: true, packB: false))
        perDirection = h + c + hr + rh + recurrentGEMM
        floatCount = xw + inputGEMM + cfg.directions * perDirection
    }
}
