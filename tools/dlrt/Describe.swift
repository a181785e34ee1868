// Machine-readable and drawable descriptions of a model: `inspect --json`, `inspect --graph`,
// and the supported-ops table (`dlrt ops`), generated from the converter's and runtime's registries.
import DLRTModel
import DLRTONNX
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

/// A JSON string literal for `s`.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if u.value < 0x20 {
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            } else {
                out.unicodeScalars.append(u)
            }
        }
    }
    return out + "\""
}

func jsonShape(_ dims: [Dim]) -> String {
    "[" + dims.map { d -> String in
        switch d {
        case .fixed(let v): return String(v)
        case .symbolic(let s): return jsonString(s)
        }
    }.joined(separator: ", ") + "]"
}

/// A JSON value for an attribute (non-finite floats become the strings "inf", "-inf", "nan").
func attributeJSON(_ value: AttributeValue) -> String {
    func number(_ f: Float) -> String { f.isFinite ? String(f) : jsonString(f.isNaN ? "nan" : (f > 0 ? "inf" : "-inf")) }
    switch value {
    case .int(let v): return String(v)
    case .float(let v): return number(v)
    case .ints(let v): return "[" + v.map(String.init).joined(separator: ", ") + "]"
    case .floats(let v): return "[" + v.map(number).joined(separator: ", ") + "]"
    case .string(let v): return jsonString(v)
    }
}

/// The model as one JSON object: format version, size, metadata, inputs, outputs, op counts,
/// nodes and constants.
func modelJSON(path: String, graph: Graph, fileSize: Int, major: Int, minor: Int) -> String {
    func tensorJSON(_ id: Int32) -> String {
        let t = graph.tensors[Int(id)]
        return "{\"name\": \(jsonString(t.name)), \"dtype\": \(jsonString(t.dtype.description)), \"shape\": \(jsonShape(t.shape))}"
    }
    var counts: [(String, Int)] = []
    for n in graph.nodes {
        if let k = counts.firstIndex(where: { $0.0 == n.op.name }) { counts[k].1 += 1 } else { counts.append((n.op.name, 1)) }
    }
    let metadata = graph.metadata.map { "\(jsonString($0.key)): \(jsonString($0.value))" }.joined(separator: ", ")
    let nodes = graph.nodes.map { n -> String in
        let ins = n.inputs.map { $0 < 0 ? "null" : jsonString(graph.tensors[Int($0)].name) }.joined(separator: ", ")
        let outs = n.outputs.map { jsonString(graph.tensors[Int($0)].name) }.joined(separator: ", ")
        let attrs = n.attributes.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)): \(attributeJSON($0.value))" }.joined(separator: ", ")
        return "    {\"name\": \(jsonString(n.name)), \"op\": \(jsonString(n.op.name)), \"inputs\": [\(ins)], \"outputs\": [\(outs)], \"attributes\": {\(attrs)}}"
    }
    let constants = graph.tensors.filter(\.isConstant).map { t in
        "    {\"name\": \(jsonString(t.name)), \"dtype\": \(jsonString(t.dtype.description)), \"shape\": \(jsonShape(t.shape)), \"bytes\": \(t.data?.byteCount ?? 0)}"
    }
    return """
    {
      "file": \(jsonString(path)),
      "bytes": \(fileSize),
      "format_version": "\(major).\(minor)",
      "metadata": {\(metadata)},
      "inputs": [\(graph.inputs.map(tensorJSON).joined(separator: ", "))],
      "outputs": [\(graph.outputs.map(tensorJSON).joined(separator: ", "))],
      "op_counts": {\(counts.map { "\(jsonString($0.0)): \($0.1)" }.joined(separator: ", "))},
      "nodes": [
    \(nodes.joined(separator: ",\n"))
      ],
      "constants": [
    \(constants.joined(separator: ",\n"))
      ]
    }
    """
}

