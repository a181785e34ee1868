#if canImport(Glibc)
import Glibc
#endif

// .dlrt file format 1.0 — byte layout in short (full spec: docs/FORMAT.md).
// All integers little-endian. str = u32 byte length + UTF-8 bytes (no NUL, no terminator).
//
//   header (64 bytes)
//     0  u8[8]  magic 0x89 'D' 'L' 'R' 'T' '\r' '\n' 0x1A
//     8  u16    major (1)             10 u16 minor (0)
//    12  u32    header size (64)      16 u64 total file size
//    24  u64    section table offset  32 u32 section count
//    36  u32    crc32 of section table 40 u32 flags (0)
//    44  u8[16] reserved (0)          60 u32 crc32 of bytes 0..59
//   section table (at a 64-aligned offset): count × 32-byte entries
//     u32 kind, u32 flags (bit 0 = required), u64 offset (64-aligned), u64 size,
//     u32 crc32 of the section's bytes, u32 reserved (0)
//   sections, each at a 64-aligned offset, zero padding between them:
//     1 tensor table   u32 n; n × { u32 record size; str name; u8 dtype; u8 flags
//                      (1 = data, 2 = quantization); u16 0; u32 rank; rank × { u8 0, i64 size
//                      | u8 1, str name }; [u64 data file offset (64-aligned), u64 byte count];
//                      [u8 kind (0 tensor, 1 axis); u8[3] 0; i32 axis; u32 c; f32[c] scales;
//                      i32[c] zero points]; newer minors: trailing fields }
//     2 node list      u32 n; n × { u32 record size; str name; u16 op; u16 version;
//                      u32 ni; i32[ni] inputs (-1 absent); u32 no; i32[no] outputs;
//                      u32 na; na × { str key; u8 tag; payload: 1 i64 | 2 f32 |
//                      3 u32 c, i64[c] | 4 u32 c, f32[c] | 5 str }; newer minors: trailing fields }
//     3 graph I/O      u32 ni; i32[ni] tensor ids; u32 no; i32[no] tensor ids
//     4 metadata       u32 n; n × { str key; str value }   (optional section)
//     5 weights        raw constant bytes; each constant at a 64-aligned file offset
//   Unknown sections: skipped unless flagged required. Sections and records of files with
//   minor <= 0 must not have trailing bytes; reserved fields and flags must be zero.

/// Reads `.dlrt` files: checks every byte before it is used and never traps on any input
/// (this is a security boundary). Constant tensors point into the blob (zero copy).
public enum ModelReader {
    /// Parses and validates everything before returning. Constant tensors' `TensorData` point into
    /// `blob` (or into a 64-byte aligned copy of it if its base is not 64-byte aligned).
    /// `source` names the file or buffer in messages.
    public static func read(_ blob: Blob, source: String) throws -> Graph {
        var blob = blob
        if let base = blob.bytes.baseAddress, UInt(bitPattern: base) % UInt(Layout.alignment) != 0 {
            blob = Blob(copying: blob.bytes)
        }
        let container = try parseContainer(blob.bytes, source: source)
        var decoder = SectionDecoder(blob: blob, source: source, minor: container.minor,
                                     sections: container.sections)
        let graph = try decoder.decodeGraph()
        try GraphValidator.validate(graph, source: source)
        return graph
    }

