import CDLRTSupport
import CZlib

/// The `.dlrt` format version this library writes and the newest it reads (docs/FORMAT.md).
/// A reader accepts every file with the same major version; newer minors only add optional
/// sections and optional trailing fields, which it skips.
public enum FormatVersion {
    public static let major: UInt16 = 1
    public static let minor: UInt16 = 0
}

/// Kinds of the sections of a `.dlrt` file. The numbers are FROZEN: never renumber; a retired
/// kind stays reserved. New kinds take the next free number.
public enum SectionKind: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case tensors = 1
    case nodes = 2
    case graphIO = 3
    case metadata = 4
    case weights = 5

    public var description: String {
        switch self {
        case .tensors: return "tensor table"
        case .nodes: return "node list"
        case .graphIO: return "graph inputs/outputs"
        case .metadata: return "metadata"
        case .weights: return "weights"
        }
    }

    /// Whether the writer marks the section required (flag bit 0).
    var isRequired: Bool { self != .metadata }
}

/// Fixed numbers of the byte layout (docs/FORMAT.md).
enum Layout {
    static let magic: [UInt8] = [0x89, 0x44, 0x4C, 0x52, 0x54, 0x0D, 0x0A, 0x1A]  // \x89 D L R T \r \n \x1A
    static let headerSize = 64
    static let sectionEntrySize = 32
    /// Alignment of the section table, of every section and of every constant's data.
    static let alignment = 64

    // Header field offsets.
    static let majorOffset = 8
    static let minorOffset = 10
    static let headerSizeOffset = 12
    static let fileSizeOffset = 16
    static let tableOffsetOffset = 24
    static let sectionCountOffset = 32
    static let tableCRCOffset = 36
    static let flagsOffset = 40
    static let reservedOffset = 44
    static let headerCRCOffset = 60

    /// Section entry flag bit 0: a reader that does not know the kind must reject the file.
    static let sectionRequired: UInt32 = 1

    // Dimension tags.
    static let dimFixed: UInt8 = 0
    static let dimSymbolic: UInt8 = 1

    // Tensor record flags.
    static let tensorHasData: UInt8 = 1
    static let tensorHasQuantization: UInt8 = 2
    static let tensorKnownFlags: UInt8 = 3

    // Quantization kinds.
    static let quantPerTensor: UInt8 = 0
    static let quantPerAxis: UInt8 = 1

    /// Highest node `version` this build understands, per op (1 for every op in format 1.0).
    static func maxOpVersion(_ op: OpCode) -> UInt16 { 1 }
}

/// zlib's crc32 of `bytes` (chunked so that lengths above 4 GiB work). The bulk goes through
/// `cdlrt_crc32_fold` (PCLMULQDQ, ~3× zlib's table code here) when the CPU has it.
func formatCRC32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
    var crc: uLong = crc32(0, nil, 0)
    guard var p = bytes.baseAddress?.assumingMemoryBound(to: Bytef.self) else {
        return UInt32(truncatingIfNeeded: crc)
    }
    var remaining = bytes.count
    var state: (UInt64, UInt64) = (0, 0)
    let consumed = withUnsafeMutableBytes(of: &state) { s in
        cdlrt_crc32_fold(UInt32(truncatingIfNeeded: crc), p, remaining, s.baseAddress!.assumingMemoryBound(to: UInt8.self))
    }
    if consumed > 0 && consumed <= remaining {
        crc = withUnsafeBytes(of: &state) { s in
            crc32(0xFFFF_FFFF, s.baseAddress!.assumingMemoryBound(to: Bytef.self), 16)
        }
        p += consumed
        remaining -= consumed
    }
    while remaining > 0 {
        let n = Swift.min(remaining, 1 << 30)
        crc = crc32(crc, p, uInt(truncatingIfNeeded: n))
        p += n
        remaining -= n
    }
    return UInt32(truncatingIfNeeded: crc)
}

func formatCRC32(_ bytes: [UInt8]) -> UInt32 {
    bytes.withUnsafeBytes { formatCRC32($0) }
}

/// `0x1a2b3c4d` style hex for messages.
func hex32(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: Swift.max(0, 8 - s.count)) + s
}

/// `89 44 4c ...` for messages.
func hexBytes<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
    bytes.map { b in
        let s = String(b, radix: 16)
        return s.count == 1 ? "0" + s : s
    }.joined(separator: " ")
}

/// Human-readable name of a section kind number, known or not.
func sectionName(_ kind: UInt32) -> String {
    if let k = SectionKind(rawValue: kind) { return "\(k) section (kind \(kind))" }
    return "section of unknown kind \(kind)"
}
