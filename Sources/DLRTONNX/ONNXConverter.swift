import DLRTModel
import Glibc

/// Options of the ONNX → dlrt conversion.
public struct ConvertOptions: Sendable {
    /// Element type of the written weights: float32, or float16 (large weights stored as float16
    /// and cast back to float32 once at load; see Passes/Float16Weights.swift).
    public var weights: DType = .float32
    /// int8 static mode (`--calibration`): given the lowered float32 graph, returns the observed
    /// range of its activation tensors by tensor id (the CLI runs the model on calibration
    /// samples). nil: dynamic mode.
    public var calibrate: (@Sendable (Graph) throws -> [Int32: ClosedRange<Float>])? = nil
    /// Extra metadata entries appended after the converter's own.
    public var metadata: [(String, String)] = []
    public init() {}
}

/// A converted model plus what the converter has to say about it.
public struct ConversionResult {
    public var graph: Graph
    public var warnings: [String]
    /// dlrt ops after simplification, most frequent first.
    public var opCounts: [(String, Int)]
    /// Nodes in the ONNX graph.
    public var sourceNodeCount: Int
    /// Elements in all constant tensors of the converted graph.
    public var parameterCount: Int
    /// Informational lines (e.g. the float16 weights' size before/after); not warnings.
    public var summary: [String] = []
    /// `--weights int8`: one entry per quantized layer (Passes/Int8Weights.swift).
    public var int8Layers: [Int8LayerReport] = []
}

/// Converts ONNX models (opset 6–21, default domain) into dlrt graphs. See docs/OPS.md for the
/// op forms produced.
public enum ONNXConverter {
    public static let version = "0.1.0"
    static let maxOpset = 21, minOpset = 6
    /// protobuf's own limit for one message.
    static let maxFileSize = Int(Int32.max)

    public static func convert(path: String, options: ConvertOptions = .init()) throws -> ConversionResult {
        let bytes = try readFile(path)
        return try bytes.withUnsafeBytes { try convert(bytes: $0, source: path, options: options) }
    }

    public static func convert(bytes: UnsafeRawBufferPointer, source: String,
                               options: ConvertOptions = .init()) throws -> ConversionResult {
        guard options.weights == .float32 || options.weights == .float16 || options.weights == .int8 else {
            throw ModelError(.unsupported, "\(options.weights) weights are not supported (use float32, float16 or int8)")
        }
        let model = try ProtoReader.parse(bytes, source: source)
        var g = model.graph
        let defaultOpset = model.opsets.last(where: { $0.domain.isEmpty || $0.domain == "ai.onnx" })?.version
        guard let opset = defaultOpset else {
            throw ModelError(.invalidModel, "\(source): the model imports no default-domain (ai.onnx) opset")
        }
        guard opset >= Int64(minOpset) else {
            throw ModelError(.unsupported, "\(source): ONNX opset \(opset) is not supported (dlrt converts opset \(minOpset)–\(maxOpset))")
        }
        if opset > Int64(maxOpset) {
            g.warnings.append("ONNX opset \(opset) is newer than \(maxOpset), the newest the converter knows; ops are read with opset \(maxOpset) semantics")
        }
        g.opset = Int(min(opset, Int64(maxOpset)))
        let sourceNodes = g.nodes.count

        do {
            // Quantized ONNX (QDQ pairs, QLinearConv / QLinearMatMul): its own activation ranges
            // make the conversion int8 static unless float16 weights were asked for.
            let presets = try IntegerImport.run(&g)
            let qdqRanges = try QDQImport.run(&g)
            var options = options
            if (!qdqRanges.isEmpty || !presets.isEmpty) && options.weights == .float32 { options.weights = .int8 }
            for k in g.nodes.indices {
                if let def = OpTable.lookup(g.nodes[k]), let norm = def.normalize { try norm(&g.nodes[k], g.opset) }
            }
            try simplify(&g)
            var graph = try Lowering.run(&g)
            var summary: [String] = []
            if options.weights == .float16 {
                let report = Float16Weights.apply(&graph)
                g.warnings += report.warnings
                summary.append(report.summary)
            }
            var int8Layers: [Int8LayerReport] = []
            if options.weights == .int8 {
                var ranges = try options.calibrate?(graph)
                if ranges == nil && !qdqRanges.isEmpty {
                    var byID: [Int32: ClosedRange<Float>] = [:]
                    for (id, t) in graph.tensors.enumerated() { if let r = qdqRanges[t.name] { byID[Int32(id)] = r } }
                    ranges = byID
                    summary.append("quantized ONNX: \(qdqRanges.count) activation ranges taken from its QuantizeLinear / DequantizeLinear parameters")
                }
                let report = Int8Weights.apply(&graph, ranges: ranges, presets: presets)
                RecurrentInt8Marking.run(&graph)
                int8Layers = report.layers
                if report.layers.isEmpty { g.warnings.append("--weights int8: no Gemm / MatMul / Conv weight could be quantized; the model stays float32") }
                g.warnings += report.keptFloat
                summary.append(report.summary)
            }
            TransformerFusion.apply(&graph)  // tfm: MatMul + bias row (Passes/TransformerFusion.swift)
            try validate(graph)
            var out = graph
            out.metadata = metadata(model, opset: opset, bytes: bytes, options: options, quantizedInput: !qdqRanges.isEmpty)
            if !int8Layers.isEmpty { out.metadata.append((Int8LayerReport.metadataKey, Int8LayerReport.encode(int8Layers))) }
            return ConversionResult(graph: out, warnings: g.warnings, opCounts: opCounts(out),
                                    sourceNodeCount: sourceNodes, parameterCount: parameterCount(out), summary: summary,
                                    int8Layers: int8Layers)
        } catch let e as ModelError {
            throw ModelError(e.kind, "\(source): \(e.message)")
        }
    }