/// The graph in Graphviz DOT: one box per node, one ellipse per graph input/output, edges
/// labelled with the tensor's dtype and declared shape.
func modelDOT(graph: Graph) -> String {
    func dotString(_ s: String) -> String { jsonString(s) }
    var producer: [Int32: String] = [:]
    var lines = ["digraph dlrt {", "  rankdir=TB;", "  node [fontname=\"Helvetica\", fontsize=10];"]
    for id in graph.inputs {
        let t = graph.tensors[Int(id)]
        lines.append("  \(dotString("in:" + t.name)) [shape=ellipse, style=filled, fillcolor=\"#dbeafe\", label=\(dotString(t.name + "\n" + t.dtype.description + describe(t.shape)))];")
        producer[id] = "in:" + t.name
    }
    for (k, n) in graph.nodes.enumerated() {
        let id = "n\(k)"
        var label = n.op.name + (n.name.isEmpty ? "" : "\n" + n.name)
        if let act = n.attributes["activation"], case .int(let a) = act, a != 0,
           let fused = FusedActivation(rawValue: a) { label += "\n+ \(fused)" }
        lines.append("  \(id) [shape=box, style=\"rounded,filled\", fillcolor=\"#f3f4f6\", label=\(dotString(label))];")
        for out in n.outputs { producer[out] = id }
        for input in n.inputs where input >= 0 {
            let t = graph.tensors[Int(input)]
            if t.isConstant { continue }
            if let from = producer[input] {
                lines.append("  \(dotString(from)) -> \(id) [label=\(dotString(t.dtype.description + describe(t.shape))), fontsize=8];")
            }
        }
    }
    for id in graph.outputs {
        let t = graph.tensors[Int(id)]
        lines.append("  \(dotString("out:" + t.name)) [shape=ellipse, style=filled, fillcolor=\"#dcfce7\", label=\(dotString(t.name + "\n" + t.dtype.description + describe(t.shape)))];")
        if let from = producer[id] { lines.append("  \(dotString(from)) -> \(dotString("out:" + t.name));") }
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
}

/// Writes the DOT graph to `path`; for `.svg`/`.png` it runs Graphviz's `dot` when installed.
func writeGraph(_ dot: String, to path: String) throws {
    let lower = path.lowercased()
    if lower.hasSuffix(".dot") || lower.hasSuffix(".gv") {
        try writeFileAtomically(path, Array(dot.utf8))
        return
    }
    guard let format = [".svg": "svg", ".png": "png", ".pdf": "pdf"].first(where: { lower.hasSuffix($0.key) })?.value else {
        throw ToolError("--graph: unknown file type for '\(path)' (use .dot, .svg, .png or .pdf)")
    }
    let temp = "\(path).tmp-\(getpid()).dot"
    try writeFileAtomically(temp, Array(dot.utf8))
    defer { unlink(temp) }
    let status = system("dot -T\(format) '\(temp)' -o '\(path)' 2>/dev/null")
    guard status == 0 else {
        throw ToolError("--graph \(path): Graphviz 'dot' failed or is not installed (apt-get install graphviz), or write a .dot file instead")
    }
}

/// The supported-ops table in Markdown, from the converter's and the runtime's registries.
func supportedOpsMarkdown() -> String {
    let runtime = CompiledModel.supportedOps
    var lines = [
        "# Supported operators",
        "",
        "Generated by `dlrt ops --markdown` from the converter's import table and the runtime's",
        "operator registry; `make test` checks this file is current. Semantics: [OPS.md](OPS.md).",
        "",
        "## Runtime ops (\(runtime.count))",
        "",
        "| code | op |",
        "|---|---|",
    ]
    lines += runtime.map { "| \($0.rawValue) | \($0.name) |" }
    let onnx = ONNXConverter.supportedONNXOpTargets
    lines += [
        "",
        "## ONNX ops the converter accepts (\(onnx.count))",
        "",
        "Ops marked *folded* are accepted when the converter can compute them ahead of time",
        "(constant inputs, or shapes known at conversion, including symbolic batch dims); a list",
        "of ops means the converter rewrites the op into those.",
        "",
        "| ONNX op | becomes |",
        "|---|---|",
    ]
    lines += onnx.map { "| \($0.onnx) | \($0.becomes ?? "*folded*") |" }
    return lines.joined(separator: "\n") + "\n"
}
