// dlrt — command-line tool: convert | inspect | run | bench
import DLRTKernels
import DLRTModel
import DLRTONNX
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

let usage = """
usage: dlrt <command> [options]

  convert MODEL.onnx -o MODEL.dlrt [--weights float32|float16|int8] [--meta KEY=VALUE]...
          [--calibration SAMPLES.npz [--calibration-method minmax|percentile] [--percentile 99.99]] [--report]
      Convert an ONNX model (default-domain opset 6–21). Fails with a message naming the node, op and
      attribute on anything unsupported, and never leaves a partial output file.
  inspect MODEL.dlrt [--json] [--graph FILE.dot|.svg|.png]
      Header, version, metadata, inputs/outputs, op counts and every constant tensor;
      --json prints it for scripts; --graph draws the graph (svg/png need Graphviz's dot).
  run MODEL.dlrt [--input NAME=FILE.npy]... [FILE.npy] [-o OUT.npz] [--threads N]
      Run once on .npy inputs; print the outputs or write them to an .npz.
  bench MODEL.dlrt [--threads N] [--runs N] [--warmup N] [--dim NAME=SIZE]...
        [--idle spin-then-sleep|spin|sleep] [--spin-us N] [--worker-cpus 1,3]
      Latency on random inputs: median, p99, min, mean.
  ops [--markdown]
      The ops the converter accepts and the runtime implements.
  bench-gemm [--isa avx512|avx2|baseline] [--threads N] [--seconds S] [--shape MxNxK]
      SGEMM GFLOP/s per kernel table (ISA) for square, conv and transformer shapes, against the
      peak of a measured multiply-add loop.
  version
      Library and format versions, and the kernel ISA in use (DLRT_ISA=avx512|avx2|baseline lowers it).
"""

/// Splits `args` into positionals and `--flag value` / `-o value` options (repeatable).
struct Arguments {
    var positional: [String] = []
    var options: [String: [String]] = [:]
    var flags: Set<String> = []

    init(_ args: ArraySlice<String>, valued: Set<String>, flags known: Set<String> = []) throws {
        var i = args.startIndex
        while i < args.endIndex {
            let a = args[i]
            if a.hasPrefix("-") && a.count > 1 {
                if let eq = a.firstIndex(of: "="), valued.contains(String(a[..<eq])) {
                    options[String(a[..<eq]), default: []].append(String(a[a.index(after: eq)...]))
                } else if known.contains(a) {
                    flags.insert(a)
                } else if valued.contains(a) {
                    guard i + 1 < args.endIndex else { throw ToolError("option \(a) needs a value") }
                    options[a, default: []].append(args[i + 1])
                    i += 1
                } else {
                    throw ToolError("unknown option \(a)\n\n\(usage)")
                }
            } else {
                positional.append(a)
            }
            i += 1
        }
    }

    func last(_ key: String) -> String? { options[key]?.last }

    func int(_ key: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = last(key) else { return value }
        guard let v = Int(text), range.contains(v) else {
            throw ToolError("\(key) must be an integer in \(range.lowerBound)…\(range.upperBound), got '\(text)'")
        }
        return v
    }
}

func commandConvert(_ args: ArraySlice<String>) throws {
    let a = try Arguments(args, valued: ["-o", "--output", "--weights", "--meta", "--calibration", "--calibration-method", "--percentile"],
                          flags: ["--report"])
    guard a.positional.count == 1 else { throw ToolError("convert needs exactly one input .onnx file\n\n\(usage)") }
    guard let output = a.last("-o") ?? a.last("--output") else { throw ToolError("convert needs -o OUTPUT.dlrt") }
    var options = ConvertOptions()
    if let w = a.last("--weights") {
        guard ["float32", "float16", "int8"].contains(w), let dtype = DType.allCases.first(where: { $0.description == w }) else {
            throw ToolError("--weights must be float32, float16 or int8, got '\(w)'")
        }
        options.weights = dtype
    }
    try calibrationOptions(a, &options)  // Calibration.swift
    for entry in a.options["--meta"] ?? [] {
        guard let eq = entry.firstIndex(of: "=") else { throw ToolError("--meta expects KEY=VALUE, got '\(entry)'") }
        options.metadata.append((String(entry[..<eq]), String(entry[entry.index(after: eq)...])))
    }
    let start = nowNanoseconds()
    let inputBytes = fileSize(a.positional[0])
    let showProgress = inputBytes >= 8 << 20
    func progress(_ stage: String) {
        if showProgress {
            fputs("dlrt: \(stage) (\(formatFixed(Double(nowNanoseconds() - start) / 1e6, 0)) ms)\n", stderr)
        }
    }
    progress("converting \(a.positional[0]), \(formatFixed(Double(inputBytes) / 1_048_576, 1)) MB")
    let result = try ONNXConverter.convert(path: a.positional[0], options: options)
    progress("converted \(result.graph.nodes.count) nodes, writing \(output)")
    let bytes = try ModelWriter.serialize(result.graph)
    try bytes.withUnsafeBytes { try ModelWriter.writeFile($0, to: output) }
    let ms = Double(nowNanoseconds() - start) / 1e6
    for w in result.warnings { print("warning: \(w)") }
    for line in result.summary { print(line) }
    let ops = result.opCounts.map { "\($0.0)×\($0.1)" }.joined(separator: " ")
    let inSize = inputBytes
    let outSize = bytes.count
    print("converted \(a.positional[0]) → \(output) in \(formatFixed(ms, 1)) ms")
    print("  nodes: \(result.sourceNodeCount) ONNX → \(result.graph.nodes.count) dlrt (\(ops))")
    print("  parameters: \(result.parameterCount), size: \(inSize) → \(outSize) bytes")
    if a.flags.contains("--report") { for line in int8ReportLines(result.int8Layers) { print(line) } }
}

