import DLRTModel

/// Topological order, shape inference and constant folding (one sweep; the driver repeats
/// the passes until nothing changes).
enum Folder {
    /// Reorders `g.nodes` topologically; throws for a cycle or an input nothing defines.
    static func topoSort(_ g: inout WGraph) throws {
        var producer: [String: Int] = [:]
        for (k, n) in g.nodes.enumerated() {
            for o in n.outputs where !o.isEmpty {
                if producer[o] != nil || g.constants[o] != nil || g.inputs.contains(o) {
                    throw ModelError(.invalidModel, "\(n.label): output '\(o)' is defined more than once")
                }
                producer[o] = k
            }
        }
        var indeg = [Int](repeating: 0, count: g.nodes.count)
        var users = [[Int]](repeating: [], count: g.nodes.count)
        let graphInputs = Set(g.inputs)
        for (k, n) in g.nodes.enumerated() {
            for i in Set(n.inputs) where !i.isEmpty {
                if let p = producer[i] { indeg[k] += 1; users[p].append(k) }
                else if g.constants[i] == nil && !graphInputs.contains(i) {
                    throw ModelError(.invalidModel, "\(n.label): input '\(i)' is not produced by any node, initializer or graph input")
                }
            }
        }
        var ready = (0 ..< g.nodes.count).filter { indeg[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(g.nodes.count)
        while let k = ready.popLast() {
            order.append(k)
            for u in users[k].reversed() { indeg[u] -= 1; if indeg[u] == 0 { ready.append(u) } }
        }
        guard order.count == g.nodes.count else {
            let stuck = g.nodes.indices.first { indeg[$0] > 0 }.map { g.nodes[$0].label } ?? "?"
            throw ModelError(.invalidModel, "the graph has a cycle (through \(stuck))")
        }
        g.nodes = order.map { g.nodes[$0] }
    }

    /// Merges an inferred fact with a declared one (value_info / graph output): the declared
    /// dims replace dims inference could not determine.
    static func merge(_ inferred: ValueInfo, _ declared: ValueInfo?, name: String) -> ValueInfo {
        guard let declared else { return inferred }
        var r = inferred
        if r.type == nil { r.type = declared.type }
        guard let ds = declared.shape else { return r }
        guard let s = r.shape else { r.shape = ds; return r }
        if s.count == ds.count {
            r.shape = zip(s, ds).map { p in
                if case .symbolic(let n) = p.0, isGenerated(n) { return p.1 }
                return p.0
            }
        }
        return r
    }

    /// Names `unknownDim` makes end in `_d<k>`; a declared dim is always better than those.
    static func isGenerated(_ n: String) -> Bool {
        let digits = n.reversed().prefix { $0.isNumber }
        guard !digits.isEmpty else { return false }
        return n.dropLast(digits.count).hasSuffix("_d")
    }

    /// Infers every tensor and folds what can be folded. Returns whether the graph changed.
    @discardableResult
    static func run(_ g: inout WGraph) throws -> Bool {
        try topoSort(&g)
        g.info = [:]
        for i in g.inputs { g.info[i] = g.declared[i] ?? ValueInfo(type: nil, shape: nil) }
        var changed = false
        var removed = Set<Int>()
        for k in g.nodes.indices {
            let node = g.nodes[k]
            guard let def = OpTable.lookup(node) else {
                for o in node.outputs where !o.isEmpty { g.info[o] = g.declared[o] ?? ValueInfo(type: nil, shape: nil) }
                continue
            }
            var consts = node.inputs.map { $0.isEmpty ? nil : g.constants[$0] }
            let allConst = zip(node.inputs, consts).allSatisfy { $0.0.isEmpty || $0.1 != nil }
            // Fold closures index inputs by position (c[1]): a node with fewer inputs than its op
            // takes must see them as absent (nil), not trap.
            while consts.count < 16 { consts.append(nil) }
            if allConst, let fold = def.fold, let outs = try fold(node, consts), outs.count >= node.outputs.filter({ !$0.isEmpty }).count {
                for (o, c) in zip(node.outputs, outs) where !o.isEmpty {
                    guard checkedElementCount(c.shape, limit: ProtoReader.maxConstantElements) == c.count else {
                        throw node.invalid("folding gives \(c.count) elements for shape \(describe(c.shape))")
                    }
                    g.constants[o] = c
                }
                removed.insert(k)
                changed = true
                continue
            }
            let infos = try def.infer(node, g)
            for (j, o) in node.outputs.enumerated() where !o.isEmpty {
                g.info[o] = merge(j < infos.count ? infos[j] : ValueInfo(type: nil, shape: nil), g.declared[o], name: o)
            }
            // A shape value whose elements are all known is a constant.
            if node.outputs.count == 1, let o = node.outputs.first, let info = g.info[o], let sv = info.shapeValue,
               let t = info.type, !t.isFloat, let s = fixedDims(info.shape), s.count <= 1, (s.first ?? 1) == sv.count {
                let vals = sv.compactMap { $0?.fixedValue }
                if vals.count == sv.count {
                    g.constants[o] = ConstTensor(type: t, shape: s, i: vals.map(Int64.init))
                    g.info[o] = nil
                    removed.insert(k)
                    changed = true
                    continue
                }
            }
            // Reshape whose target is a tracked symbolic shape: make the target constant.
            if node.op == "Reshape", g.constants[node.input(1)] == nil, let sv = g.shapeValue(node.input(1)),
               let target = OpTable.resolveReshapeTarget(sv, data: g.shapeOf(node.input(0)),
                                                         allowzero: (node.int("allowzero") ?? 0) != 0) {
                let name = g.freshName(node.input(1).isEmpty ? node.name + "_shape" : node.input(1))
                g.constants[name] = .int64(target)
                g.nodes[k].inputs[1] = name
                changed = true
            }
        }
        if !removed.isEmpty {
            g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element)
        }
        return changed
    }
}
