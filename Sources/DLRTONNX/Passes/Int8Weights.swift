import DLRTModel

/// `--weights int8` (dynamic activation mode): rewrites the lowered dlrt graph so that
/// Gemm / MatMul with a constant B and Conv carry symmetric per-output-channel int8 weights and run
/// as `DynamicQuantizeMatMul` / `DynamicQuantizeConv` (activations quantized to u8 per run; see
/// docs/QUANTIZATION.md). Everything else stays float32.
///
/// Per output channel c: scale_c = max|w| / 127 (1 when all are 0), q = clamp(round_half_even(w /
/// scale_c), −127, 127); zero point 0. Gemm's alpha is folded into the weights, beta · C into the
/// bias (C must be a constant broadcasting along rows: [N], [1, N], [1] or []).
///
/// Left in float32, with a note in the report: depthwise convolutions (one input and output
/// channel per group — 9 taps per output are too few to average int8 rounding out, and the GEMM
/// would use 1 of its 32 columns), Gemm with transA = 1 or a non-constant / row-varying C,
/// MatMul whose B is not a constant matrix, and weights with a non-finite value.
enum Int8Weights {
    struct Report {
        var layers: [Int8LayerReport] = []
        var keptFloat: [String] = []
        /// Static mode: activations passed as u8 from one int8 node to the next.
        var u8Tensors = 0

        var bytesBefore: Int { layers.reduce(0) { $0 + $1.bytesBefore } }
        var bytesAfter: Int { layers.reduce(0) { $0 + $1.bytesAfter } }
        var summary: String {
            "int8 weights: \(layers.count) layer\(layers.count == 1 ? "" : "s") quantized, \(bytesBefore) → \(bytesAfter) bytes of weights"
                + (keptFloat.isEmpty ? "" : ", \(keptFloat.count) kept float32 or dynamic")
                + (u8Tensors == 0 ? "" : ", \(u8Tensors) activation\(u8Tensors == 1 ? "" : "s") passed as u8")
        }
    }

    /// Quantizes `w` ([channels][perChannel] row-major when `channelsFirst`, else [perChannel][channels]).
    static func quantize(_ w: [Float], channels: Int, channelsFirst: Bool) -> (q: [Int8], scales: [Float], relError: Double) {
        let per = channels == 0 ? 0 : w.count / channels
        func at(_ c: Int, _ i: Int) -> Int { channelsFirst ? c * per + i : i * channels + c }
        var q = [Int8](repeating: 0, count: w.count)
        var scales = [Float](repeating: 1, count: channels)
        var err = 0.0, norm = 0.0
        for c in 0 ..< channels {
            var m: Float = 0
            for i in 0 ..< per { m = max(m, abs(w[at(c, i)])) }
            let s: Float = m > 0 ? m / 127 : 1
            scales[c] = s
            for i in 0 ..< per {
                let v = w[at(c, i)]
                let r = (v / s).rounded(.toNearestOrEven)
                let qi = Int8(min(max(r, -127), 127))
                q[at(c, i)] = qi
                let d = Double(v) - Double(Float(qi) * s)
                err += d * d
                norm += Double(v) * Double(v)
            }
        }
        return (q, scales, norm > 0 ? (err / norm).squareRoot() : 0)
    }

