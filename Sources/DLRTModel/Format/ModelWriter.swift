#if canImport(Glibc)
import Glibc
#endif

/// Serializes a `Graph` into the `.dlrt` format (docs/FORMAT.md, layout summary at the top of
/// ModelReader.swift). File order: header, section table, weights, tensor table, node list,
/// graph inputs/outputs, metadata; every section starts at a 64-byte aligned offset and every
/// constant's data at a 64-byte aligned file offset. Output is deterministic (attributes are
/// written sorted by the UTF-8 bytes of their keys).
public enum ModelWriter {
    /// Serializes; throws ModelError if the graph is invalid (it runs GraphValidator first).
    public static func serialize(_ graph: Graph) throws -> [UInt8] {
        try serialize(graph, options: Options())
    }

    /// Test hooks: a different minor version, extra (unknown) sections, extra trailing bytes in
    /// every tensor and node record (what a newer minor may add).
    struct Options {
        var minor: UInt16 = FormatVersion.minor
        var extraSections: [(kind: UInt32, flags: UInt32, bytes: [UInt8])] = []
        var recordTrailingBytes: Int = 0
    }

    static func serialize(_ graph: Graph, options: Options) throws -> [UInt8] {
        try GraphValidator.validate(graph)

        var sections: [(kind: UInt32, flags: UInt32, bytes: [UInt8])] = []
        let sectionCount = 5 + options.extraSections.count
        let tableBytes = sectionCount * Layout.sectionEntrySize
        let weightsStart = alignUp(Layout.headerSize + tableBytes)

        // Weights first: their file offsets are then known before the tensor table is encoded.
        var weights = ByteWriter()
        var dataOffsets = [Int](repeating: 0, count: graph.tensors.count)
        for (i, t) in graph.tensors.enumerated() {
            guard let data = t.data else { continue }
            weights.pad(to: Layout.alignment)
            dataOffsets[i] = weightsStart + weights.count
            weights.bytes.append(contentsOf: data.bytes)
        }
        sections.append((SectionKind.weights.rawValue, Layout.sectionRequired, weights.bytes))
        sections.append((SectionKind.tensors.rawValue, Layout.sectionRequired,
                         try encodeTensors(graph.tensors, dataOffsets: dataOffsets, trailing: options.recordTrailingBytes)))
        sections.append((SectionKind.nodes.rawValue, Layout.sectionRequired,
                         try encodeNodes(graph.nodes, trailing: options.recordTrailingBytes)))
        var io = ByteWriter()
        try io.count(graph.inputs.count, "graph inputs")
        for id in graph.inputs { io.i32(id) }
        try io.count(graph.outputs.count, "graph outputs")
        for id in graph.outputs { io.i32(id) }
        sections.append((SectionKind.graphIO.rawValue, Layout.sectionRequired, io.bytes))
        var meta = ByteWriter()
        try meta.count(graph.metadata.count, "metadata")
        for (k, entry) in graph.metadata.enumerated() {
            try meta.string(entry.key, "metadata key \(k)")
            try meta.string(entry.value, "metadata value \(k)")
        }
        sections.append((SectionKind.metadata.rawValue, 0, meta.bytes))
        sections.append(contentsOf: options.extraSections)

        // Lay the file out.
        var out = ByteWriter()
        out.zeros(Layout.headerSize + tableBytes)
        out.pad(to: Layout.alignment)
        var table = ByteWriter()
        for s in sections {
            out.pad(to: Layout.alignment)
            table.u32(s.kind)
            table.u32(s.flags)
            table.u64(UInt64(out.count))
            table.u64(UInt64(s.bytes.count))
            table.u32(formatCRC32(s.bytes))
            table.u32(0)
            out.bytes.append(contentsOf: s.bytes)
        }
        out.bytes.replaceSubrange(Layout.headerSize ..< Layout.headerSize + tableBytes, with: table.bytes)

        var header = ByteWriter()
        header.bytes.append(contentsOf: Layout.magic)
        header.u16(FormatVersion.major)
        header.u16(options.minor)
        header.u32(UInt32(Layout.headerSize))
        header.u64(UInt64(out.count))
        header.u64(UInt64(Layout.headerSize))
        header.u32(UInt32(sectionCount))
        header.u32(formatCRC32(table.bytes))
        header.u32(0)  // flags
        header.zeros(Layout.headerCRCOffset - header.count)
        header.u32(formatCRC32(header.bytes))
        out.bytes.replaceSubrange(0 ..< Layout.headerSize, with: header.bytes)
        return out.bytes
    }

    private static func alignUp(_ n: Int) -> Int {
        (n + Layout.alignment - 1) / Layout.alignment * Layout.alignment
    }

