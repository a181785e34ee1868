// Context functions of the C API (see include/dlrt.h for ownership and lifetimes).
import CDLRTSupport
import DLRTModel
import DLRTRuntime

/// Largest thread count a context accepts.
let maxThreads: UInt32 = 256

/// `struct_size` of version 0.1's options (struct_size, num_threads, max_arena_bytes).
let contextOptionsV01Size: UInt32 = 16

@_cdecl("dlrt_context_options_init")
public func dlrt_context_options_init(_ options: UnsafeMutablePointer<dlrt_context_options>?) {
    guard let options else { return }
    options.pointee = dlrt_context_options(struct_size: UInt32(MemoryLayout<dlrt_context_options>.size),
                                           num_threads: 1, max_arena_bytes: 0,
                                           idle: DLRT_IDLE_SPIN_THEN_SLEEP.rawValue, spin_microseconds: 0,
                                           worker_cpus: nil, worker_cpu_count: 0, reserved: 0)
}

@_cdecl("dlrt_context_create")
public func dlrt_context_create(_ model: OpaquePointer?, _ options: UnsafePointer<dlrt_context_options>?,
                                _ out: UnsafeMutablePointer<OpaquePointer?>?) -> dlrt_status {
    withStatus {
        guard let out else { throw nullArgument("dlrt_context_create", "out_context") }
        out.pointee = nil
        guard let handle = modelHandle(model) else { throw nullArgument("dlrt_context_create", "model") }
        let settings = try contextSettings(options)
        let context = try Context(model: handle.model, options: settings)
        out.pointee = OpaquePointer(Unmanaged.passRetained(ContextHandle(modelHandle: handle, context: context)).toOpaque())
    }
}

/// Validates the caller's options (any layout this library has shipped) into `Context.Options`.
func contextSettings(_ options: UnsafePointer<dlrt_context_options>?) throws -> Context.Options {
    var settings = Context.Options()
    guard let options else { return settings }
    let size = options.pointee.struct_size
    let current = UInt32(MemoryLayout<dlrt_context_options>.size)
    guard size == current || size == contextOptionsV01Size else {
        throw ModelError(.invalidArgument, "dlrt_context_create: options.struct_size is \(size), expected \(current) (call dlrt_context_options_init)")
    }
    // Version 0.1's 16-byte struct: read only its fields (the caller's memory ends there).
    let raw = UnsafeRawPointer(options)
    let threads = raw.load(fromByteOffset: 4, as: UInt32.self)
    guard threads <= maxThreads else {
        throw ModelError(.invalidArgument, "dlrt_context_create: num_threads is \(threads), the maximum is \(maxThreads)")
    }
    settings.threadCount = Int(Swift.max(threads, 1))
    settings.maxArenaBytes = Int(clamping: raw.load(fromByteOffset: 8, as: UInt64.self))
    guard size == current else { return settings }
    let o = options.pointee
    guard let idle = Workers.Idle(rawValue: o.idle) else {
        throw ModelError(.invalidArgument, "dlrt_context_create: idle is \(o.idle), expected DLRT_IDLE_SPIN_THEN_SLEEP (0), DLRT_IDLE_SPIN (1) or DLRT_IDLE_SLEEP (2)")
    }
    guard o.spin_microseconds <= 1_000_000 else {
        throw ModelError(.invalidArgument, "dlrt_context_create: spin_microseconds is \(o.spin_microseconds), the maximum is 1000000")
    }
    guard o.reserved == 0 else {
        throw ModelError(.invalidArgument, "dlrt_context_create: options.reserved is \(o.reserved), expected 0")
    }
    settings.idle = idle
    settings.spinMicroseconds = Int(o.spin_microseconds)
    if o.worker_cpu_count > 0 {
        guard let cpus = o.worker_cpus else { throw nullArgument("dlrt_context_create", "options.worker_cpus (worker_cpu_count > 0)") }
        guard o.worker_cpu_count <= 4096 else {
            throw ModelError(.invalidArgument, "dlrt_context_create: worker_cpu_count is \(o.worker_cpu_count), the maximum is 4096")
        }
        let list = Array(UnsafeBufferPointer(start: cpus, count: Int(o.worker_cpu_count)))
        settings.workerCPUs = list
    }
    return settings
}

@_cdecl("dlrt_context_destroy")
public func dlrt_context_destroy(_ context: OpaquePointer?) {
    guard let context else { return }
    Unmanaged<ContextHandle>.fromOpaque(UnsafeRawPointer(context)).release()
}

@_cdecl("dlrt_context_set_input")
public func dlrt_context_set_input(_ context: OpaquePointer?, _ index: Int, _ dtype: dlrt_dtype,
                                   _ shape: UnsafePointer<Int64>?, _ rank: Int,
                                   _ data: UnsafeRawPointer?, _ byteSize: Int) -> dlrt_status {
    withStatus {
        guard let handle = contextHandle(context) else { throw nullArgument("dlrt_context_set_input", "context") }
        guard rank >= 0 && rank <= 64 else { throw ModelError(.invalidArgument, "dlrt_context_set_input: rank \(rank) is out of range") }
        guard shape != nil || rank == 0 else { throw nullArgument("dlrt_context_set_input", "shape") }
        guard dtype.rawValue <= UInt8.max, let type = DType(rawValue: UInt8(dtype.rawValue)) else {
            throw ModelError(.invalidArgument, "dlrt_context_set_input: unknown dtype \(dtype.rawValue)")
        }
        guard byteSize >= 0 else { throw ModelError(.invalidArgument, "dlrt_context_set_input: byte_size is negative") }
        try handle.context.setInput(index, dtype: type, shape: UnsafeBufferPointer(start: shape, count: rank),
                                    data: data, byteCount: byteSize)
    }
}

@_cdecl("dlrt_context_set_output")
public func dlrt_context_set_output(_ context: OpaquePointer?, _ index: Int, _ data: UnsafeMutableRawPointer?,
                                    _ byteSize: Int) -> dlrt_status {
    withStatus {
        guard let handle = contextHandle(context) else { throw nullArgument("dlrt_context_set_output", "context") }
        try handle.context.setOutput(index, data: data, byteCount: byteSize)
    }
}

@_cdecl("dlrt_context_run")
public func dlrt_context_run(_ context: OpaquePointer?) -> dlrt_status {
    withStatus {
        guard let handle = contextHandle(context) else { throw nullArgument("dlrt_context_run", "context") }
        try handle.context.run()
    }
}

@_cdecl("dlrt_context_get_output")
public func dlrt_context_get_output(_ context: OpaquePointer?, _ index: Int,
                                    _ outData: UnsafeMutablePointer<UnsafeRawPointer?>?,
                                    _ outByteSize: UnsafeMutablePointer<Int>?,
                                    _ outShape: UnsafeMutablePointer<UnsafePointer<Int64>?>?,
                                    _ outRank: UnsafeMutablePointer<Int>?) -> dlrt_status {
    withStatus {
        guard let handle = contextHandle(context) else { throw nullArgument("dlrt_context_get_output", "context") }
        let result = try handle.context.output(index)
        outData?.pointee = result.data
        outByteSize?.pointee = result.byteCount
        outShape?.pointee = UnsafePointer(handle.context.outputShapes[index])
        outRank?.pointee = handle.context.outputRanks[index]
    }
}

@_cdecl("dlrt_context_arena_bytes")
public func dlrt_context_arena_bytes(_ context: OpaquePointer?) -> Int {
    contextHandle(context)?.context.arenaByteCount ?? 0
}