    /// `ranges`: observed activation ranges by tensor id (static mode, `--calibration`); nil for
    /// dynamic mode.
    ///
    /// `presets`: weights imported from ONNX's MatMulInteger / ConvInteger (Passes/Int8IntegerImport.swift),
    /// stored with their own integers and scales; their nodes quantize activations per tensor
    /// (`per_row` = 0, as DynamicQuantizeLinear does) and are quantized even when depthwise.
    static func apply(_ g: inout Graph, ranges: [Int32: ClosedRange<Float>]? = nil, presets: Int8Presets = Int8Presets()) -> Report {
        var report = Report()
        var memo: [Int32: Int32] = [:]  // float weight → its int8 form (MatMul B / Conv W shared by several nodes)
        var dequantizers: [Node] = []    // weight-only int8 → DequantizeLinear (folded when the model loads)
        let tableReaders = nonGatherReaders(g)  // tfm: embedding tables (Int8Embeddings.swift)
        for n in g.nodes.indices {
            let node = g.nodes[n]
            do {
                switch node.op {
                case .matMul: try matMul(&g, n, memo: &memo, presets, &report)
                case .gemm: try gemm(&g, n, presets, &report)
                case .conv: try conv(&g, n, memo: &memo, presets, &report, ranges: ranges)
                case .gather: try gather(&g, n, memo: &memo, readers: tableReaders, &report)
                default: break
                }
            } catch let e as Skip {
                report.keptFloat.append("\(node.op.name) '\(node.name)' kept float32: \(e.reason)")
            } catch {}
        }
        let orphans = fuseBiasAdds(&g)
        if let ranges { makeStatic(&g, ranges: ranges, &report) }
        weightOnlyPass(&g, &dequantizers, &report)
        // They read only constants: placing them first keeps the topological order.
        g.nodes.insert(contentsOf: dequantizers, at: 0)
        removeUnusedConstants(&g, orphans: orphans)
        return report
    }

    /// Asymmetric u8 parameters covering `r` widened to include 0 (the formula of dynamic mode).
    static func u8Params(_ r: ClosedRange<Float>) -> (scale: Float, zero: Int64) {
        let lo = min(r.lowerBound, 0), hi = max(r.upperBound, 0)
        var s = Float((Double(hi) - Double(lo)) / 255)
        if !(s > 0) || !s.isFinite { s = 1 }
        return (s, Int64(min(max((-lo / s).rounded(.toNearestOrEven), 0), 255)))
    }

    /// Static mode: every quantized node whose input range was recorded gets fixed `x_scale` /
    /// `x_zero_point`; a static node whose output only feeds static nodes (as their input X, not
    /// a graph output) writes u8 with `y_scale` / `y_zero_point`, so such chains stay u8.
    static func makeStatic(_ g: inout Graph, ranges: [Int32: ClosedRange<Float>], _ r: inout Report) {
        let dynamicOps: [OpCode: OpCode] = [.dynamicQuantizeMatMul: .quantizedMatMul, .dynamicQuantizeConv: .quantizedConv]
        for n in g.nodes.indices {
            guard let op = dynamicOps[g.nodes[n].op] else { continue }
            guard let range = ranges[g.nodes[n].inputs[0]] else {
                r.keptFloat.append("\(g.nodes[n].op.name) '\(g.nodes[n].name)' stays dynamic: no calibration range for its input")
                continue
            }
            let p = u8Params(range)
            g.nodes[n].op = op
            g.nodes[n].attributes["per_row"] = nil
            g.nodes[n].attributes["per_image"] = nil
            g.nodes[n].attributes["x_scale"] = .float(p.scale)
            g.nodes[n].attributes["x_zero_point"] = .int(p.zero)
        }
        let staticOps: Set<OpCode> = [.quantizedMatMul, .quantizedConv, .quantizedDepthwiseConv]  // mbv2: + depthwise
        var consumers: [Int32: [(node: Int, input: Int)]] = [:]
        for (n, node) in g.nodes.enumerated() {
            for (k, id) in node.inputs.enumerated() where id >= 0 { consumers[id, default: []].append((n, k)) }
        }
        let graphOutputs = Set(g.outputs)
        // Byte-moving ops a u8 tensor may pass through (same values, same parameters).
        let layoutOps: Set<OpCode> = [.reshape, .flatten, .squeeze, .unsqueeze, .identity]
        /// The tensors that become u8, the static nodes reading them and the MaxPools on the way
        /// (with whether their own output stays u8), when every path from `t` ends in a static
        /// node's X (through layout ops) or in a MaxPool (which can dequantize); nil otherwise.
        func u8Closure(_ t: Int32) -> (tensors: [Int32], readers: [Int], pools: [(node: Int, u8: Bool)])? {
            guard !graphOutputs.contains(t), let users = consumers[t], !users.isEmpty else { return nil }
            var tensors = [t], readers: [Int] = [], pools: [(node: Int, u8: Bool)] = []
            for u in users {
                let node = g.nodes[u.node]
                if staticOps.contains(node.op) && u.input == 0 {
                    readers.append(u.node)
                } else if node.op == .maxPool && u.input == 0 && node.outputs.count == 1 {
                    let next = u8Closure(node.outputs[0])
                    pools.append((u.node, next != nil))
                    if let next { tensors += next.tensors; readers += next.readers; pools += next.pools }
                } else if layoutOps.contains(node.op) && u.input == 0, let next = u8Closure(node.outputs[0]) {
                    tensors += next.tensors
                    readers += next.readers
                    pools += next.pools
                } else {
                    return nil
                }
            }
            return (tensors, readers, pools)
        }
        for n in g.nodes.indices where staticOps.contains(g.nodes[n].op) {
            guard let range = ranges[g.nodes[n].outputs[0]], let closure = u8Closure(g.nodes[n].outputs[0]) else { continue }
            let p = u8Params(range)
            g.nodes[n].attributes["y_scale"] = .float(p.scale)
            g.nodes[n].attributes["y_zero_point"] = .int(p.zero)
            for t in closure.tensors {
                g.tensors[Int(t)].dtype = .uint8
                g.tensors[Int(t)].quantization = Quantization(axis: nil, scales: [p.scale], zeroPoints: [Int32(p.zero)])
            }
            for reader in closure.readers {
                g.nodes[reader].attributes["x_scale"] = .float(p.scale)
                g.nodes[reader].attributes["x_zero_point"] = .int(p.zero)
            }
            for pool in closure.pools {
                g.nodes[pool.node].op = .quantizedMaxPool
                g.nodes[pool.node].attributes["x_scale"] = .float(p.scale)
                g.nodes[pool.node].attributes["x_zero_point"] = .int(p.zero)
                if pool.u8 {
                    g.nodes[pool.node].attributes["y_scale"] = .float(p.scale)
                    g.nodes[pool.node].attributes["y_zero_point"] = .int(p.zero)
                }
            }
            r.u8Tensors += 1
        }
    }