    /// The pass pipeline: fold / canonicalise / drop Identity / DCE to a fixed point, then fold
    /// BatchNormalization, fuse activations and clean up again.
    static func simplify(_ g: inout WGraph) throws {
        var rounds = 0
        while true {
            var changed = try Folder.run(&g)
            changed = try Simplify.canonicalize(&g) || changed
            changed = Simplify.removeIdentities(&g) || changed
            changed = Simplify.deadCode(&g) || changed
            rounds += 1
            if !changed { break }
            if rounds > 100 { g.warnings.append("simplification did not converge after 100 rounds"); break }
        }
        try Folder.run(&g)
        Fusion.foldBatchNorm(&g)
        try Folder.run(&g)
        Fusion.fuseActivations(&g)
        Simplify.deadCode(&g)
        try Folder.run(&g)
    }

    static func validate(_ g: Graph) throws {
        try GraphValidator.validate(g)
    }

    static func metadata(_ m: OModel, opset: Int64, bytes: UnsafeRawBufferPointer, options: ConvertOptions,
                         quantizedInput: Bool = false) -> [(key: String, value: String)] {
        var md: [(key: String, value: String)] = []
        let from = [m.producerName, m.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
        md.append(("producer", "dlrt-convert \(version) from \(from.isEmpty ? "unknown producer" : from)"))
        md.append(("source_sha256", SHA256.hex(bytes)))
        md.append(("onnx_opset", String(opset)))
        if let ir = m.irVersion { md.append(("ir_version", String(ir))) }
        if !m.docString.isEmpty { md.append(("doc_string", m.docString)) }
        if options.weights != .float32 { md.append(("weights", options.weights.description)) }
        if options.weights == .int8 { md.append(("activations", options.calibrate == nil && !quantizedInput ? "dynamic" : "static")) }
        for (k, v) in m.metadata where !md.contains(where: { $0.key == k }) { md.append((k, v)) }
        for (k, v) in options.metadata {
            if let i = md.firstIndex(where: { $0.key == k }) { md[i].value = v } else { md.append((k, v)) }
        }
        return md
    }

    static func opCounts(_ g: Graph) -> [(String, Int)] {
        var c: [String: Int] = [:]
        for n in g.nodes { c[n.op.name, default: 0] += 1 }
        return c.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    static func parameterCount(_ g: Graph) -> Int {
        g.tensors.reduce(0) { $0 + ($1.data != nil ? ($1.fixedShape.flatMap { checkedElementCount($0) } ?? 0) : 0) }
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ModelError(.io, "\(path): cannot open (\(String(cString: strerror(errno))))")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ModelError(.io, "\(path): cannot stat (\(String(cString: strerror(errno))))") }
        guard (st.st_mode & S_IFMT) == S_IFREG else { throw ModelError(.io, "\(path): not a regular file") }
        let size = Int(st.st_size)
        guard size <= maxFileSize else { throw ModelError(.unsupported, "\(path): \(size) bytes exceed protobuf's 2 GiB limit") }
        var buf = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let r = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, size - done) }
            if r < 0 {
                if errno == EINTR { continue }
                throw ModelError(.io, "\(path): read failed (\(String(cString: strerror(errno))))")
            }
            if r == 0 { break }
            done += r
        }
        guard done == size else { throw ModelError(.io, "\(path): file shrank while reading") }
        return buf
    }
}
