/// Immutable bytes that outlive every view into them: a heap copy, a borrowed caller buffer, or an
/// `mmap`ed file. Constant tensors point into a blob; the blob is released when the last
/// reference goes away.
public final class Blob: @unchecked Sendable {
    public let bytes: UnsafeRawBufferPointer
    private let release: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// Wraps memory owned elsewhere; `release` runs once when the blob is freed.
    public init(bytes: UnsafeRawBufferPointer, release: (@Sendable (UnsafeRawBufferPointer) -> Void)?) {
        self.bytes = bytes
        self.release = release
    }

    /// A 64-byte aligned heap copy of `source`.
    public convenience init(copying source: UnsafeRawBufferPointer) {
        let count = Swift.max(source.count, 1)
        let p = UnsafeMutableRawPointer.allocate(byteCount: count, alignment: 64)
        if let base = source.baseAddress, source.count > 0 {
            p.copyMemory(from: base, byteCount: source.count)
        }
        self.init(bytes: UnsafeRawBufferPointer(start: p, count: source.count)) { b in
            UnsafeMutableRawPointer(mutating: b.baseAddress!).deallocate()
        }
    }

    deinit { release?(bytes) }
}

extension Blob {
    /// A 64-byte aligned heap copy of the elements of `array`.
    public static func copying<T>(_ array: [T]) -> Blob {
        array.withUnsafeBytes { Blob(copying: $0) }
    }
}