    /// A DynamicQuantizeMatMul without bias or activation whose output only feeds an Add of a
    /// constant float32 [N] (transformers' `MatMul → Add(bias)`) takes that constant as its bias and
    /// writes the Add's output; the Add goes. The epilogue's `+ bias[j]` is the same single float32
    /// addition after the same product, so the values are bit-identical, one pass over the output
    /// fewer. Returns the matmuls' former output tensors (now unused).
    static func fuseBiasAdds(_ g: inout Graph) -> Set<Int32> {
        var users: [Int32: [Int]] = [:]
        for (n, node) in g.nodes.enumerated() { for id in node.inputs where id >= 0 { users[id, default: []].append(n) } }
        let graphOutputs = Set(g.outputs)
        var removed = Set<Int>(), orphans = Set<Int32>()
        for n in g.nodes.indices {
            let mm = g.nodes[n]
            guard mm.op == .dynamicQuantizeMatMul, mm.inputs.count == 2, mm.outputs.count == 1,
                  !mm.attributes.keys.contains(where: { $0.hasPrefix("activation") }),
                  let cols = g.tensors[Int(mm.inputs[1])].fixedShape?.last else { continue }
            let y = mm.outputs[0]
            guard !graphOutputs.contains(y), let u = users[y], u.count == 1, !removed.contains(u[0]) else { continue }
            let add = g.nodes[u[0]]
            guard add.op == .add, add.inputs.count == 2, add.outputs.count == 1, add.attributes.isEmpty else { continue }
            let bias = add.inputs[0] == y ? add.inputs[1] : add.inputs[0]
            guard bias != y, let b = try? floatConstant(g, bias, "bias"), b.shape == [cols] else { continue }
            g.nodes[n].inputs.append(bias)
            g.nodes[n].outputs = add.outputs
            removed.insert(u[0])
            orphans.insert(y)
        }
        if !removed.isEmpty { g.nodes = g.nodes.enumerated().filter { !removed.contains($0.offset) }.map(\.element) }
        return orphans
    }

