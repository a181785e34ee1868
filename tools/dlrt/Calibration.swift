// int8 static mode: `dlrt convert --weights int8 --calibration samples.npz` runs the float32
// model on the samples and records the range of every activation an int8 node reads or writes.
import CZlib
import DLRTModel
import DLRTONNX
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

enum CalibrationMethod: String {
    /// The smallest and largest value seen over all samples.
    case minmax
    /// Per run the `percentile`-th and (100 − percentile)-th percentiles, averaged over runs:
    /// rare outliers no longer stretch the range (finer steps for the common values).
    case percentile
}

enum Npz {
    /// The arrays of an .npz archive (NumPy's `savez` / `savez_compressed`: stored or deflated
    /// members; no zip64).
    static func read(path: String) throws -> [(String, NpyArray)] {
        let z = try readFile(path)
        func u16(_ at: Int) throws -> Int {
            guard at >= 0, at + 2 <= z.count else { throw ToolError("\(path): truncated zip archive") }
            return Int(z[at]) | Int(z[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> Int { try u16(at) | u16(at + 2) << 16 }
        var end = z.count - 22
        while end >= 0 && !(z[end] == 0x50 && z[end + 1] == 0x4b && z[end + 2] == 5 && z[end + 3] == 6) { end -= 1 }
        guard end >= 0 else { throw ToolError("\(path): not an .npz (zip) file") }
        let entries = try u16(end + 10)
        var at = try u32(end + 16)
        var out: [(String, NpyArray)] = []
        for _ in 0 ..< entries {
            guard try u32(at) == 0x0201_4b50 else { throw ToolError("\(path): bad zip central directory") }
            let method = try u16(at + 10), packed = try u32(at + 20), size = try u32(at + 24)
            let nameLength = try u16(at + 28), extra = try u16(at + 30), comment = try u16(at + 32)
            let local = try u32(at + 42)
            guard at + 46 + nameLength <= z.count else { throw ToolError("\(path): truncated zip archive") }
            var name = String(decoding: z[at + 46 ..< at + 46 + nameLength], as: UTF8.self)
            at += 46 + nameLength + extra + comment
            guard packed != 0xFFFF_FFFF, size != 0xFFFF_FFFF else { throw ToolError("\(path): zip64 archives are not supported") }
            let start = try local + 30 + u16(local + 26) + u16(local + 28)
            guard start + packed <= z.count else { throw ToolError("\(path): member \(name) is truncated") }
            let bytes: [UInt8]
            switch method {
            case 0: bytes = Array(z[start ..< start + packed])
            case 8: bytes = try inflate(Array(z[start ..< start + packed]), size: size, what: "\(path):\(name)")
            default: throw ToolError("\(path): member \(name) uses zip compression method \(method) (stored or deflate expected)")
            }
            if name.hasSuffix(".npy") { name.removeLast(4) }
            out.append((name, try Npy.parse(bytes, source: "\(path):\(name)")))
        }
        return out
    }

    static func inflate(_ input: [UInt8], size: Int, what: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: size)
        var s = z_stream()
        guard inflateInit2_(&s, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ToolError("\(what): zlib initialization failed")
        }
        defer { inflateEnd(&s) }
        var input = input
        let status = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                s.next_in = i.baseAddress; s.avail_in = uInt(i.count)
                s.next_out = o.baseAddress; s.avail_out = uInt(o.count)
                return CZlib.inflate(&s, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(s.total_out) == size else { throw ToolError("\(what): corrupt deflate data") }
        return output
    }
}

/// Running range statistics of one tensor.
struct RangeStats {
    var lo: Float = .infinity, hi: Float = -.infinity
    var loSum = 0.0, hiSum = 0.0, runs = 0

    mutating func add(_ p: UnsafeBufferPointer<Float>, _ method: CalibrationMethod, percentile: Double) {
        switch method {
        case .minmax:
            for v in p where v.isFinite { lo = min(lo, v); hi = max(hi, v) }
        case .percentile:
            let step = max(1, p.count / (1 << 18))
            var sample: [Float] = []
            sample.reserveCapacity(p.count / step + 1)
            var i = 0
            while i < p.count { if p[i].isFinite { sample.append(p[i]) }; i += step }
            guard !sample.isEmpty else { return }
            sample.sort()
            let top = Int((Double(sample.count - 1) * percentile / 100).rounded())
            loSum += Double(sample[sample.count - 1 - top]); hiSum += Double(sample[top]); runs += 1
        }
    }

    var range: ClosedRange<Float>? {
        if runs > 0 { return Float(loSum / Double(runs)) ... Float(hiSum / Double(runs)) }
        return lo <= hi ? lo ... hi : nil
    }
}

enum Calibrator {
    /// Ranges of the activations int8 nodes will read or write: the float32 input X and output
    /// of every Conv / Gemm / MatMul, by tensor id in `graph`.
    static func ranges(graph: Graph, samples: [(String, NpyArray)], method: CalibrationMethod,
                       percentile: Double) throws -> [Int32: ClosedRange<Float>] {
        let inputIDs = Set(graph.inputs)
        var wanted: [Int32] = []
        for node in graph.nodes where [.conv, .gemm, .matMul].contains(node.op) {
            for id in [node.inputs[0], node.outputs[0]] where id >= 0 && !wanted.contains(id) {
                let t = graph.tensors[Int(id)]
                if t.dtype == .float32 && !t.isConstant { wanted.append(id) }
            }
        }
        var g = graph
        let extra = wanted.filter { !inputIDs.contains($0) && !graph.outputs.contains($0) }
        g.outputs += extra
        let model = try CompiledModel(graph: g)
        let context = try Context(model: model)

        // The samples: one array per input, first axis = samples.
        var arrays: [NpyArray] = []
        for id in graph.inputs {
            let t = graph.tensors[Int(id)]
            guard let a = samples.first(where: { $0.0 == t.name })?.1 else {
                throw ToolError("--calibration: no array for input '\(t.name)' (arrays: \(samples.map(\.0).joined(separator: ", ")))")
            }
            guard a.dtype == t.dtype else { throw ToolError("--calibration: array '\(t.name)' is \(a.dtype), the input is \(t.dtype)") }
            guard a.shape.count == t.shape.count || a.shape.count == t.shape.count + 1, !a.shape.isEmpty else {
                throw ToolError("--calibration: array '\(t.name)' has shape \(describe(a.shape)); expected [samples] + \(describe(t.shape)) or the input's own rank")
            }
            arrays.append(a)
        }
        let count = arrays.first?.shape[0] ?? 0
        guard count > 0, arrays.allSatisfy({ $0.shape[0] == count }) else {
            throw ToolError("--calibration: the arrays must have the same number of samples (first axis) and at least one")
        }
        // Arrays of the input's own rank are batches along axis 0: run them 16 rows at a time
        // (or the input's fixed first dim).
        let batched = graph.inputs.enumerated().map { arrays[$0.offset].shape.count == graph.tensors[Int($0.element)].shape.count }
        var chunk = 1
        if batched.allSatisfy({ $0 }), let first = graph.inputs.first {
            chunk = graph.tensors[Int(first)].shape.first?.fixedValue ?? 16
        } else if batched.contains(true) {
            throw ToolError("--calibration: either every array is a batch along its first axis (the input's rank) or none is (rank + 1)")
        }
        var stats = [RangeStats](repeating: RangeStats(), count: wanted.count)
        var start = 0
        while start < count {
            let n = min(chunk, count - start)
            var feeds: [[UInt8]] = []
            for (k, id) in graph.inputs.enumerated() {
                let a = arrays[k]
                let batched = a.shape.count == graph.tensors[Int(id)].shape.count
                let rowBytes = a.bytes.count / count
                let rows = batched ? n : 1
                let shape = ((batched ? [n] : []) + Array(a.shape[1...])).map { Int64($0) }
                let bytes = Array(a.bytes[start * rowBytes ..< (start + rows) * rowBytes])
                feeds.append(bytes)
                try shape.withUnsafeBufferPointer { s in
                    try feeds[feeds.count - 1].withUnsafeBytes { b in
                        try context.setInput(k, dtype: a.dtype, shape: s, data: b.baseAddress, byteCount: b.count)
                    }
                }
                if !batched && n > 1 { throw ToolError("internal: unbatched sample chunk") }
            }
            try withExtendedLifetime(feeds) { try context.run() }
            for (i, id) in wanted.enumerated() {
                if let k = graph.inputs.firstIndex(of: id) {
                    feeds[k].withUnsafeBytes { b in stats[i].add(b.bindMemory(to: Float.self), method, percentile: percentile) }
                } else if let o = g.outputs.firstIndex(of: id) {
                    let r = try context.output(o)
                    if let data = r.data {
                        stats[i].add(UnsafeBufferPointer(start: data.assumingMemoryBound(to: Float.self), count: r.byteCount / 4),
                                     method, percentile: percentile)
                    }
                }
            }
            start += n
        }
        var out: [Int32: ClosedRange<Float>] = [:]
        for (i, id) in wanted.enumerated() { out[id] = stats[i].range }
        return out
    }
}

/// `--calibration SAMPLES.npz`, `--calibration-method minmax|percentile`, `--percentile P`.
func calibrationOptions(_ a: Arguments, _ options: inout ConvertOptions) throws {
    guard let path = a.last("--calibration") else {
        if a.last("--calibration-method") != nil || a.last("--percentile") != nil {
            throw ToolError("--calibration-method and --percentile need --calibration SAMPLES.npz")
        }
        return
    }
    guard options.weights == .int8 else { throw ToolError("--calibration needs --weights int8") }
    let name = a.last("--calibration-method") ?? "minmax"
    guard let method = CalibrationMethod(rawValue: name) else {
        throw ToolError("--calibration-method must be minmax or percentile, got '\(name)'")
    }
    let text = a.last("--percentile") ?? "99.99"
    guard let p = Double(text), p > 50, p <= 100 else { throw ToolError("--percentile must be a number in (50, 100], got '\(text)'") }
    let samples = try Npz.read(path: path)
    options.calibrate = { graph in try Calibrator.ranges(graph: graph, samples: samples, method: method, percentile: p) }
}
