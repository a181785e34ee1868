import DLRTModel

/// How the converter handles one ONNX op type. Each `Ops/<Group>.swift` file contributes the
/// definitions of its ops; `OpTable.lookup` finds them by ONNX op type (default domain only).
struct OpDef {
    /// ONNX op type.
    var name: String
    /// The dlrt op it lowers to; nil for ops that must disappear by folding / simplification.
    var code: OpCode?
    /// Opset-specific normalisation at import: rewrites attributes to one canonical form.
    var normalize: ((inout WNode, Int) throws -> Void)? = nil
    /// Types and shapes of the outputs (one entry per output).
    var infer: (WNode, WGraph) throws -> [ValueInfo]
    /// Evaluates the node when every present input is constant; nil when it cannot.
    var fold: ((WNode, [ConstTensor?]) throws -> [ConstTensor]?)? = nil
    /// Final dlrt attributes; throws for unsupported attribute values.
    var lower: ((WNode, WGraph) throws -> [String: AttributeValue])? = nil
    /// For ops without a code that are rewritten into other dlrt ops (not folded): what they
    /// become, as docs/SUPPORTED_OPS.md shows it.
    var rewrittenAs: String? = nil
}

enum OpTable {
    static let all: [String: OpDef] = {
        var t: [String: OpDef] = [:]
        for d in denseOps + convOps + poolOps + normalizationOps + activationOps + binaryOps + layoutOps + reshapeOps
            + shapeOps + constantOps + headOps + visionOps + recurrentOps + quantizedOps + integerOps + integerRuntimeOps
            + transformerOps {  // transformerOps last: it adds lowering to folded ops
            t[d.name] = d
        }
        return t
    }()

    static func lookup(_ node: WNode) -> OpDef? {
        guard node.domain.isEmpty || node.domain == "ai.onnx" else { return nil }
        return all[node.op]
    }

    static var supportedList: String { OpCode.allCases.map(\.name).joined(separator: ", ") }

    static func unsupportedOp(_ node: WNode) -> ModelError {
        let dom = node.domain.isEmpty || node.domain == "ai.onnx" ? "" : " in domain '\(node.domain)'"
        var why = ""
        if dom.isEmpty, let def = all[node.op], def.code == nil {
            let open = node.inputs.filter { !$0.isEmpty }
            why = "; \(node.op) is only accepted when the converter can compute it ahead of time"
                + (open.isEmpty ? "" : " (its inputs \(open.map { "'\($0)'" }.joined(separator: ", ")) must be constants or shapes known at conversion)")
        }
        return ModelError(.unsupported, "\(node.label)\(dom): op not supported by dlrt (supported: \(supportedList))\(why)")
    }
}

// MARK: - Shared helpers for the op definitions

extension WGraph {
    /// A dimension nothing is known about, named after the tensor and axis.
    func unknownDim(_ tensor: String, _ axis: Int) -> Dim { .symbolic("\(tensor)_d\(axis)") }

    func rank(_ name: String) -> Int? { shapeOf(name)?.count }

    /// A small int tensor's elements as dims: a constant, or a tracked shape value.
    func shapeValue(_ name: String) -> [Dim?]? {
        if let c = constants[name] {
            guard !c.type.isFloat, c.rank <= 1, c.count <= 64 else { return nil }
            return c.i.map { Int(exactly: $0).map { .fixed($0) } }
        }
        return info[name]?.shapeValue
    }

    func constInts(_ name: String) -> [Int64]? {
        guard let c = constants[name], !c.type.isFloat else { return nil }
        return c.i
    }
}

func normalizeAxis(_ a: Int64, rank: Int, _ node: WNode, _ attr: String = "axis") throws -> Int {
    let r = Int64(rank)
    guard a >= -r, a < r else { throw node.invalid("attribute '\(attr)' = \(a) is out of range for rank \(rank)") }
    return Int(a < 0 ? a + r : a)
}

/// numpy broadcasting of two declared shapes.
func broadcastShapes(_ a: [Dim], _ b: [Dim], out: String, g: WGraph) -> [Dim] {
    let r = max(a.count, b.count)
    var res: [Dim] = []
    for k in 0 ..< r {
        let da = k - (r - a.count) >= 0 ? a[k - (r - a.count)] : .fixed(1)
        let db = k - (r - b.count) >= 0 ? b[k - (r - b.count)] : .fixed(1)
        if da == db { res.append(da) }
        else if da == .fixed(1) { res.append(db) }
        else if db == .fixed(1) { res.append(da) }
        else if case .fixed = da { res.append(da) }
        else if case .fixed = db { res.append(db) }
        else { res.append(g.unknownDim(out, k)) }
    }
    return res
}