    /// Drops constants no node reads any more (the float32 originals of quantized weights) and the
    /// `orphans` (intermediate tensors no node produces or reads any more), renumbering tensor ids.
    static func removeUnusedConstants(_ g: inout Graph, orphans: Set<Int32> = []) {
        var used = Set(g.inputs + g.outputs)
        for node in g.nodes { used.formUnion(node.inputs.filter { $0 >= 0 }); used.formUnion(node.outputs) }
        var map = [Int32](repeating: -1, count: g.tensors.count)
        var kept: [Tensor] = []
        for (i, t) in g.tensors.enumerated() where (!t.isConstant && !orphans.contains(Int32(i))) || used.contains(Int32(i)) {
            map[i] = Int32(kept.count)
            kept.append(t)
        }
        guard kept.count < g.tensors.count else { return }
        func remap(_ id: Int32) -> Int32 { id < 0 ? id : map[Int(id)] }
        g.tensors = kept
        g.inputs = g.inputs.map(remap)
        g.outputs = g.outputs.map(remap)
        for n in g.nodes.indices {
            g.nodes[n].inputs = g.nodes[n].inputs.map(remap)
            g.nodes[n].outputs = g.nodes[n].outputs.map(remap)
        }
    }

    struct Skip: Error { var reason: String }

    /// An imported integer weight (`presets`) as `quantize` would return it; `w` is its dequantized form.
    static func imported(_ p: Int8Presets.Weight, _ w: [Float]) -> (q: [Int8], scales: [Float], relError: Double) {
        (p.q, p.scales, 0)
    }

    static func floatConstant(_ g: Graph, _ id: Int32, _ what: String) throws -> (values: [Float], shape: [Int]) {
        guard id >= 0 else { throw Skip(reason: "\(what) is absent") }
        let t = g.tensors[Int(id)]
        guard let data = t.data, let shape = t.fixedShape else { throw Skip(reason: "\(what) is not a constant") }
        guard t.dtype == .float32 else { throw Skip(reason: "\(what) is \(t.dtype)") }
        let values = data.elements(as: Float.self)
        guard values.allSatisfy({ $0.isFinite }) else { throw Skip(reason: "\(what) has a non-finite value") }
        return (values, shape)
    }

    /// Adds the int8 weight tensor and returns its id.
    static func store(_ g: inout Graph, name: String, q: [Int8], shape: [Int], scales: [Float], axis: Int) -> Int32 {
        g.addTensor(Tensor(name: name, dtype: .int8, shape: shape.map { .fixed($0) }, data: TensorData(blob: Blob.copying(q)),
                           quantization: Quantization(axis: axis, scales: scales, zeroPoints: [Int32](repeating: 0, count: scales.count))))
    }

    /// `shared`: the weight was already quantized for another node (its bytes count once).
    static func record(_ r: inout Report, _ node: Node, _ op: String, _ shape: [Int], _ scales: [Float], _ err: Double,
                       shared: Bool = false) {
        let count = shared ? 0 : shape.reduce(1, *)
        r.layers.append(Int8LayerReport(node: node.name, op: op, shape: shape, scaleMin: scales.min() ?? 0, scaleMax: scales.max() ?? 0,
                              relativeError: err, bytesBefore: 4 * count, bytesAfter: shared ? 0 : count + 4 * scales.count))
    }

    static func matMul(_ g: inout Graph, _ n: Int, memo: inout [Int32: Int32], _ presets: Int8Presets, _ r: inout Report) throws {
        let node = g.nodes[n]
        let (b, shape) = try floatConstant(g, node.inputs[1], "B")
        guard shape.count == 2 else { throw Skip(reason: "B has shape \(describe(shape)), not a matrix") }
        let preset = presets.weights[g.tensors[Int(node.inputs[1])].name]
        let (q, scales, err) = preset.map { imported($0, b) } ?? quantize(b, channels: shape[1], channelsFirst: false)
        let shared = memo[node.inputs[1]] != nil
        let id = memo[node.inputs[1]] ?? store(&g, name: g.tensors[Int(node.inputs[1])].name, q: q, shape: shape, scales: scales, axis: 1)
        memo[node.inputs[1]] = id
        var attrs = node.attributes
        attrs["per_row"] = .int(preset == nil ? 1 : 0)
        g.nodes[n] = Node(name: node.name, op: .dynamicQuantizeMatMul, inputs: [node.inputs[0], id], outputs: node.outputs,
                          attributes: attrs)
        record(&r, node, "MatMul", shape, scales, err, shared: shared)
    }