    /// Maps the file read-only and reads it; the mapping lives as long as the graph's constants.
    /// Errors: missing file, directory, empty file, mmap failure → ModelError(.io, "<path>: ...").
    /// The file must not be truncated by another process while mapped (that would fault).
    public static func load(path: String) throws -> Graph {
        func ioError(_ e: Int32) -> ModelError { ModelError(.io, "\(path): \(String(cString: strerror(e)))") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ioError(errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw ioError(errno) }
        let type = st.st_mode & S_IFMT
        if type == S_IFDIR { throw ioError(EISDIR) }
        guard type == S_IFREG else { throw ModelError(.io, "\(path): not a regular file") }
        guard st.st_size > 0 else { throw ModelError(.io, "\(path): empty file (0 bytes)") }
        guard let size = Int(exactly: st.st_size) else { throw ioError(EFBIG) }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let mapped = p, mapped != MAP_FAILED else { throw ioError(errno) }
        let blob = Blob(bytes: UnsafeRawBufferPointer(start: mapped, count: size)) { b in
            _ = munmap(UnsafeMutableRawPointer(mutating: b.baseAddress), b.count)
        }
        return try read(blob, source: path)
    }

    struct Container {
        var minor: UInt16
        /// Known sections: kind → byte range in the file.
        var sections: [SectionKind: Range<Int>]
    }

    /// Checks header, section table, section bounds / overlap / alignment / checksums and the
    /// zero padding between sections, then returns where the known sections are.
    static func parseContainer(_ bytes: UnsafeRawBufferPointer, source: String) throws -> Container {
        let size = bytes.count
        func fail(_ m: String) -> ModelError { ModelError(.invalidModel, "\(source): \(m)") }
        func fail(_ kind: ModelError.Kind, _ m: String) -> ModelError { ModelError(kind, "\(source): \(m)") }

        let prefix = Swift.min(size, Layout.magic.count)
        if !bytes.prefix(prefix).elementsEqual(Layout.magic.prefix(prefix)) {
            throw fail("not a .dlrt file: bad magic at byte 0: found \(hexBytes(bytes.prefix(Layout.magic.count))), expected \(hexBytes(Layout.magic))")
        }
        guard size >= Layout.headerSize else {
            throw fail("truncated: the file has \(size) bytes, less than the \(Layout.headerSize)-byte header")
        }
        var h = ByteCursor(bytes: bytes, start: Layout.majorOffset, end: Layout.headerSize, context: "\(source): header")
        let major = try h.u16("major version")
        let minor = try h.u16("minor version")
        guard major == FormatVersion.major else {
            throw fail(.unsupported, "unsupported format version \(major).\(minor) (byte \(Layout.majorOffset)): found major \(major), this reader supports major \(FormatVersion.major) (up to \(FormatVersion.major).\(FormatVersion.minor))")
        }
        let storedHeaderCRC = bytes.loadUnaligned(fromByteOffset: Layout.headerCRCOffset, as: UInt32.self).littleEndian
        let headerCRC = formatCRC32(UnsafeRawBufferPointer(rebasing: bytes[0 ..< Layout.headerCRCOffset]))
        guard storedHeaderCRC == headerCRC else {
            throw fail("header checksum mismatch (crc32 at byte \(Layout.headerCRCOffset)): stored \(hex32(storedHeaderCRC)), computed \(hex32(headerCRC)); the file is corrupted")
        }
        let strict = minor <= FormatVersion.minor  // files we fully understand: no unknown bits
        let headerSize = try h.u32("header size")
        guard headerSize == UInt32(Layout.headerSize) else {
            throw fail("header size at byte \(Layout.headerSizeOffset) is \(headerSize), expected \(Layout.headerSize)")
        }
        let declaredSize = try h.u64("file size")
        guard declaredSize == UInt64(size) else {
            let what = declaredSize > UInt64(size) ? "truncated" : "unexpected trailing data"
            throw fail("\(what): the header (byte \(Layout.fileSizeOffset)) declares \(declaredSize) bytes but the file has \(size) bytes")
        }
        let tableOffsetRaw = try h.u64("section table offset")
        let sectionCount = Int(try h.u32("section count"))
        let storedTableCRC = try h.u32("section table crc32")
        let flags = try h.u32("flags")
        if strict {
            if flags != 0 { throw fail("header flags at byte \(Layout.flagsOffset) are \(hex32(flags)), expected 0") }
            for i in Layout.reservedOffset ..< Layout.headerCRCOffset where bytes[i] != 0 {
                throw fail("reserved header byte \(i) is \(bytes[i]), expected 0")
            }
        }

        guard let tableOffset = Int(exactly: tableOffsetRaw), tableOffset >= Layout.headerSize,
              tableOffset % Layout.alignment == 0 else {
            throw fail("section table offset \(tableOffsetRaw) (header byte \(Layout.tableOffsetOffset)) must be a multiple of \(Layout.alignment) and at least \(Layout.headerSize)")
        }
        let tableBytes = sectionCount * Layout.sectionEntrySize  // < 2^37: no overflow
        let (tableEnd, o1) = tableOffset.addingReportingOverflow(tableBytes)
        guard !o1, tableEnd <= size else {
            throw fail("section table [\(tableOffset), +\(tableBytes)) for \(sectionCount) sections runs past the end of the \(size)-byte file")
        }
        let tableCRC = formatCRC32(UnsafeRawBufferPointer(rebasing: bytes[tableOffset ..< tableEnd]))
        guard tableCRC == storedTableCRC else {
            throw fail("section table checksum mismatch (table at byte \(tableOffset), crc32 in header byte \(Layout.tableCRCOffset)): stored \(hex32(storedTableCRC)), computed \(hex32(tableCRC)); the file is corrupted")
        }

        struct Entry { var kind: UInt32; var flags: UInt32; var range: Range<Int>; var crc: UInt32; var entryAt: Int }
        var entries: [Entry] = []
        entries.reserveCapacity(sectionCount)  // bounded: the table fits in the file
        var seen: [UInt32: Int] = [:]  // kind → offset, to reject duplicates in linear time
        var t = ByteCursor(bytes: bytes, start: tableOffset, end: tableEnd, context: "\(source): section table")
        for i in 0 ..< sectionCount {
            let at = t.position
            let kind = try t.u32("section \(i) kind")
            let sflags = try t.u32("section \(i) flags")
            let offsetRaw = try t.u64("section \(i) offset")
            let lengthRaw = try t.u64("section \(i) size")
            let crc = try t.u32("section \(i) crc32")
            let reserved = try t.u32("section \(i) reserved")
            let name = sectionName(kind)
            if strict && sflags & ~Layout.sectionRequired != 0 {
                throw fail("section table entry \(i) (byte \(at), \(name)): unknown flag bits \(hex32(sflags & ~Layout.sectionRequired))")
            }
            if strict && reserved != 0 {
                throw fail("section table entry \(i) (byte \(at), \(name)): reserved field is \(reserved), expected 0")
            }
            guard let off = Int(exactly: offsetRaw), let len = Int(exactly: lengthRaw),
                  case let (end, o) = off.addingReportingOverflow(len), !o, end <= size else {
                throw fail("\(name) (table entry \(i), byte \(at)): range [\(offsetRaw), +\(lengthRaw)) lies outside the \(size)-byte file")
            }
            guard off % Layout.alignment == 0 else {
                throw fail("\(name) (table entry \(i), byte \(at)): offset \(off) is not \(Layout.alignment)-byte aligned")
            }
            if let first = seen.updateValue(off, forKey: kind) {
                throw fail("duplicate \(name): at byte \(first) and at byte \(off)")
            }
            entries.append(Entry(kind: kind, flags: sflags, range: off ..< end, crc: crc, entryAt: at))
        }

        // No overlap between header, table and sections; the gaps between them must be zero.
        var regions: [(name: String, range: Range<Int>)] = [("header", 0 ..< Layout.headerSize),
                                                            ("section table", tableOffset ..< tableEnd)]
        regions += entries.map { (sectionName($0.kind), $0.range) }
        regions.sort { ($0.range.lowerBound, $0.range.count) < ($1.range.lowerBound, $1.range.count) }
        var cursor = 0
        var previous = "start of file"
        for r in regions {
            if r.range.lowerBound < cursor {
                throw fail("\(r.name) at byte \(r.range.lowerBound) overlaps \(previous), which ends at byte \(cursor)")
            }
            if let nz = bytes[cursor ..< r.range.lowerBound].firstIndex(where: { $0 != 0 }) {
                throw fail("nonzero padding byte \(bytes[nz]) at byte \(nz) (between \(previous) and \(r.name))")
            }
            cursor = r.range.upperBound
            previous = r.name
        }
        if let nz = bytes[cursor ..< size].firstIndex(where: { $0 != 0 }) {
            throw fail("nonzero padding byte \(bytes[nz]) at byte \(nz) after the last section")
        }

        var known: [SectionKind: Range<Int>] = [:]
        for e in entries {
            let name = sectionName(e.kind)
            let crc = formatCRC32(UnsafeRawBufferPointer(rebasing: bytes[e.range]))
            guard crc == e.crc else {
                throw fail("checksum mismatch in \(name) at byte \(e.range.lowerBound) (size \(e.range.count)): stored \(hex32(e.crc)), computed \(hex32(crc)); the file is corrupted")
            }
            if let k = SectionKind(rawValue: e.kind) {
                known[k] = e.range
            } else if e.flags & Layout.sectionRequired != 0 {
                throw fail(.unsupported, "\(name) at byte \(e.range.lowerBound) is marked required but this reader (format \(FormatVersion.major).\(FormatVersion.minor)) does not know it; the file needs a newer dlrt")
            }
        }
        for k in [SectionKind.tensors, .nodes, .graphIO] where known[k] == nil {
            throw fail("missing required \(k) section (kind \(k.rawValue))")
        }
        return Container(minor: minor, sections: known)
    }
}