    private static func encodeTensors(_ tensors: [Tensor], dataOffsets: [Int], trailing: Int) throws -> [UInt8] {
        var w = ByteWriter()
        try w.count(tensors.count, "tensor table")
        for (i, t) in tensors.enumerated() {
            var r = ByteWriter()
            try r.string(t.name, "tensor \(i) name")
            r.u8(t.dtype.rawValue)
            var flags: UInt8 = 0
            if t.data != nil { flags |= Layout.tensorHasData }
            if t.quantization != nil { flags |= Layout.tensorHasQuantization }
            r.u8(flags)
            r.u16(0)
            try r.count(t.shape.count, "tensor \(i) rank")
            for (k, d) in t.shape.enumerated() {
                switch d {
                case .fixed(let v):
                    r.u8(Layout.dimFixed)
                    r.i64(Int64(v))
                case .symbolic(let s):
                    r.u8(Layout.dimSymbolic)
                    try r.string(s, "tensor \(i) dimension \(k) name")
                }
            }
            if let data = t.data {
                r.u64(UInt64(dataOffsets[i]))
                r.u64(UInt64(data.byteCount))
            }
            if let q = t.quantization {
                r.u8(q.axis == nil ? Layout.quantPerTensor : Layout.quantPerAxis)
                r.zeros(3)
                r.i32(Int32(q.axis ?? 0))  // validated: 0 <= axis < rank <= Int32.max
                try r.count(q.scales.count, "tensor \(i) quantization scales")
                for s in q.scales { r.f32(s) }
                for z in q.zeroPoints { r.i32(z) }
            }
            r.zeros(trailing)
            try w.count(r.count, "tensor \(i) record size")
            w.bytes.append(contentsOf: r.bytes)
        }
        return w.bytes
    }

    private static func encodeNodes(_ nodes: [Node], trailing: Int) throws -> [UInt8] {
        var w = ByteWriter()
        try w.count(nodes.count, "node list")
        for (i, node) in nodes.enumerated() {
            var r = ByteWriter()
            try r.string(node.name, "node \(i) name")
            r.u16(node.op.rawValue)
            r.u16(node.version)
            try r.count(node.inputs.count, "node \(i) inputs")
            for id in node.inputs { r.i32(id) }
            try r.count(node.outputs.count, "node \(i) outputs")
            for id in node.outputs { r.i32(id) }
            try r.count(node.attributes.count, "node \(i) attributes")
            let sorted = node.attributes.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (key, value) in sorted {
                try r.string(key, "node \(i) attribute name")
                r.u8(value.typeTag)
                switch value {
                case .int(let v): r.i64(v)
                case .float(let v): r.f32(v)
                case .ints(let vs):
                    try r.count(vs.count, "node \(i) attribute '\(key)'")
                    for v in vs { r.i64(v) }
                case .floats(let vs):
                    try r.count(vs.count, "node \(i) attribute '\(key)'")
                    for v in vs { r.f32(v) }
                case .string(let s):
                    try r.string(s, "node \(i) attribute '\(key)'")
                }
            }
            r.zeros(trailing)
            try w.count(r.count, "node \(i) record size")
            w.bytes.append(contentsOf: r.bytes)
        }
        return w.bytes
    }

    /// Atomic write: serializes, then `writeFile` (a temporary file beside `path`, fsynced and
    /// renamed over it). On any failure an existing file at `path` is left untouched.
    /// Errors: ModelError(.io, ...).
    public static func write(_ graph: Graph, to path: String) throws {
        let bytes = try serialize(graph)
        try bytes.withUnsafeBytes { try writeFile($0, to: path) }
    }

    /// Writes `bytes` to `path` so that no reader ever sees a half-written file: "<path>.tmp-<pid>"
    /// in the same directory, fsynced, renamed over `path`, then the directory fsynced. On any
    /// failure the temporary file is removed and an existing file at `path` is left untouched.
    /// An existing `path` that is not a regular file — a character device such as /dev/null, a
    /// FIFO — is written in place instead (renaming over it would replace the device with a
    /// file); a directory is refused. Errors: ModelError(.io, "<path>: ...").
    public static func writeFile(_ bytes: UnsafeRawBufferPointer, to path: String) throws {
        func ioError(_ what: String, _ e: Int32) -> ModelError {
            ModelError(.io, "\(path): \(what): \(String(cString: strerror(e)))")
        }
        func writeAll(_ fd: Int32, _ name: String) throws {
            var written = 0
            while written < bytes.count {
                guard let base = bytes.baseAddress else { break }
                let n = Glibc.write(fd, base + written, bytes.count - written)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw ioError("writing \(name)", errno)
                }
                if n == 0 { throw ioError("writing \(name)", EIO) }
                written += n
            }
        }
        var st = stat()
        if stat(path, &st) == 0 {
            let kind = st.st_mode & 0o170000
            if kind == 0o040000 { throw ModelError(.io, "\(path): is a directory") }
            if kind != 0o100000 {
                let fd = open(path, O_WRONLY | O_CLOEXEC)
                guard fd >= 0 else { throw ioError("cannot open", errno) }
                defer { close(fd) }
                try writeAll(fd, path)
                return
            }
        }
        let tmp = path + ".tmp-\(getpid())"
        var fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if fd < 0, errno == EEXIST {  // a stale temp file of an earlier process with our pid
            unlink(tmp)
            fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw ioError("cannot create \(tmp)", errno) }
        var open_ = true
        var done = false
        defer {
            if open_ { close(fd) }
            if !done { unlink(tmp) }
        }
        try writeAll(fd, tmp)
        guard fsync(fd) == 0 else { throw ioError("fsync \(tmp)", errno) }
        open_ = false
        guard close(fd) == 0 else { throw ioError("closing \(tmp)", errno) }
        guard rename(tmp, path) == 0 else { throw ioError("renaming \(tmp)", errno) }
        done = true
        // Make the rename durable (best effort: some file systems refuse fsync on directories).
        let dir: String
        if let slash = path.lastIndex(of: "/") {
            dir = slash == path.startIndex ? "/" : String(path[..<slash])
        } else {
            dir = "."
        }
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            _ = fsync(dfd)
            close(dfd)
        }
    }
}
