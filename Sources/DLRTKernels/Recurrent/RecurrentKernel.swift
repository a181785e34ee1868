/// Fast LSTM / GRU / RNN (same results as `recurrentReference`, up to float rounding).
///
/// 1. ONE GEMM projects every time step for all gates and directions:
///    xw [seq·batch, dirs·G·hidden] = X · Wᵀ + inputBias (rows in X's own order).
/// 2. Per direction (the two directions run on two workers when available), per time step:
///    hr [batch, G·hidden] = Ht-1 · Rᵀ + recurrentBias (SGEMM's small-M path for batch ≤ 4),
///    then the gate math of each batch row with SIMD8 (vector sigmoid / tanh from VectorMath).
/// No allocation: everything lives in `scratch` (`RecurrentWorkspace(cfg).floatCount` floats,
/// 64-byte aligned).
public func recurrentRun(_ cfg: RecurrentConfig, _ weights: RecurrentWeights, _ io: RecurrentIO,
                         scratch: UnsafeMutablePointer<Float>, parallel: any ParallelLoop = SerialLoop()) {
    recurrentRun(cfg, weights.packed, io, scratch: scratch, parallel: parallel)
}

/// The same with weights packed anywhere (a W / R / B / P fed at run time: in plan scratch).
///
/// With `int8` (W and R as int8, `RecurrentInt8Weights`) both GEMMs are int8 GEMMs with dynamically
/// quantized u8 activations; `scratch` then holds `RecurrentWorkspace(cfg).floatCount` floats
/// followed by `RecurrentInt8Workspace(cfg).floatCount` (`weights` still supplies the biases and
/// peepholes).
public func recurrentRun(_ cfg: RecurrentConfig, _ weights: RecurrentPackedWeights, _ io: RecurrentIO,
                         scratch: UnsafeMutablePointer<Float>, parallel: any ParallelLoop = SerialLoop(),
                         int8: RecurrentInt8Weights? = nil) {
    let ws = RecurrentWorkspace(cfg)
    let rows = cfg.seq * cfg.batch, n = cfg.directions * cfg.gateWidth
    let qws = RecurrentInt8Workspace(cfg), qbase = scratch + ws.floatCount
    if rows > 0, let int8 {
        let task = RecurrentInt8ProjectionTask(weights: int8, m: rows, n: n, k: cfg.input, x: io.x, bias: weights.inputBias,
                                               xw: scratch, rows: RecurrentQuantizedRows(qbase, q: qws.xq, scales: qws.xScale))
        if rows * n * cfg.input < 1 << 18 { task.run(0 ..< task.units) } else { parallel.parallelFor(task.units, grain: 1, task) }
    } else if rows > 0 {
        sgemm(m: rows, n: n, k: cfg.input, a: .matrix(io.x, ld: cfg.input, transposed: false), b: .packed(weights.w),
              c: scratch, ldc: n, epilogue: DenseEpilogue(bias: weights.inputBias, biasRowStride: 0, biasColStride: 1),
              scratch: scratch + ws.xw, parallel: rows * n * cfg.input < 1 << 16 ? SerialLoop() : parallel)
    }
    let task = RecurrentDirectionTask(cfg: cfg, weights: weights, io: io, ws: ws, xw: scratch,
                                      base: scratch + ws.xw + ws.inputGEMM, int8: int8,
                                      qws: qws, qbase: qbase + qws.xq + qws.xScale + qws.xZero)
    if cfg.directions > 1 && cfg.batch * cfg.hidden * cfg.hidden * cfg.seq >= 1 << 14 {
        parallel.parallelFor(cfg.directions, grain: 1, task)
    } else {
        task.run(0 ..< cfg.directions)
    }
}

