/// A bounds-checked little-endian reader over a window `[position, end)` of a file's bytes.
/// Every read checks the remaining length first and throws `ModelError(.invalidModel)` naming
/// the context (file and section) and the absolute byte offset; nothing here can trap on any
/// input. Positions are absolute file offsets.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    let end: Int
    /// "model.dlrt: node list section (kind 2)" — prefixed to every message.
    let context: String

    /// `start` and `end` must satisfy 0 <= start <= end <= bytes.count (checked; an invalid
    /// window becomes an empty one at 0 so later reads throw instead of trapping).
    init(bytes: UnsafeRawBufferPointer, start: Int, end: Int, context: String) {
        self.bytes = bytes
        if start >= 0, start <= end, end <= bytes.count {
            self.position = start
            self.end = end
        } else {
            self.position = 0
            self.end = 0
        }
        self.context = context
    }

    var remaining: Int { end - position }
    var isAtEnd: Bool { position >= end }

    func error(_ kind: ModelError.Kind, at offset: Int, _ message: String) -> ModelError {
        ModelError(kind, "\(context) at byte \(offset): \(message)")
    }

    func error(at offset: Int, _ message: String) -> ModelError { error(.invalidModel, at: offset, message) }

    func error(_ message: String) -> ModelError { error(.invalidModel, at: position, message) }

    /// Throws unless `n` more bytes are available.
    func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard n >= 0, n <= remaining else {
            throw error("truncated \(what()): needs \(n) bytes but only \(remaining) remain")
        }
    }

    mutating func skip(_ n: Int, _ what: @autoclosure () -> String) throws {
        try need(n, what())
        position += n
    }

    private mutating func load<T: FixedWidthInteger>(_ type: T.Type, _ what: @autoclosure () -> String) throws -> T {
        let size = MemoryLayout<T>.size
        try need(size, what())
        let v = bytes.loadUnaligned(fromByteOffset: position, as: T.self)
        position += size
        return T(littleEndian: v)
    }

    mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 { try load(UInt8.self, what()) }
    mutating func u16(_ what: @autoclosure () -> String) throws -> UInt16 { try load(UInt16.self, what()) }
    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 { try load(UInt32.self, what()) }
    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 { try load(UInt64.self, what()) }
    mutating func i32(_ what: @autoclosure () -> String) throws -> Int32 { try load(Int32.self, what()) }
    mutating func i64(_ what: @autoclosure () -> String) throws -> Int64 { try load(Int64.self, what()) }
    mutating func f32(_ what: @autoclosure () -> String) throws -> Float {
        Float(bitPattern: try load(UInt32.self, what()))
    }

    /// A u64 file offset or size as an `Int` (throws if it does not fit).
    mutating func offset(_ what: @autoclosure () -> String) throws -> Int {
        let at = position
        let v = try u64(what())
        guard let n = Int(exactly: v) else { throw error(at: at, "\(what()) \(v) is out of range") }
        return n
    }

    /// Reads a u32 element count and checks that `count * minElementSize` bytes remain, so a
    /// hostile count can never make the caller reserve more memory than the file could describe.
    mutating func count(_ what: @autoclosure () -> String, minElementSize: Int) throws -> Int {
        let at = position
        let raw = try u32(what())
        let n = Int(raw)  // UInt32 always fits Int on 64-bit platforms
        let (bytesNeeded, overflow) = n.multipliedReportingOverflow(by: Swift.max(minElementSize, 0))
        guard !overflow, bytesNeeded <= remaining else {
            throw error(at: at, "\(what()) \(n) needs at least \(bytesNeeded) bytes but only \(remaining) remain")
        }
        return n
    }

    /// A u32 byte length then that many bytes of UTF-8 (no NUL bytes, no terminator).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let at = position
        let n = try count("\(what()) length", minElementSize: 1)
        let raw = UnsafeRawBufferPointer(rebasing: bytes[position ..< position + n])
        if raw.contains(0) { throw error(at: at, "\(what()) contains a NUL byte") }
        let s: String? = raw.withMemoryRebound(to: UInt8.self) { String(validating: $0, as: UTF8.self) }
        guard let str = s else { throw error(at: at, "\(what()) is not valid UTF-8") }
        position += n
        return str
    }

    /// A cursor over the next `n` bytes; this cursor moves past them.
    mutating func sub(_ n: Int, context: String? = nil, _ what: @autoclosure () -> String) throws -> ByteCursor {
        try need(n, what())
        let c = ByteCursor(bytes: bytes, start: position, end: position + n, context: context ?? self.context)
        position += n
        return c
    }
}

/// A little-endian byte sink for the writer.
struct ByteWriter {
    var bytes: [UInt8] = []

    var count: Int { bytes.count }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { append(v) }
    mutating func u32(_ v: UInt32) { append(v) }
    mutating func u64(_ v: UInt64) { append(v) }
    mutating func i32(_ v: Int32) { append(v) }
    mutating func i64(_ v: Int64) { append(v) }
    mutating func f32(_ v: Float) { append(v.bitPattern) }

    private mutating func append<T: FixedWidthInteger>(_ v: T) {
        withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A u32 count; throws if it does not fit.
    mutating func count(_ n: Int, _ what: @autoclosure () -> String) throws {
        guard let v = UInt32(exactly: n) else {
            throw ModelError(.invalidModel, "\(what()): \(n) entries do not fit the format's u32 count")
        }
        u32(v)
    }

    mutating func string(_ s: String, _ what: @autoclosure () -> String) throws {
        let utf8 = Array(s.utf8)
        try count(utf8.count, "\(what()) length")
        bytes.append(contentsOf: utf8)
    }

    mutating func zeros(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) }
    }

    /// Pads with zeros to a multiple of `alignment` (relative to `base`, an aligned file offset).
    mutating func pad(to alignment: Int, base: Int = 0) {
        let r = (base + bytes.count) % alignment
        if r != 0 { zeros(alignment - r) }
    }

    mutating func patch32(_ v: UInt32, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { src in
            for i in 0 ..< 4 { bytes[offset + i] = src[i] }
        }
    }

    mutating func patch64(_ v: UInt64, at offset: Int) {
        withUnsafeBytes(of: v.littleEndian) { src in
            for i in 0 ..< 8 { bytes[offset + i] = src[i] }
        }
    }
}
