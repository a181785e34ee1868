import DLRTModel

/// Local rewrites into dlrt's canonical forms, Identity/Dropout removal and dead code elimination.
enum Simplify {
    /// Constant operands to attributes, unused optional outputs dropped, Dropout → Identity,
    /// no-op Cast → Identity, Squeeze/Unsqueeze on runtime tensors → Reshape.
    @discardableResult
    static func canonicalize(_ g: inout WGraph) throws -> Bool {
        var changed = false
        let uses = g.useCounts()
        let nodeCount = g.nodes.count
        for k in g.nodes.indices {
            var n = g.nodes[k]
            // Trailing outputs nobody reads (MaxPool Indices, BN running stats, Dropout mask).
            for j in n.outputs.indices.dropFirst() where !n.outputs[j].isEmpty && uses[n.outputs[j]] == nil {
                n.outputs[j] = ""
            }
            while n.outputs.count > 1, n.outputs.last == "" { n.outputs.removeLast() }
            switch n.op {
            case "Clip":
                for (j, key) in [(1, "min"), (2, "max")] where !n.input(j).isEmpty {
                    if let c = g.constants[n.input(j)], c.count == 1 {
                        n.attrs[key] = .float(c.floats[0])
                        n.inputs[j] = ""
                    }
                }
            case "Squeeze", "Unsqueeze":
                if !n.input(1).isEmpty, let axes = g.constInts(n.input(1)) {
                    n.attrs["axes"] = .ints(axes)
                    n.inputs[1] = ""
                }
                if g.constants[n.input(0)] == nil, let out = g.info[n.output(0)]?.shape, n.input(1).isEmpty,
                   let target = OpTable.resolveReshapeTarget(out.map { $0 }, data: g.shapeOf(n.input(0)), allowzero: false) {
                    let name = g.freshName(n.name + "_shape")
                    g.constants[name] = .int64(target)
                    n = WNode(name: n.name, op: "Reshape", domain: "", inputs: [n.input(0), name], outputs: n.outputs, attrs: [:])
                }
            case "Dropout":
                if n.outputs.count > 1 { throw n.unsupported("output 'mask' ('\(n.outputs[1])') is used; dlrt runs inference only") }
                if !n.input(2).isEmpty {
                    // A runtime training_mode could be true: dropping the node would then be wrong.
                    guard let t = g.constInts(n.input(2)) else {
                        throw n.unsupported("input 'training_mode' ('\(n.input(2))') is not a constant; dlrt runs inference only (it must be a constant false)")
                    }
                    if t.first ?? 0 != 0 { throw n.unsupported("input 'training_mode' = true is not supported (inference only)") }
                }
                n = WNode(name: n.name, op: "Identity", domain: "", inputs: [n.input(0)], outputs: n.outputs, attrs: [:])
            case "Cast":
                if let to = n.int("to"), let t = g.typeOf(n.input(0)), Int64(t.rawValue) == to {
                    n = WNode(name: n.name, op: "Identity", domain: "", inputs: [n.input(0)], outputs: n.outputs, attrs: [:])
                }
            case "Resize", "Upsample", "Pad": OpTable.canonicalizeVision(&n, &g)
            default:
                OpTable.canonicalizeTransformer(&n, &g)
                try OpTable.canonicalizeRecurrent(&n, &g)
            }
            while n.inputs.count > 1, n.inputs.last == "" { n.inputs.removeLast() }
            if n.inputs != g.nodes[k].inputs || n.outputs != g.nodes[k].outputs || n.op != g.nodes[k].op
                || n.attrs.count != g.nodes[k].attrs.count {
                changed = true
            }
            g.nodes[k] = n
        }
        // A rewrite into several nodes (Einsum) appends its helpers: restore topological order.
        if g.nodes.count != nodeCount { try Folder.topoSort(&g) }
        return changed
    }

    /// Removes Identity nodes by rewiring; a graph output keeps its name (the producer's tensor
    /// is renamed). An Identity between a graph input / constant and a graph output stays.
    @discardableResult
    static func removeIdentities(_ g: inout WGraph) -> Bool {
        var changed = false
        var k = 0
        while k < g.nodes.count {
            let n = g.nodes[k]
            guard n.op == "Identity", n.domain.isEmpty, n.outputs.count == 1, !n.input(0).isEmpty else { k += 1; continue }
            let x = n.input(0), y = n.output(0)
            let outputs = Set(g.outputs)
            if !outputs.contains(y) {
                g.nodes.remove(at: k)
                g.replaceUses(of: y, with: x)
                changed = true
                continue
            }
            if !outputs.contains(x), !g.inputs.contains(x), g.constants[x] == nil,
               g.nodes.contains(where: { $0.outputs.contains(x) }) {
                g.nodes.remove(at: k)
                g.rename(x, to: y)
                changed = true
                continue
            }
            k += 1
        }
        return changed
    }

    /// Drops nodes whose outputs nobody uses and constants nobody reads.
    @discardableResult
    static func deadCode(_ g: inout WGraph) -> Bool {
        var live = Set(g.outputs)
        var keep = [Bool](repeating: false, count: g.nodes.count)
        for k in g.nodes.indices.reversed() where g.nodes[k].outputs.contains(where: { live.contains($0) }) {
            keep[k] = true
            for i in g.nodes[k].inputs where !i.isEmpty { live.insert(i) }
        }
        let before = g.nodes.count
        g.nodes = g.nodes.indices.filter { keep[$0] }.map { g.nodes[$0] }
        let deadConsts = g.constants.keys.filter { !live.contains($0) }
        for c in deadConsts { g.constants[c] = nil }
        return before != g.nodes.count
    }
}