    static func gemm(_ g: inout Graph, _ n: Int, _ presets: Int8Presets, _ r: inout Report) throws {
        let node = g.nodes[n]
        func int(_ k: String) -> Int64 { if case .int(let v)? = node.attributes[k] { return v }; return 0 }
        func float(_ k: String) -> Float { if case .float(let v)? = node.attributes[k] { return v }; return 1 }
        guard int("transA") == 0 else { throw Skip(reason: "transA = 1") }
        let (b, bs) = try floatConstant(g, node.inputs[1], "B")
        guard bs.count == 2 else { throw Skip(reason: "B has shape \(describe(bs))") }
        let transB = int("transB") != 0
        let (k, cols) = transB ? (bs[1], bs[0]) : (bs[0], bs[1])
        let alpha = float("alpha"), beta = float("beta")
        var w = [Float](repeating: 0, count: k * cols)  // alpha · op(B), [K, N]
        for kk in 0 ..< k { for j in 0 ..< cols { w[kk * cols + j] = alpha * (transB ? b[j * k + kk] : b[kk * cols + j]) } }
        var bias: [Float]? = nil
        if node.inputs.count > 2, node.inputs[2] >= 0 {
            let (c, cs) = try floatConstant(g, node.inputs[2], "C")
            let lead = cs.dropLast().reduce(1, *)
            guard cs.count <= 2, lead == 1, c.count == cols || c.count == 1 else {
                throw Skip(reason: "C \(describe(cs)) is not one value per output column")
            }
            bias = (0 ..< cols).map { beta * c[c.count == 1 ? 0 : $0] }
        }
        guard w.allSatisfy({ $0.isFinite }), bias?.allSatisfy({ $0.isFinite }) ?? true else {
            throw Skip(reason: "alpha · B or beta · C has a non-finite value")
        }
        let name = g.tensors[Int(node.inputs[1])].name
        // An imported integer weight stays as it is when the Gemm uses it unchanged.
        let preset = transB || alpha != 1 ? nil : presets.weights[name]
        let (q, scales, err) = preset.map { imported($0, w) } ?? quantize(w, channels: cols, channelsFirst: false)
        let id = store(&g, name: name, q: q, shape: [k, cols], scales: scales, axis: 1)
        var inputs = [node.inputs[0], id]
        if let bias, beta == 1, g.tensors[Int(node.inputs[2])].fixedShape == [cols] {
            inputs.append(node.inputs[2])  // C is already the bias
        } else if let bias {
            inputs.append(g.addTensor(Tensor(name: name + "/bias", dtype: .float32, shape: [.fixed(cols)],
                                             data: TensorData(blob: Blob.copying(bias)))))
        }
        var attrs = node.attributes.filter { $0.key.hasPrefix("activation") }
        attrs["per_row"] = .int(preset == nil ? 1 : 0)
        g.nodes[n] = Node(name: node.name, op: .dynamicQuantizeMatMul, inputs: inputs, outputs: node.outputs, attributes: attrs)
        record(&r, node, "Gemm", [k, cols], scales, err)
    }

