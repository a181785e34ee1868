import DLRTModel
#if canImport(Glibc)
import Glibc
#endif

/// A failure of the command-line tool, printed as `dlrt: <message>`.
struct ToolError: Error, CustomStringConvertible {
    var description: String
    init(_ message: String) { description = message }
}

func readFile(_ path: String) throws -> [UInt8] {
    guard let f = fopen(path, "rb") else { throw ToolError("\(path): \(String(cString: strerror(errno)))") }
    defer { fclose(f) }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = fread(&buffer, 1, buffer.count, f)
        if n > 0 { out.append(contentsOf: buffer[0 ..< n]) }
        if n < buffer.count {
            if ferror(f) != 0 { throw ToolError("\(path): read error") }
            break
        }
    }
    return out
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`: a reader never
/// sees a half-written file and a failure leaves any existing file untouched (a device such as
/// /dev/null is written in place: see `ModelWriter.writeFile`).
func writeFileAtomically(_ path: String, _ bytes: [UInt8]) throws {
    do {
        try bytes.withUnsafeBytes { try ModelWriter.writeFile($0, to: path) }
    } catch let e as ModelError {
        throw ToolError(e.message)
    }
}

/// Monotonic time in nanoseconds.
func nowNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}

func printError(_ message: String) {
    fputs("dlrt: \(message)\n", stderr)
}

/// Size of the file at `path` in bytes, or 0 if it cannot be read.
func fileSize(_ path: String) -> Int {
    var info = stat()
    return stat(path, &info) == 0 ? Int(info.st_size) : 0
}