func broadcastShapes(_ a: [Int], _ b: [Int]) -> [Int]? {
    let r = max(a.count, b.count)
    var res: [Int] = []
    for k in 0 ..< r {
        let da = k - (r - a.count) >= 0 ? a[k - (r - a.count)] : 1
        let db = k - (r - b.count) >= 0 ? b[k - (r - b.count)] : 1
        if da == db || db == 1 { res.append(da) } else if da == 1 { res.append(db) } else { return nil }
    }
    return res
}

/// For each flat index of `out`, the flat index of a broadcast operand of shape `shape`.
func broadcastIndices(from shape: [Int], to out: [Int]) -> [Int] {
    let n = dimProduct(out)
    let r = out.count
    let padded = [Int](repeating: 1, count: r - shape.count) + shape
    var strides = [Int](repeating: 0, count: r)
    var s = 1
    for k in stride(from: r - 1, through: 0, by: -1) {
        strides[k] = padded[k] == 1 ? 0 : s
        s = satMul(s, padded[k])
    }
    var idx = [Int](repeating: 0, count: n)
    var coord = [Int](repeating: 0, count: r)
    var src = 0
    for f in 0 ..< n {
        idx[f] = src
        var k = r - 1
        while k >= 0 {
            coord[k] += 1
            src += strides[k]
            if coord[k] < out[k] { break }
            src -= strides[k] * coord[k]
            coord[k] = 0
            k -= 1
        }
    }
    return idx
}

/// Product of sizes, saturating at Int.max instead of trapping (zero-size tensors may carry
/// huge other dims); limits checked afterwards then reject the result.
func dimProduct<S: Sequence>(_ s: S) -> Int where S.Element == Int {
    var p = 1
    for v in s { p = satMul(p, v) }
    return p
}
func satMul(_ a: Int, _ b: Int) -> Int { let (r, o) = a.multipliedReportingOverflow(by: b); return o ? .max : r }
func satAdd(_ a: Int, _ b: Int) -> Int { let (r, o) = a.addingReportingOverflow(b); return o ? .max : r }

func fixedDims(_ s: [Dim]?) -> [Int]? {
    guard let s else { return nil }
    var out: [Int] = []
    for d in s { guard let v = d.fixedValue else { return nil }; out.append(v) }
    return out
}

/// Converts an attribute to dlrt form (tensor / string-list attributes are not representable).
func lowerAttr(_ a: OAttr, _ key: String, _ node: WNode) throws -> AttributeValue {
    switch a {
    case .int(let v): return .int(v)
    case .float(let v): return .float(v)
    case .ints(let v): return .ints(v)
    case .floats(let v): return .floats(v)
    case .string(let v): return .string(v)
    default: throw node.unsupported("attribute '\(key)' = \(a.describe) is not supported")
    }
}

/// Attributes Conv / Gemm / MatMul carry once an activation was fused into them.
func fusedActivationAttrs(_ node: WNode) -> [String: AttributeValue] {
    var out: [String: AttributeValue] = [:]
    guard let act = node.int("activation"), act != 0 else { return out }
    out["activation"] = .int(act)
    for k in ["activation_alpha", "activation_min", "activation_max"] {
        if let v = node.float(k) { out[k] = .float(v) }
    }
    return out
}

/// Rejects attributes a node carries that dlrt does not know, unless they hold their default.
func checkKnownAttrs(_ node: WNode, _ known: Set<String>) throws {
    for (k, v) in node.attrs where !known.contains(k) {
        throw node.unsupported("attribute '\(k)' = \(v.describe) is not supported")
    }
}

/// Output `ValueInfo` with the same type and shape as input `k`.
func sameAs(_ node: WNode, _ g: WGraph, _ k: Int = 0) -> ValueInfo {
    ValueInfo(type: g.typeOf(node.input(k)), shape: g.shapeOf(node.input(k)))
}

extension ONNXConverter {
    /// Every ONNX op type (default domain) the converter accepts, sorted, with the dlrt op it
    /// lowers to — nil for ops accepted only when they fold away (Shape, Gather, Constant, …).
    public static var supportedONNXOps: [(onnx: String, dlrt: OpCode?)] {
        OpTable.all.values.map { ($0.name, $0.code) }.sorted { $0.onnx < $1.onnx }
    }

    /// What each accepted ONNX op becomes: its dlrt op, the ops it is rewritten into, or nil
    /// when it is only accepted if it folds away.
    public static var supportedONNXOpTargets: [(onnx: String, becomes: String?)] {
        OpTable.all.values.map { ($0.name, $0.code?.name ?? $0.rewrittenAs) }.sorted { $0.onnx < $1.onnx }
    }
}