func commandInspect(_ args: ArraySlice<String>) throws {
    let a = try Arguments(args, valued: ["--graph"], flags: ["--json"])
    guard a.positional.count == 1 else { throw ToolError("inspect needs exactly one .dlrt file") }
    let path = a.positional[0]
    let graph = try ModelReader.load(path: path)
    let raw = try readFile(path)
    let major = Int(raw[8]) | Int(raw[9]) << 8, minor = Int(raw[10]) | Int(raw[11]) << 8
    if let graphPath = a.last("--graph") {
        try writeGraph(modelDOT(graph: graph), to: graphPath)
        if !a.flags.contains("--json") { print("wrote the graph of \(path) to \(graphPath)") }
    }
    if a.flags.contains("--json") {
        print(modelJSON(path: path, graph: graph, fileSize: raw.count, major: major, minor: minor))
        return
    }
    if a.last("--graph") != nil { return }
    print("file: \(path) (\(raw.count) bytes), format \(major).\(minor)")
    print("metadata:")
    for (k, v) in graph.metadata where k != Int8LayerReport.metadataKey { print("  \(k): \(v)") }
    print("inputs:")
    for id in graph.inputs { let t = graph.tensors[Int(id)]; print("  \(t.name): \(t.dtype) \(describe(t.shape))") }
    print("outputs:")
    for id in graph.outputs { let t = graph.tensors[Int(id)]; print("  \(t.name): \(t.dtype) \(describe(t.shape))") }
    var counts: [(OpCode, Int)] = []
    for n in graph.nodes {
        if let k = counts.firstIndex(where: { $0.0 == n.op }) { counts[k].1 += 1 } else { counts.append((n.op, 1)) }
    }
    print("ops (\(graph.nodes.count) nodes): " + counts.map { "\($0.0.name)×\($0.1)" }.joined(separator: " "))
    let constants = graph.tensors.filter(\.isConstant)
    let bytes = constants.reduce(0) { $0 + ($1.data?.byteCount ?? 0) }
    print("constants (\(constants.count) tensors, \(bytes) bytes):")
    for t in constants {
        let q = t.quantization.map { " quantized axis=\($0.axis.map(String.init) ?? "none") scales=\($0.scales.count)" } ?? ""
        print("  \(t.name): \(t.dtype) \(describe(t.shape)) \(t.data?.byteCount ?? 0) bytes\(q)")
    }
    for line in int8ReportLines(Int8LayerReport.decode(graph.metadataValue(Int8LayerReport.metadataKey) ?? "")) { print(line) }
}

