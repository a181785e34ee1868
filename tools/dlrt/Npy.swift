import CZlib
import DLRTModel
#if canImport(Glibc)
import Glibc
#endif

/// A dense array read from or written to NumPy's .npy format (little-endian, C order).
struct NpyArray {
    var dtype: DType
    var shape: [Int]
    var bytes: [UInt8]
}

enum Npy {
    static let descriptors: [(String, DType)] = [
        ("<f4", .float32), ("<f2", .float16), ("|i1", .int8), ("|u1", .uint8),
        ("<i4", .int32), ("<i8", .int64), ("|b1", .bool),
    ]

    /// Parses a .npy file (format 1.0–3.0). Errors name the file and the problem.
    static func read(path: String) throws -> NpyArray {
        try parse(readFile(path), source: path)
    }

    /// Parses .npy bytes; errors name `path` (the file or "archive.npz:member").
    static func parse(_ data: [UInt8], source path: String) throws -> NpyArray {
        guard data.count >= 10, data[0] == 0x93, Array(data[1 ..< 6]) == Array("NUMPY".utf8) else {
            throw ToolError("\(path): not a .npy file (bad magic)")
        }
        let major = data[6]
        let headerLength: Int
        let headerStart: Int
        if major == 1 {
            headerLength = Int(data[8]) | Int(data[9]) << 8
            headerStart = 10
        } else {
            guard data.count >= 12 else { throw ToolError("\(path): truncated .npy header") }
            headerLength = Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
            headerStart = 12
        }
        guard headerStart + headerLength <= data.count else { throw ToolError("\(path): truncated .npy header") }
        let header = String(decoding: data[headerStart ..< headerStart + headerLength], as: UTF8.self)
        guard let descr = value(of: "descr", in: header)?.trimmingQuotes,
              let dtype = descriptors.first(where: { $0.0 == descr || ($0.0.dropFirst() == descr.dropFirst() && descr.first == "=") })?.1
        else {
            let found = value(of: "descr", in: header)?.trimmingQuotes ?? "?"
            throw ToolError("\(path): unsupported array dtype \(found) (\(numpyName(found))); dlrt takes float32, float16, int8, uint8, int32, int64 or bool — convert with arr.astype(...)")
        }
        if value(of: "fortran_order", in: header) == "True" {
            throw ToolError("\(path): Fortran-order arrays are not supported; save with np.ascontiguousarray")
        }
        guard let shapeText = value(of: "shape", in: header) else { throw ToolError("\(path): no shape in header") }
        let shape = shapeText.filter { "0123456789,".contains($0) }.split(separator: ",").compactMap { Int($0) }
        guard let count = checkedElementCount(shape) else { throw ToolError("\(path): shape too large") }
        let start = headerStart + headerLength
        let byteCount = count * dtype.byteSize
        guard data.count - start >= byteCount else {
            throw ToolError("\(path): has \(data.count - start) data bytes, shape \(describe(shape)) of \(dtype) needs \(byteCount)")
        }
        return NpyArray(dtype: dtype, shape: shape, bytes: Array(data[start ..< start + byteCount]))
    }

    /// Serializes an array as .npy version 1.0.
    static func encode(_ array: NpyArray) -> [UInt8] {
        let descr = descriptors.first(where: { $0.1 == array.dtype })!.0
        let shape = array.shape.count == 1 ? "(\(array.shape[0]),)" : "(" + array.shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shape), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = header.utf8.count
        out += [UInt8(n & 0xff), UInt8(n >> 8)]
        out += Array(header.utf8)
        out += array.bytes
        return out
    }

    /// Writes named arrays as an uncompressed .npz (a zip archive of .npy files).
    static func writeNpz(path: String, arrays: [(String, NpyArray)]) throws {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, array) in arrays {
            let file = encode(array)
            let fileName = Array((name + ".npy").utf8)
            let crc = file.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
            let offset = out.count
            out += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            out += le32(crc) + le32(UInt32(file.count)) + le32(UInt32(file.count))
            out += le16(UInt16(fileName.count)) + le16(0) + fileName + file
            central += le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21)
            central += le32(crc) + le32(UInt32(file.count)) + le32(UInt32(file.count))
            central += le16(UInt16(fileName.count)) + le16(0) + le16(0) + le16(0) + le16(0) + le32(0)
            central += le32(UInt32(offset)) + fileName
        }
        let centralOffset = out.count
        out += central
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(arrays.count)) + le16(UInt16(arrays.count))
        out += le32(UInt32(central.count)) + le32(UInt32(centralOffset)) + le16(0)
        try writeFileAtomically(path, out)
    }

    private static func value(of key: String, in header: String) -> String? {
        guard let range = header.firstRange(of: "'\(key)':") else { return nil }
        var rest = header[range.upperBound...].drop(while: { $0 == " " })
        if rest.first == "(" {
            guard let close = rest.firstIndex(of: ")") else { return nil }
            return String(rest[...close])
        }
        rest = rest.prefix(while: { $0 != "," && $0 != "}" })
        return String(rest).trimmingCharacters(" ")
    }

    /// NumPy's name for a type descriptor such as `<f8`.
    static func numpyName(_ descr: String) -> String {
        let kinds: [Character: String] = ["f": "float", "i": "int", "u": "uint", "b": "bool", "c": "complex", "U": "str", "O": "object"]
        guard descr.count >= 3, let kind = kinds[descr[descr.index(after: descr.startIndex)]],
              let bytes = Int(descr.dropFirst(2)) else { return "unknown" }
        return kind == "bool" || kind == "str" || kind == "object" ? kind : "\(kind)\(bytes * 8)"
    }

    private static func le16(_ v: UInt16) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8((v >> (8 * $0)) & 0xff) } }
}

extension String {
    var trimmingQuotes: String { trimmingCharacters(" '\"") }

    func trimmingCharacters(_ set: String) -> String {
        var s = Substring(self)
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