/// The recurrence of directions `range` (independent of each other).
struct RecurrentDirectionTask: ParallelTask {
    let cfg: RecurrentConfig
    let weights: RecurrentPackedWeights
    let io: RecurrentIO
    let ws: RecurrentWorkspace
    let xw: UnsafeMutablePointer<Float>
    let base: UnsafeMutablePointer<Float>
    let int8: RecurrentInt8Weights?
    let qws: RecurrentInt8Workspace
    /// Direction 0's int8 area (h quantized); direction d's at `qbase + d · qws.perDirection`.
    let qbase: UnsafeMutablePointer<Float>

    func run(_ range: Range<Int>) {
        for d in range { direction(d) }
    }

    func direction(_ d: Int) {
        let hs = cfg.hidden, gw = cfg.gateWidth
        let area = base + d * ws.perDirection
        let state = RecurrentState(h: area, c: area + ws.h, hr: area + ws.h + ws.c, rh: area + ws.h + ws.c + ws.hr,
                                   gemmScratch: area + ws.h + ws.c + ws.hr + ws.rh,
                                   hq: RecurrentQuantizedRows(qbase + d * qws.perDirection, q: qws.hq, scales: qws.hScale))
        for b in 0 ..< cfg.batch {
            let off = cfg.stateOffset(d, b)
            if let ih = io.initialH { (state.h + b * hs).update(from: ih + off, count: hs) }
            else { (state.h + b * hs).update(repeating: 0, count: hs) }
            if let ic = io.initialC { (state.c + b * hs).update(from: ic + off, count: hs) }
            else { (state.c + b * hs).update(repeating: 0, count: hs) }
        }
        let cell = RecurrentCellMath(cfg: cfg, d: d, peepholes: weights.layout.hasPeepholes ? weights.peepholes + d * 3 * hs : nil)
        let fused = cell.hasDefaultActivations
        // The ISA table's one-pass cell (16 lanes with AVX-512) when nothing it lacks is on.
        let tableCell = fused && !weights.layout.hasPeepholes && !cfg.inputForget
        let table = KernelTable.active
        for s in 0 ..< cfg.seq {
            let t = cfg.backwards(d) ? cfg.seq - 1 - s : s
            switch cfg.kind {
            case .lstm:
                recurrentGEMM(d, block: 0, a: state.h, state)
                for b in 0 ..< cfg.batch where valid(t, b) {
                    if tableCell {
                        tableStep(table, gru: false, xwRow(t, b, d), state.hr + b * gw, state.c + b * hs, state.h + b * hs)
                    } else if fused {
                        cell.lstmDefault(xw: xwRow(t, b, d), pre: state.hr + b * gw, c: state.c + b * hs, h: state.h + b * hs)
                    } else {
                        cell.lstm(xw: xwRow(t, b, d), pre: state.hr + b * gw, c: state.c + b * hs, h: state.h + b * hs)
                    }
                }
            case .gru:
                recurrentGEMM(d, block: 0, a: state.h, state)
                if weights.layout.linearBeforeReset {
                    for b in 0 ..< cfg.batch where valid(t, b) {
                        if tableCell {
                            tableStep(table, gru: true, xwRow(t, b, d), state.hr + b * gw, state.c + b * hs, state.h + b * hs)
                        } else if fused {
                            cell.gruDefault(xw: xwRow(t, b, d), pre: state.hr + b * gw, h: state.h + b * hs)
                        } else {
                            cell.gruResetGates(xw: xwRow(t, b, d), pre: state.hr + b * gw)
                            cell.gruLinearBeforeReset(xw: xwRow(t, b, d), pre: state.hr + b * gw, h: state.h + b * hs)
                        }
                    }
                } else {
                    for b in 0 ..< cfg.batch {
                        cell.gruResetGates(xw: xwRow(t, b, d), pre: state.hr + b * gw)
                        cell.multiply(state.hr + b * gw + hs, state.h + b * hs, into: state.rh + b * hs)
                    }
                    recurrentGEMM(d, block: 1, a: state.rh, state)
                    for b in 0 ..< cfg.batch where valid(t, b) {
                        cell.gruFinish(xw: xwRow(t, b, d), pre: state.hr + b * gw, h: state.h + b * hs)
                    }
                }
            case .rnn:
                recurrentGEMM(d, block: 0, a: state.h, state)
                for b in 0 ..< cfg.batch where valid(t, b) {
                    cell.rnn(xw: xwRow(t, b, d), pre: state.hr + b * gw, h: state.h + b * hs)
                }
            }
            if let y = io.y {
                for b in 0 ..< cfg.batch {
                    let dst = y + cfg.yOffset(t, d, b)
                    if valid(t, b) { dst.update(from: state.h + b * hs, count: hs) } else { dst.update(repeating: 0, count: hs) }
                }
            }
        }
        for b in 0 ..< cfg.batch {
            let off = cfg.stateOffset(d, b)
            io.yh?.advanced(by: off).update(from: state.h + b * hs, count: hs)
            io.yc?.advanced(by: off).update(from: state.c + b * hs, count: hs)
        }
    }