func commandRun(_ args: ArraySlice<String>) throws {
    let a = try Arguments(args, valued: ["--input", "-o", "--output", "--threads"])
    guard let path = a.positional.first else { throw ToolError("run needs a .dlrt file") }
    let model = try CompiledModel(path: path)
    var options = Context.Options()
    options.threadCount = try a.int("--threads", default: 1, range: 1 ... 256)
    let context = try Context(model: model, options: options)
    var arrays: [String: NpyArray] = [:]
    for spec in a.options["--input"] ?? [] {
        guard let eq = spec.firstIndex(of: "=") else { throw ToolError("--input expects NAME=FILE.npy, got '\(spec)'") }
        arrays[String(spec[..<eq])] = try Npy.read(path: String(spec[spec.index(after: eq)...]))
    }
    let loose = Array(a.positional.dropFirst())
    let unnamed = model.inputs.map(\.name).filter { arrays[$0] == nil }
    guard loose.count <= unnamed.count else { throw ToolError("\(loose.count) unnamed input files but only \(unnamed.count) inputs left to bind") }
    for (name, file) in zip(unnamed, loose) { arrays[name] = try Npy.read(path: file) }
    for name in arrays.keys where !model.inputs.contains(where: { $0.name == name }) {
        throw ToolError("the model has no input '\(name)' (inputs: \(model.inputs.map(\.name).joined(separator: ", ")))")
    }
    for (k, input) in model.inputs.enumerated() {
        guard let array = arrays[input.name] else { throw ToolError("missing input '\(input.name)' \(input.dtype) \(describe(input.shape)): pass --input \(input.name)=FILE.npy") }
        let shape = array.shape.map(Int64.init)
        try shape.withUnsafeBufferPointer { s in
            try array.bytes.withUnsafeBytes { b in
                try context.setInput(k, dtype: array.dtype, shape: s, data: b.baseAddress, byteCount: b.count)
            }
        }
    }
    // Inputs stay alive in `arrays` through the run.
    try withExtendedLifetime(arrays) { try context.run() }
    var results: [(String, NpyArray)] = []
    for (k, output) in model.outputs.enumerated() {
        let r = try context.output(k)
        let bytes = r.byteCount == 0 ? [] : Array(UnsafeRawBufferPointer(start: r.data, count: r.byteCount))
        results.append((output.name, NpyArray(dtype: r.type.dtype, shape: r.type.shape, bytes: bytes)))
    }
    if let out = a.last("-o") ?? a.last("--output") {
        try Npy.writeNpz(path: out, arrays: results)
        print("wrote \(results.count) outputs to \(out)")
    } else {
        for (name, array) in results { print("\(name): \(array.dtype) \(describe(array.shape)) \(preview(array))") }
    }
}

func commandBench(_ args: ArraySlice<String>) throws {
    let a = try Arguments(args, valued: ["--threads", "--runs", "--warmup", "--dim", "--idle", "--spin-us", "--worker-cpus"])
    guard a.positional.count == 1 else { throw ToolError("bench needs exactly one .dlrt file") }
    let loadStart = nowNanoseconds()
    let model = try CompiledModel(path: a.positional[0])
    var options = Context.Options()
    options.threadCount = try a.int("--threads", default: 1, range: 1 ... 256)
    let idleNames: [String: Workers.Idle] = ["spin-then-sleep": .spinThenSleep, "spin": .spin, "sleep": .sleep]
    if let name = a.last("--idle") {
        guard let idle = idleNames[name] else { throw ToolError("--idle expects spin-then-sleep, spin or sleep, got '\(name)'") }
        options.idle = idle
    }
    options.spinMicroseconds = try a.int("--spin-us", default: 0, range: 0 ... 1_000_000)
    if let list = a.last("--worker-cpus") {
        options.workerCPUs = try list.split(separator: ",").map { item in
            guard let cpu = UInt32(item) else { throw ToolError("--worker-cpus expects CPU numbers like 1,3, got '\(list)'") }
            return cpu
        }
    }
    let runs = try a.int("--runs", default: 200, range: 1 ... 10_000_000)
    let warmup = try a.int("--warmup", default: 10, range: 0 ... 1_000_000)
    var dims: [String: Int] = [:]
    for spec in a.options["--dim"] ?? [] {
        guard let eq = spec.firstIndex(of: "="), let v = Int(spec[spec.index(after: eq)...]), v > 0 else {
            throw ToolError("--dim expects NAME=SIZE, got '\(spec)'")
        }
        dims[String(spec[..<eq])] = v
    }
    let context = try Context(model: model, options: options)
    var buffers: [[UInt8]] = []
    for input in model.inputs {
        let shape = input.shape.map { dim -> Int in
            switch dim { case .fixed(let v): return v; case .symbolic(let s): return dims[s] ?? 1 }
        }
        let count = checkedElementCount(shape) ?? 0
        var bytes = [UInt8](repeating: 0, count: count * input.dtype.byteSize)
        if input.dtype == .float32 {
            bytes.withUnsafeMutableBytes { b in
                let f = b.bindMemory(to: Float.self)
                var seed: UInt32 = 12345
                for i in 0 ..< f.count { seed = seed &* 1_664_525 &+ 1_013_904_223; f[i] = Float(seed >> 8) / Float(1 << 24) - 0.5 }
            }
        }
        buffers.append(bytes)
    }
    try buffers.withUnsafeBufferPointers { pointers in
        for (k, input) in model.inputs.enumerated() {
            let shape = input.shape.map { dim -> Int64 in
                switch dim { case .fixed(let v): return Int64(v); case .symbolic(let s): return Int64(dims[s] ?? 1) }
            }
            try shape.withUnsafeBufferPointer { try context.setInput(k, dtype: input.dtype, shape: $0, data: pointers[k].baseAddress, byteCount: pointers[k].count) }
        }
        try context.run()
        let firstResult = Double(nowNanoseconds() - loadStart) / 1e6
        for _ in 0 ..< warmup { try context.run() }
        var times: [Double] = []
        times.reserveCapacity(runs)
        for _ in 0 ..< runs {
            let t0 = nowNanoseconds()
            try context.run()
            times.append(Double(nowNanoseconds() - t0) / 1e3)
        }
        times.sort()
        let median = times[times.count / 2]
        let p99 = times[Swift.min(times.count - 1, Int(Double(times.count) * 0.99))]
        let mean = times.reduce(0, +) / Double(times.count)
        print("\(a.positional[0]): threads=\(options.threadCount) runs=\(runs) arena=\(context.arenaByteCount) bytes")
        print("  load→first result: \(formatFixed(firstResult, 2)) ms")
        print("  latency µs: median \(formatFixed(median, 1))  p99 \(formatFixed(p99, 1))  min \(formatFixed(times[0], 1))  mean \(formatFixed(mean, 1))")
    }
}

