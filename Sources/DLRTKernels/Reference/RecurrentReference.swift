// Reference LSTM, GRU and RNN: the ONNX equations written out with scalar loops, one time step,
// batch entry and hidden unit at a time. The fast kernels (Recurrent/) are tested against these.
//
// Notation (ONNX): Xt input at time t, Ht-1 previous hidden state, Ct-1 previous cell state,
// W* R* Wb* Rb* the gate blocks of W, R, B, P* peepholes, f g h the activations, (.) elementwise.
// clip (when set) clamps each gate's pre-activation to [-clip, clip] before its activation.
//
// Time steps past a batch entry's sequence length leave its state unchanged and write zeros to Y,
// so Yh is the state at the last valid step (forward) or after step 0 (backward).

/// The reference weights of one node, in ONNX layout (see RecurrentConfig.swift).
public struct RecurrentReferenceWeights {
    public var w: [Float]       // [dirs, G·hidden, input]
    public var r: [Float]       // [dirs, G·hidden, hidden]
    public var b: [Float]?      // [dirs, 2·G·hidden]
    public var p: [Float]?      // [dirs, 3·hidden] (LSTM)

    public init(w: [Float], r: [Float], b: [Float]? = nil, p: [Float]? = nil) {
        self.w = w
        self.r = r
        self.b = b
        self.p = p
    }
}

/// Runs one node with the reference equations; writes the outputs `io` asks for.
public func recurrentReference(_ c: RecurrentConfig, _ wts: RecurrentReferenceWeights, _ io: RecurrentIO) {
    let hs = c.hidden, gw = c.gateWidth
    for d in 0 ..< c.directions {
        let w = d * gw * c.input, r = d * gw * hs      // this direction's W and R
        for b in 0 ..< c.batch {
            var h = [Float](repeating: 0, count: hs)
            var cell = [Float](repeating: 0, count: hs)
            for j in 0 ..< hs {
                if let ih = io.initialH { h[j] = ih[c.stateOffset(d, b) + j] }
                if let ic = io.initialC { cell[j] = ic[c.stateOffset(d, b) + j] }
            }
            let len = c.length(io.seqLens, b)
            for s in 0 ..< c.seq {
                let t = c.backwards(d) ? c.seq - 1 - s : s
                if t >= len {
                    if let y = io.y { for j in 0 ..< hs { y[c.yOffset(t, d, b) + j] = 0 } }
                    continue
                }
                let x = io.x + c.xRow(t, b) * c.input
                // xw(g, j) = Xt·Wgᵀ[j] + Wbg[j];  hr(g, j) = Ht-1·Rgᵀ[j] + Rbg[j]
                func xw(_ g: Int, _ j: Int) -> Float {
                    var acc: Float = wts.b.map { $0[d * 2 * gw + g * hs + j] } ?? 0
                    for k in 0 ..< c.input { acc += x[k] * wts.w[w + (g * hs + j) * c.input + k] }
                    return acc
                }
                func hr(_ g: Int, _ j: Int, _ state: [Float]) -> Float {
                    var acc: Float = wts.b.map { $0[d * 2 * gw + gw + g * hs + j] } ?? 0
                    for k in 0 ..< hs { acc += state[k] * wts.r[r + (g * hs + j) * hs + k] }
                    return acc
                }
                let f = c.activation(d, 0)
                var next = [Float](repeating: 0, count: hs)
                switch c.kind {
                case .lstm:
                    let g = c.activation(d, 1), hAct = c.activation(d, 2)
                    func peep(_ k: Int, _ j: Int) -> Float { wts.p.map { $0[d * 3 * hs + k * hs + j] } ?? 0 }
                    var newCell = cell
                    for j in 0 ..< hs {
                        // gate blocks: 0 i, 1 o, 2 f, 3 c; peepholes: 0 i, 1 o, 2 f
                        let i = f.apply(c.clipped(xw(0, j) + hr(0, j, h) + peep(0, j) * cell[j]))
                        let fg = c.inputForget ? 1 - i : f.apply(c.clipped(xw(2, j) + hr(2, j, h) + peep(2, j) * cell[j]))
                        let cc = g.apply(c.clipped(xw(3, j) + hr(3, j, h)))
                        newCell[j] = fg * cell[j] + i * cc
                        let o = f.apply(c.clipped(xw(1, j) + hr(1, j, h) + peep(1, j) * newCell[j]))
                        next[j] = o * hAct.apply(newCell[j])
                    }
                    cell = newCell
                case .gru:
                    let g = c.activation(d, 1)
                    // gate blocks: 0 z, 1 r, 2 h
                    var rg = [Float](repeating: 0, count: hs)
                    for j in 0 ..< hs { rg[j] = f.apply(c.clipped(xw(1, j) + hr(1, j, h))) }
                    var rh = h
                    for j in 0 ..< hs { rh[j] = rg[j] * h[j] }
                    for j in 0 ..< hs {
                        let z = f.apply(c.clipped(xw(0, j) + hr(0, j, h)))
                        let pre = c.linearBeforeReset ? xw(2, j) + rg[j] * hr(2, j, h)   // r (.) (Ht-1·Rhᵀ + Rbh)
                                                      : xw(2, j) + hr(2, j, rh)          // (r (.) Ht-1)·Rhᵀ + Rbh
                        let ht = g.apply(c.clipped(pre))
                        next[j] = (1 - z) * ht + z * h[j]
                    }
                case .rnn:
                    for j in 0 ..< hs { next[j] = f.apply(c.clipped(xw(0, j) + hr(0, j, h))) }
                }
                h = next
                if let y = io.y { for j in 0 ..< hs { y[c.yOffset(t, d, b) + j] = h[j] } }
            }
            for j in 0 ..< hs {
                io.yh?[c.stateOffset(d, b) + j] = h[j]
                io.yc?[c.stateOffset(d, b) + j] = cell[j]
            }
        }
    }
}