    static func conv(_ g: inout Graph, _ n: Int, memo: inout [Int32: Int32], _ presets: Int8Presets, _ r: inout Report,
                     ranges: [Int32: ClosedRange<Float>]? = nil) throws {
        let node = g.nodes[n]
        let (w, ws) = try floatConstant(g, node.inputs[1], "W")
        guard ws.count == 3 || ws.count == 4 else { throw Skip(reason: "W has shape \(describe(ws))") }
        var group: Int64 = 1
        if case .int(let v)? = node.attributes["group"] { group = v }
        let preset = presets.weights[g.tensors[Int(node.inputs[1])].name]
        if preset == nil && group > 1 && ws[1] == 1 && Int64(ws[0]) == group {
            // mbv2: static mode → QuantizedDepthwiseConv (Int8Depthwise.swift); dynamic mode keeps float32.
            guard let range = ranges?[node.inputs[0]] else {
                throw Skip(reason: "depthwise (group \(group)): kept float32 (int8 depthwise needs static activations)")
            }
            return depthwise(&g, n, w, ws, range, memo: &memo, &r)
        }
        let (q, scales, err) = preset.map { imported($0, w) } ?? quantize(w, channels: ws[0], channelsFirst: true)
        let shared = memo[node.inputs[1]] != nil
        let id = memo[node.inputs[1]] ?? store(&g, name: g.tensors[Int(node.inputs[1])].name, q: q, shape: ws, scales: scales, axis: 0)
        memo[node.inputs[1]] = id
        var inputs = node.inputs
        inputs[1] = id
        var attrs = node.attributes
        if preset != nil { attrs["per_image"] = .int(0) }
        g.nodes[n] = Node(name: node.name, op: .dynamicQuantizeConv, inputs: inputs, outputs: node.outputs, attributes: attrs)
        record(&r, node, "Conv", ws, scales, err, shared: shared)
    }

    /// Weight-only int8 for ConvTranspose W and recurrent W / R, in node order while the runtime's
    /// load-time folding budget (DLRTRuntime/LoadTimeFolding.swift: 16 MiB + 2 × the file's
    /// constant bytes in all, 256 MiB per node) holds every dequantized weight — a recurrent op
    /// needs its W and R constant once loaded. Quantizing a weight of q values turns 4q constant
    /// bytes into q and adds 4q folded bytes: all chosen fit while 10 · Σq ≤ 16 MiB + 2 · C0 (C0:
    /// the constant bytes before this pass); 1 MiB is kept in reserve.
    static func weightOnlyPass(_ g: inout Graph, _ dequantizers: inout [Node], _ r: inout Report) {
        var used = Set(g.inputs + g.outputs)
        for node in g.nodes { used.formUnion(node.inputs.filter { $0 >= 0 }) }
        var c0 = 0
        for (i, t) in g.tensors.enumerated() where used.contains(Int32(i)) { c0 += t.data?.byteCount ?? 0 }
        let limit = (15 << 20) + 2 * c0
        var chosen = 0
        var memo: [Int32: Int32] = [:]
        for n in g.nodes.indices {
            let node = g.nodes[n]
            let inputs: [Int]
            switch node.op {
            case .convTranspose: inputs = [1]
            case .lstm, .gru, .rnn: inputs = [1, 2]
            default: continue
            }
            do {
                for k in inputs where k < node.inputs.count && node.inputs[k] >= 0 {
                    let t = g.tensors[Int(node.inputs[k])]
                    let q = t.fixedShape.map { $0.reduce(1, *) } ?? 0
                    let fresh = memo[node.inputs[k]] == nil
                    if fresh {
                        guard 4 * q <= 256 << 20, 10 * (chosen + q) <= limit else {
                            throw Skip(reason: "weight '\(t.name)' stays float32: its dequantized copy would exceed the runtime's load-time folding budget")
                        }
                    }
                    try weightOnly(&g, n, input: k, axis: 1, memo: &memo, &dequantizers, &r)
                    if fresh { chosen += q }
                }
            } catch let e as Skip {
                r.keptFloat.append("\(node.op.name) '\(node.name)' kept float32: \(e.reason)")
            } catch {}
        }
    }