extension Array where Element == [UInt8] {
    func withUnsafeBufferPointers<R>(_ body: ([UnsafeRawBufferPointer]) throws -> R) rethrows -> R {
        // The arrays are not mutated while `body` runs, so their storage stays put.
        var pointers: [UnsafeRawBufferPointer] = []
        for a in self { a.withUnsafeBytes { pointers.append($0) } }
        return try withExtendedLifetime(self) { try body(pointers) }
    }
}

func preview(_ array: NpyArray) -> String {
    let count = array.bytes.count / Swift.max(array.dtype.byteSize, 1)
    let shown = Swift.min(count, 8)
    let values: [String] = array.bytes.withUnsafeBytes { b in
        (0 ..< shown).map { i -> String in
            switch array.dtype {
            case .float32: return formatFixed(Double(b.load(fromByteOffset: i * 4, as: Float.self)), 5)
            case .int64: return String(b.load(fromByteOffset: i * 8, as: Int64.self))
            case .int32: return String(b.load(fromByteOffset: i * 4, as: Int32.self))
            case .int8: return String(b.load(fromByteOffset: i, as: Int8.self))
            case .uint8, .bool: return String(b.load(fromByteOffset: i, as: UInt8.self))
            case .float16: return "f16"
            }
        }
    }
    return "[" + values.joined(separator: ", ") + (count > shown ? ", …]" : "]")
}

func formatFixed(_ v: Double, _ digits: Int) -> String {
    var buffer = [CChar](repeating: 0, count: 64)
    _ = withVaList([v]) { vsnprintf(&buffer, 64, "%.\(digits)f", $0) }
    return String(cString: buffer)
}

func main() -> Int32 {
    let args = CommandLine.arguments
    guard args.count >= 2 else { print(usage); return 2 }
    do {
        switch args[1] {
        case "convert": try commandConvert(args.dropFirst(2))
        case "inspect": try commandInspect(args.dropFirst(2))
        case "run": try commandRun(args.dropFirst(2))
        case "bench": try commandBench(args.dropFirst(2))
        case "bench-gemm": try commandBenchGemm(args.dropFirst(2))
        case "ops":
            let a = try Arguments(args.dropFirst(2), valued: [], flags: ["--markdown"])
            if a.flags.contains("--markdown") {
                print(supportedOpsMarkdown(), terminator: "")
            } else {
                print("runtime ops: " + CompiledModel.supportedOps.map(\.name).joined(separator: " "))
                print("ONNX ops accepted: " + ONNXConverter.supportedONNXOps.map(\.onnx).joined(separator: " "))
            }
        case "version":
            print("dlrt 0.1.0, format \(FormatVersion.major).\(FormatVersion.minor), kernels \(KernelTable.active.isa.name)"
                  + " (CPU supports \(KernelTable.cpuLevel.name); DLRT_ISA=avx512|avx2|baseline lowers it)")
        case "-h", "--help", "help": print(usage)
        default: printError("unknown command '\(args[1])'\n\n\(usage)"); return 2
        }
        return 0
    } catch {
        printError("\(error)")
        return 1
    }
}

exit(main())
