import DLRTModel

/// BatchNormalization folded into a preceding Conv / Gemm, activations fused into
/// Conv / Gemm / MatMul (the `activation*` attributes of docs/OPS.md).
enum Fusion {
    /// The one node reading `tensor`, if exactly one node does and it is not a graph output.
    static func soleProducer(of tensor: String, _ g: WGraph, _ uses: [String: Int]) -> Int? {
        guard uses[tensor] == 1, !g.outputs.contains(tensor) else { return nil }
        return g.nodes.firstIndex { $0.outputs.first == tensor }
    }

    /// Per-channel factor and shift of an inference BatchNormalization: y = x·s + t.
    static func bnAffine(_ bn: WNode, _ g: WGraph, channels: Int) -> (s: [Float], t: [Float])? {
        var p: [[Float]] = []
        for k in 1 ... 4 {
            guard let c = g.constants[bn.input(k)], c.type == .float, c.count == channels else { return nil }
            p.append(c.f)
        }
        let eps = bn.float("epsilon") ?? 1e-5
        var s = [Float](repeating: 0, count: channels), t = s
        for c in 0 ..< channels {
            s[c] = p[0][c] / (p[3][c] + eps).squareRoot()
            t[c] = p[1][c] - p[2][c] * s[c]
        }
        return (s, t)
    }

    @discardableResult
    static func foldBatchNorm(_ g: inout WGraph) -> Bool {
        var changed = false
        var k = 0
        while k < g.nodes.count {
            let bn = g.nodes[k]
            guard bn.op == "BatchNormalization", bn.outputs.count == 1,
                  let pi = soleProducer(of: bn.input(0), g, g.useCounts()), g.nodes[pi].outputs.count == 1,
                  (g.nodes[pi].int("activation") ?? 0) == 0 else { k += 1; continue }
            let prod = g.nodes[pi]
            var newNode: WNode? = nil
            if prod.op == "Conv" { newNode = foldIntoConv(prod, bn, &g) }
            else if prod.op == "Gemm" { newNode = foldIntoGemm(prod, bn, &g) }
            else if prod.op == "ConvTranspose" { newNode = foldIntoConvTranspose(prod, bn, &g) }
            guard var n = newNode else { k += 1; continue }
            n.outputs = bn.outputs
            g.nodes[pi] = n
            g.nodes.remove(at: k)
            changed = true
        }
        return changed
    }

    private static func foldIntoConv(_ conv: WNode, _ bn: WNode, _ g: inout WGraph) -> WNode? {
        guard let w = g.constants[conv.input(1)], w.type == .float, w.rank >= 3, let m = w.shape.first, m > 0,
              let (s, t) = bnAffine(bn, g, channels: m) else { return nil }
        var bias = [Float](repeating: 0, count: m)
        if !conv.input(2).isEmpty {
            guard let b = g.constants[conv.input(2)], b.type == .float, b.count == m else { return nil }
            bias = b.f
        }
        let per = w.count / m
        var nw = w
        for o in 0 ..< m { for j in 0 ..< per { nw.f[o * per + j] *= s[o] } }
        let nb = (0 ..< m).map { bias[$0] * s[$0] + t[$0] }
        var n = conv
        let wName = g.freshName(conv.input(1) + "_bn"), bName = g.freshName(bn.name + "_bias")
        g.constants[wName] = nw
        g.constants[bName] = .float(nb, shape: [m])
        n.inputs = [conv.input(0), wName, bName]
        return n
    }

    private static func foldIntoGemm(_ gemm: WNode, _ bn: WNode, _ g: inout WGraph) -> WNode? {
        guard let b = g.constants[gemm.input(1)], b.type == .float, b.rank == 2 else { return nil }
        let transB = (gemm.int("transB") ?? 0) != 0
        let (kk, nn) = transB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard nn > 0, let (s, t) = bnAffine(bn, g, channels: nn) else { return nil }
        let beta = gemm.float("beta") ?? 1
        var c = ConstTensor.float([Float](repeating: 0, count: nn), shape: [nn])
        if !gemm.input(2).isEmpty {
            guard let cc = g.constants[gemm.input(2)], cc.type == .float,
                  let shape = broadcastShapes(cc.shape, [nn]), shape.count <= 2, shape.last == nn,
                  shape.count < 2 || shape[0] == 1 || cc.rank == 2 else { return nil }
            let out = shape.count == 2 ? shape : [nn]
            c = cc.gathering(broadcastIndices(from: cc.shape, to: out), shape: out)
        }
        var nb = b
        for r in 0 ..< b.shape[0] {
            for col in 0 ..< b.shape[1] { nb.f[r * b.shape[1] + col] *= s[transB ? r : col] }
        }
        _ = kk
        for j in 0 ..< c.count { let ch = j % nn; c.f[j] = beta * c.f[j] * s[ch] + t[ch] }
        var n = gemm
        let bName = g.freshName(gemm.input(1) + "_bn"), cName = g.freshName(bn.name + "_bias")
        g.constants[bName] = nb
        g.constants[cName] = c
        n.inputs = [gemm.input(0), bName, cName]
        n.attrs["beta"] = .float(1)
        return n
    }

    @discardableResult
    static func fuseActivations(_ g: inout WGraph) -> Bool {
        var changed = false
        var k = 0
        while k < g.nodes.count {
            let act = g.nodes[k]
            var attrs: [String: OAttr]
            switch act.op {
            case "Relu": attrs = ["activation": .int(FusedActivation.relu.rawValue)]
            case "LeakyRelu":
                attrs = ["activation": .int(FusedActivation.leakyRelu.rawValue), "activation_alpha": .float(act.float("alpha") ?? 0.01)]
            case "Sigmoid": attrs = ["activation": .int(FusedActivation.sigmoid.rawValue)]
            case "Tanh": attrs = ["activation": .int(FusedActivation.tanh.rawValue)]
            case "Clip" where act.inputs.count == 1:
                attrs = ["activation": .int(FusedActivation.clip.rawValue),
                         "activation_min": .float(act.float("min") ?? -.infinity),
                         "activation_max": .float(act.float("max") ?? .infinity)]
            default: k += 1; continue
            }
            guard act.domain.isEmpty, act.outputs.count == 1, g.typeOf(act.input(0)) == .float,
                  let pi = soleProducer(of: act.input(0), g, g.useCounts()),
                  ["Conv", "Gemm", "MatMul", "ConvTranspose"].contains(g.nodes[pi].op), g.nodes[pi].outputs.count == 1,
                  (g.nodes[pi].int("activation") ?? 0) == 0 else { k += 1; continue }
            for (key, v) in attrs { g.nodes[pi].attrs[key] = v }
            g.nodes[pi].outputs = act.outputs
            g.nodes.remove(at: k)
            changed = true
        }
        return changed
    }
}
