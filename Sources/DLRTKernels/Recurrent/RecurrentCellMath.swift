/// The gate math of one batch row at one time step, SIMD8 over the hidden units.
///
/// `xw` is the row's input projection (Xt·Wᵀ + biases), `pre` the row's recurrent product
/// (Ht-1·Rᵀ + recurrent bias), both [G·hidden] in ONNX gate order; `pre` is overwritten with the
/// gates. `h`, `c` are the row's state [hidden], updated in place. Same equations, in the same
/// order, as `recurrentReference`.
struct RecurrentCellMath {
    let hidden: Int
    let f: RecurrentActivation, g: RecurrentActivation, h: RecurrentActivation
    let clip: Float?
    let inputForget: Bool
    /// This direction's peepholes i, o, f [3·hidden], or nil.
    let peepholes: UnsafePointer<Float>?

    init(cfg: RecurrentConfig, d: Int, peepholes: UnsafePointer<Float>?) {
        hidden = cfg.hidden
        let n = cfg.kind.activationCount
        f = cfg.activation(d, 0)
        g = n > 1 ? cfg.activation(d, 1) : .tanh
        h = n > 2 ? cfg.activation(d, 2) : .tanh
        clip = cfg.clip
        inputForget = cfg.inputForget
        self.peepholes = peepholes
    }

    /// LSTM (gates i, o, f, c): Ct = ft (.) Ct-1 + it (.) ct; Ht = ot (.) h(Ct).
    @inline(__always)
    func lstm(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, c: UnsafeMutablePointer<Float>,
              h hState: UnsafeMutablePointer<Float>) {
        let n = hidden
        let i = pre, o = pre + n, fg = pre + 2 * n, cc = pre + 3 * n
        add(pre, xw, 4 * n)
        if let p = peepholes {
            addProduct(i, p, c, n)
            if !inputForget { addProduct(fg, p + 2 * n, c, n) }
        }
        activate(f, i, n)
        if !inputForget { activate(f, fg, n) }
        activate(g, cc, n)
        let forget = inputForget
        rcRowLoop(n) { j, k in
            let iv = rcLoad(i + j, k), cv = rcLoad(c + j, k)
            let fv = forget ? 1 - iv : rcLoad(fg + j, k)
            rcStore(fv * cv + iv * rcLoad(cc + j, k), c + j, k)
        }
        if let p = peepholes { addProduct(o, p + n, c, n) }
        activate(f, o, n)
        cc.update(from: c, count: n)
        h.apply(cc, n)
        multiply(o, cc, into: hState)
    }

    /// GRU, first part: z and r gates (blocks 0 and 1 of `pre`).
    @inline(__always)
    func gruResetGates(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>) {
        add(pre, xw, 2 * hidden)
        activate(f, pre, 2 * hidden)
    }

    /// GRU with linear_before_reset = 1: ht = g(Xt·Whᵀ + Wbh + rt (.) (Ht-1·Rhᵀ + Rbh)).
    @inline(__always)
    func gruLinearBeforeReset(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, h hState: UnsafeMutablePointer<Float>) {
        let n = hidden
        let r = pre + n, hh = pre + 2 * n, xh = xw + 2 * n
        rcRowLoop(n) { j, k in rcStore(rcLoad(xh + j, k) + rcLoad(r + j, k) * rcLoad(hh + j, k), hh + j, k) }
        gruUpdate(pre, hState)
    }

    /// GRU with linear_before_reset = 0, after the second GEMM put (rt (.) Ht-1)·Rhᵀ in block 2.
    @inline(__always)
    func gruFinish(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, h hState: UnsafeMutablePointer<Float>) {
        add(pre + 2 * hidden, xw + 2 * hidden, hidden)
        gruUpdate(pre, hState)
    }

    /// ht = g(block 2); Ht = (1 − zt) (.) ht + zt (.) Ht-1.
    @inline(__always)
    func gruUpdate(_ pre: UnsafeMutablePointer<Float>, _ hState: UnsafeMutablePointer<Float>) {
        let n = hidden
        let z = pre, hh = pre + 2 * n
        activate(g, hh, n)
        rcRowLoop(n) { j, k in
            let zv = rcLoad(z + j, k), hv = rcLoad(hh + j, k)
            rcStore((1 - zv) * hv + zv * rcLoad(hState + j, k), hState + j, k)
        }
    }

    /// RNN: Ht = f(Xt·Wᵀ + Ht-1·Rᵀ + Wb + Rb).
    @inline(__always)
    func rnn(xw: UnsafePointer<Float>, pre: UnsafeMutablePointer<Float>, h hState: UnsafeMutablePointer<Float>) {
        add(pre, xw, hidden)
        activate(f, pre, hidden)
        hState.update(from: pre, count: hidden)
    }

    // MARK: - Row helpers (SIMD8 with a partial tail)

    /// Clips (when on) then applies `act` to `count` pre-activations in place.
    @inline(__always)
    func activate(_ act: RecurrentActivation, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        if let c = clip {
            let lo = SIMD8<Float>(repeating: -c), hi = SIMD8<Float>(repeating: c)
            rcRowLoop(count) { j, k in rcStore(rcLoad(p + j, k).clamped(lowerBound: lo, upperBound: hi), p + j, k) }
        }
        act.apply(p, count)
    }

    /// dst += src.
    @inline(__always)
    func add(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ count: Int) {
        rcRowLoop(count) { j, k in rcStore(rcLoad(dst + j, k) + rcLoad(src + j, k), dst + j, k) }
    }

    /// dst += a (.) b.
    @inline(__always)
    func addProduct(_ dst: UnsafeMutablePointer<Float>, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) {
        rcRowLoop(count) { j, k in
            var v = rcLoad(dst + j, k)
            v += rcLoad(a + j, k) * rcLoad(b + j, k)
            rcStore(v, dst + j, k)
        }
    }

    /// dst = a (.) b over `hidden` floats.
    @inline(__always)
    func multiply(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into dst: UnsafeMutablePointer<Float>) {
        rcRowLoop(hidden) { j, k in rcStore(rcLoad(a + j, k) * rcLoad(b + j, k), dst + j, k) }
    }
}

/// Calls `body(j, lanes)` for j = 0, 8, 16, … < count; lanes = 8, or fewer for the tail.
@inline(__always)
func rcRowLoop(_ count: Int, _ body: (Int, Int) -> Void) {
    var j = 0
    while j + 8 <= count { body(j, 8); j += 8 }
    if j < count { body(j, count - j) }
}

@inline(__always)
func rcLoad(_ p: UnsafePointer<Float>, _ lanes: Int) -> SIMD8<Float> {
    lanes == 8 ? ewLoad8(p) : ewLoadPartial(p, lanes)
}

@inline(__always)
func rcLoad(_ p: UnsafeMutablePointer<Float>, _ lanes: Int) -> SIMD8<Float> { rcLoad(UnsafePointer(p), lanes) }

@inline(__always)
func rcStore(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    if lanes == 8 { ewStore8(v, p) } else { ewStorePartial(v, p, lanes) }
}