    /// This step's input projection of batch entry `b`, direction `d` ([G·hidden]).
    @inline(__always)
    func xwRow(_ t: Int, _ b: Int, _ d: Int) -> UnsafePointer<Float> {
        UnsafePointer(xw + cfg.xRow(t, b) * cfg.directions * cfg.gateWidth + d * cfg.gateWidth)
    }

    /// One row's gate math through the ISA table (`RecurrentCellArgs`).
    @inline(__always)
    func tableStep(_ table: KernelTable, gru: Bool, _ xw: UnsafePointer<Float>, _ pre: UnsafeMutablePointer<Float>,
                   _ c: UnsafeMutablePointer<Float>, _ h: UnsafeMutablePointer<Float>) {
        var args = RecurrentCellArgs(gru: gru, hidden: cfg.hidden, clip: cfg.clip ?? .infinity, xw: xw, pre: pre, c: c, h: h)
        withUnsafePointer(to: &args) { table.recurrentCell(UnsafeRawPointer($0)) }
    }

    /// Whether time `t` is within batch entry `b`'s sequence length.
    @inline(__always)
    func valid(_ t: Int, _ b: Int) -> Bool { t < cfg.length(io.seqLens, b) }

    /// hr[:, block columns] = a [batch, hidden] · (block of Rᵀ) + recurrentBias.
    @inline(__always)
    func recurrentGEMM(_ d: Int, block k: Int, a: UnsafePointer<Float>, _ s: RecurrentState) {
        let blk = weights.layout.block(k), gw = cfg.gateWidth
        let bias = weights.layout.hasRecurrentBias ? weights.recurrentBias + d * gw + blk.col : nil
        if let int8 {
            int8.gemm(m: cfg.batch, n: blk.width, k: cfg.hidden, a: a, packed: int8.rBlock(d, k),
                      scales: int8.rScales + d * gw + blk.col, bias: bias, c: s.hr + blk.col, ldc: gw, rows: s.hq)
            return
        }
        sgemm(m: cfg.batch, n: blk.width, k: cfg.hidden, a: .matrix(a, ld: cfg.hidden, transposed: false),
              b: .packed(weights.r + d * weights.layout.rStride + blk.offset), c: s.hr + blk.col, ldc: gw,
              epilogue: DenseEpilogue(bias: weights.layout.hasRecurrentBias ? weights.recurrentBias + d * gw + blk.col : nil,
                                      biasRowStride: 0, biasColStride: 1),
              scratch: s.gemmScratch)
    }
}

/// One direction's state and temporaries (see `RecurrentWorkspace`).
struct RecurrentState {
    let h: UnsafeMutablePointer<Float>           // [batch, hidden]
    let c: UnsafeMutablePointer<Float>           // [batch, hidden]
    let hr: UnsafeMutablePointer<Float>          // [batch, G·hidden]
    let rh: UnsafeMutablePointer<Float>          // [batch, hidden]
    let gemmScratch: UnsafeMutablePointer<Float>
    /// Ht-1 (or r (.) Ht-1) quantized, int8 path.
    let hq: RecurrentQuantizedRows
}