    /// Weight-only int8 (ConvTranspose W; LSTM / GRU / RNN W and R): the float32 weight is quantized
    /// symmetric per index of `axis` and stored as int8 followed by a DequantizeLinear (105) that
    /// the runtime folds once when the model loads. The file carries a quarter of the bytes; the
    /// layer runs its float32 kernels as before (docs/QUANTIZATION.md: why, and what it costs).
    /// ConvTranspose W [C, M/group, k…]: axis 1, the output channel (groups share scales).
    /// Recurrent W [dirs, gates·H, I] / R [dirs, gates·H, H]: axis 1, one gate row (directions share scales).
    static func weightOnly(_ g: inout Graph, _ n: Int, input: Int, axis: Int, memo: inout [Int32: Int32],
                           _ dequantizers: inout [Node], _ r: inout Report) throws {
        let node = g.nodes[n]
        guard input < node.inputs.count else { return }
        let (w, ws) = try floatConstant(g, node.inputs[input], input == 1 ? "W" : "R")
        guard ws.count > axis, ws[axis] > 0, !w.isEmpty else { throw Skip(reason: "weight has shape \(describe(ws))") }
        let channels = ws[axis], inner = ws[(axis + 1)...].reduce(1, *)
        func channel(_ i: Int) -> Int { (i / inner) % channels }
        var m = [Float](repeating: 0, count: channels)
        for i in w.indices { m[channel(i)] = max(m[channel(i)], abs(w[i])) }
        let scales = m.map { $0 > 0 ? $0 / 127 : 1 }
        var q = [Int8](repeating: 0, count: w.count)
        var err = 0.0, norm = 0.0
        for i in w.indices {
            let s = scales[channel(i)]
            q[i] = Int8(min(max((w[i] / s).rounded(.toNearestOrEven), -127), 127))
            let d = Double(w[i]) - Double(Float(q[i]) * s)
            err += d * d
            norm += Double(w[i]) * Double(w[i])
        }
        let shared = memo[node.inputs[input]] != nil
        let out: Int32
        if let id = memo[node.inputs[input]] {
            out = id
        } else {
            let name = g.tensors[Int(node.inputs[input])].name
            let qid = store(&g, name: name, q: q, shape: ws, scales: scales, axis: axis)
            out = g.addTensor(Tensor(name: name + "/dequantized", dtype: .float32, shape: ws.map { .fixed($0) }))
            dequantizers.append(Node(name: name + "/dequantize", op: .dequantizeLinear, inputs: [qid], outputs: [out],
                                     attributes: ["scales": .floats(scales), "zero_points": .ints([Int64](repeating: 0, count: channels)),
                                                  "axis": .int(Int64(axis))]))
            memo[node.inputs[input]] = out
        }
        g.nodes[n].inputs[input] = out
        record(&r, node, node.op.name + (input == 2 ? " R" : ""), ws, scales, norm > 0 ? (err / norm).squareRoot() : 0, shared: shared)
    }
}

/// One quantized layer of `--weights int8`: what `--report` and `dlrt inspect` print. Stored in
/// the file's metadata (key `int8_report`, one tab-separated line per layer).
public struct Int8LayerReport: Sendable, Equatable {
    public var node: String
    public var op: String
    /// The float32 weight's shape ([K, N] for Gemm / MatMul after transB, W's for Conv).
    public var shape: [Int]
    public var scaleMin: Float, scaleMax: Float
    /// ‖W − dequantized(W)‖ / ‖W‖ (Frobenius).
    public var relativeError: Double
    /// Weight bytes as float32 and as int8 + scales (0 when the weight is shared with an earlier layer).
    public var bytesBefore: Int, bytesAfter: Int

    public static let metadataKey = "int8_report"

    static func encode(_ layers: [Int8LayerReport]) -> String {
        layers.map { l in
            [l.node.replacingTabs, l.op, l.shape.map(String.init).joined(separator: "x"), "\(l.scaleMin)", "\(l.scaleMax)",
             "\(l.relativeError)", "\(l.bytesBefore)", "\(l.bytesAfter)"].joined(separator: "\t")
        }.joined(separator: "\n")
    }

    /// Parses the metadata value; malformed lines are skipped (the metadata is informational).
    public static func decode(_ text: String) -> [Int8LayerReport] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 8, let smin = Float(f[3]), let smax = Float(f[4]), let err = Double(f[5]),
                  let before = Int(f[6]), let after = Int(f[7]) else { return nil }
            let shape = f[2].split(separator: "x").compactMap { Int($0) }
            return Int8LayerReport(node: f[0], op: f[1], shape: shape, scaleMin: smin, scaleMax: smax, relativeError: err,
                                   bytesBefore: before, bytesAfter: after)
        }
    }
}

extension String {
    fileprivate var replacingTabs: String { String(map { $0 == "\t" || $0 == "\n" ? " " : $0 }) }
}
