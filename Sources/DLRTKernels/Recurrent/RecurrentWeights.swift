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
    public let kind: RecurrentCellKind
    public let input: Int
    public let hidden: Int
    public let directions: Int
    public let linearBeforeReset: Bool
    public let hasPeepholes: Bool
    /// Whether `recurrentBias` has nonzero entries (GRU, linear_before_reset = 1, with B).
    let hasRecurrentBias: Bool
    let w: DenseBuffer
    let r: DenseBuffer
    let inputBias: DenseBuffer
    let recurrentBias: DenseBuffer
    let peepholes: DenseBuffer
    /// Column blocks of one direction's recurrent GEMM: (first column, width, offset in `r` of
    /// direction 0's packed block); direction d's block is at `offset + d · rStride`.
    let blocks: [(col: Int, width: Int, offset: Int)]
    let rStride: Int

    /// `w` [dirs, G·hidden, input], `r` [dirs, G·hidden, hidden], `b` [dirs, 2·G·hidden]?,
    /// `p` [dirs, 3·hidden]? in ONNX layout.
    public init(kind: RecurrentCellKind, input: Int, hidden: Int, directions: Int, linearBeforeReset: Bool,
                w: UnsafePointer<Float>, r: UnsafePointer<Float>, b: UnsafePointer<Float>?, p: UnsafePointer<Float>?) {
        self.kind = kind
        self.input = input
        self.hidden = hidden
        self.directions = directions
        self.linearBeforeReset = linearBeforeReset
        hasPeepholes = p != nil
        hasRecurrentBias = kind == .gru && linearBeforeReset && b != nil
        let gw = kind.gates * hidden, n = directions * gw
        self.w = DenseBuffer.packedB(k: input, n: n, b: w, ldb: input, transB: true)

        var blocks: [(col: Int, width: Int, offset: Int)] = []
        let split = kind == .gru && !linearBeforeReset
        var offset = 0
        for (col, width) in split ? [(0, 2 * hidden), (2 * hidden, hidden)] : [(0, gw)] {
            blocks.append((col, width, offset))
            offset += sgemmPackedBCount(k: hidden, n: width)
        }
        self.blocks = blocks
        rStride = offset
        self.r = DenseBuffer(count: offset * directions)
        for d in 0 ..< directions {
            for blk in blocks {
                sgemmPackB(k: hidden, n: blk.width, b: r + (d * gw + blk.col) * hidden, ldb: hidden, transB: true,
                           into: self.r.pointer + d * offset + blk.offset, panels: 0 ..< sgemmPanelsB(blk.width))
            }
        }

        inputBias = DenseBuffer(count: n)
        recurrentBias = DenseBuffer(count: n)
        if let b {
            for d in 0 ..< directions {
                let wb = b + d * 2 * gw, rb = wb + gw
                for j in 0 ..< gw {
                    let rbStaysInside = kind == .gru && linearBeforeReset && j >= 2 * hidden
                    inputBias.pointer[d * gw + j] = wb[j] + (rbStaysInside ? 0 : rb[j])
                    recurrentBias.pointer[d * gw + j] = rbStaysInside ? rb[j] : 0
                }
            }
        }
        peepholes = DenseBuffer(count: directions * 3 * hidden)
        if let p { peepholes.pointer.update(from: p, count: directions * 3 * hidden) }
    }
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
