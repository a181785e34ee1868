// libFuzzer target: .dlrt reader, then load-then-run.
// 1. ModelReader.read on the bytes as given (mutations mostly fail a checksum here).
// 2. The same bytes with the file size and every crc32 (header, section table, sections)
//    recomputed, so mutations reach the section decoder, the graph validator and the runtime:
//    read → CompiledModel(graph:) → Context → bind zero inputs of the declared shapes (symbolic
//    dims = 1) when they are small → run → read every output.
// Any trap, ASan report or leak is a bug; thrown ModelErrors are the expected outcome.
import CZlib
import DLRTModel
import DLRTRuntime

/// Inputs larger than this are not bound (the run is skipped): keeps executions fast.
let maxInputBytes = 1 << 20
/// See the KNOWN ISSUE note in fuzzDLRT.
/// Arena cap for the fuzzed context: a plan above it must fail with an out-of-memory error.
let maxArenaBytes = 64 << 20

/// One zero-filled buffer shared by every input binding (never written: inputs are read-only).
let zeros: UnsafeMutableRawPointer = {
    let p = UnsafeMutableRawPointer.allocate(byteCount: maxInputBytes, alignment: 64)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: maxInputBytes)
    return p
}()

/// Rewrites the declared file size and every checksum the container format has, where the
/// offsets needed to find them are in bounds (the harness must not trap either).
func fixChecksums(_ b: UnsafeMutableRawBufferPointer) {
    let size = b.count
    guard size >= 64 else { return }
    func crc(_ from: Int, _ count: Int) -> UInt32 {
        UInt32(crc32(0, b.baseAddress!.assumingMemoryBound(to: UInt8.self) + from, UInt32(count)))
    }
    func u32(_ at: Int) -> UInt32 { b.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian }
    func u64(_ at: Int) -> UInt64 { b.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian }
    func put32(_ v: UInt32, _ at: Int) { b.storeBytes(of: v.littleEndian, toByteOffset: at, as: UInt32.self) }
    b.storeBytes(of: UInt64(size).littleEndian, toByteOffset: 16, as: UInt64.self)
    let tableOffset = u64(24), count = UInt64(u32(32))
    if tableOffset <= UInt64(size), count * 32 <= UInt64(size) - tableOffset {
        let table = Int(tableOffset)
        for i in 0 ..< Int(count) {
            let e = table + 32 * i
            let off = u64(e + 8), len = u64(e + 16)
            if off <= UInt64(size), len <= UInt64(size) - off { put32(crc(Int(off), Int(len)), e + 24) }
        }
        put32(crc(table, Int(count) * 32), 36)
    }
    put32(crc(0, 60), 60)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDLRT(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    _ = try? ModelReader.read(Blob(copying: raw), source: "<fuzz>")

    let blob = Blob(copying: raw)
    if size > 0 { fixChecksums(UnsafeMutableRawBufferPointer(mutating: blob.bytes)) }
    guard let graph = try? ModelReader.read(blob, source: "<fuzz>") else { return 0 }
    guard let model = try? CompiledModel(graph: graph) else { return 0 }
    var options = Context.Options()
    options.maxArenaBytes = maxArenaBytes
    guard let context = try? Context(model: model, options: options) else { return 0 }
    for (k, tensor) in model.inputs.enumerated() {
        let shape = tensor.shape.map { Int64($0.fixedValue ?? 1) }
        guard let count = checkedElementCount(shape.map { Int($0) }),
              case let (bytes, o) = count.multipliedReportingOverflow(by: tensor.dtype.byteSize),
              !o, bytes <= maxInputBytes else { return 0 }
        let bound: Void? = shape.withUnsafeBufferPointer {
            try? context.setInput(k, dtype: tensor.dtype, shape: $0, data: UnsafeRawPointer(zeros), byteCount: bytes)
        }
        if bound == nil { return 0 }
    }
    guard (try? context.run()) != nil else { return 0 }
    for k in model.outputs.indices { _ = try? context.output(k) }
    return 0
}
