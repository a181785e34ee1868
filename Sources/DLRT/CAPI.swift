// The @_cdecl surface of libdlrt.so. include/dlrt.h is the contract: each function here
// implements the declaration of the same name there (ownership and lifetimes are stated there).
import CDLRTSupport
import DLRTKernels
import DLRTModel
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

let libraryVersion: StaticString = "0.1.0"

@_cdecl("dlrt_version")
public func dlrt_version() -> UnsafePointer<CChar> {
    UnsafeRawPointer(libraryVersion.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("dlrt_isa")
public func dlrt_isa() -> UnsafePointer<CChar> {
    cdlrt_isa_name(Int32(KernelTable.active.isa.rawValue))
}

@_cdecl("dlrt_format_version")
public func dlrt_format_version() -> UInt32 {
    UInt32(FormatVersion.major) << 16 | UInt32(FormatVersion.minor)
}

@_cdecl("dlrt_last_error")
public func dlrt_last_error() -> UnsafePointer<CChar> { cdlrt_last_error() }

private let statusNames: [StaticString] = [
    "DLRT_OK", "DLRT_ERROR_INVALID_ARGUMENT", "DLRT_ERROR_IO", "DLRT_ERROR_INVALID_MODEL",
    "DLRT_ERROR_UNSUPPORTED", "DLRT_ERROR_SHAPE", "DLRT_ERROR_OUT_OF_MEMORY", "DLRT_ERROR_STATE",
    "DLRT_ERROR_INTERNAL",
]
private let unknownStatus: StaticString = "DLRT_UNKNOWN_STATUS"

@_cdecl("dlrt_status_name")
public func dlrt_status_name(_ status: dlrt_status) -> UnsafePointer<CChar> {
    let i = Int(status.rawValue)
    let name = i < statusNames.count ? statusNames[i] : unknownStatus
    return UnsafeRawPointer(name.utf8Start).assumingMemoryBound(to: CChar.self)
}

@_cdecl("dlrt_dtype_size")
public func dlrt_dtype_size(_ dtype: dlrt_dtype) -> Int {
    guard dtype.rawValue <= UInt8.max, let t = DType(rawValue: UInt8(dtype.rawValue)) else { return 0 }
    return t.byteSize
}

// MARK: Models

@_cdecl("dlrt_model_load_file")
public func dlrt_model_load_file(_ path: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<OpaquePointer?>?) -> dlrt_status {
    withStatus {
        guard let out else { throw nullArgument("dlrt_model_load_file", "out_model") }
        out.pointee = nil
        guard let path else { throw nullArgument("dlrt_model_load_file", "path") }
        let model = try CompiledModel(graph: ModelReader.load(path: String(cString: path)))
        out.pointee = OpaquePointer(Unmanaged.passRetained(ModelHandle(model: model)).toOpaque())
    }
}

@_cdecl("dlrt_model_load_buffer")
public func dlrt_model_load_buffer(_ data: UnsafeRawPointer?, _ size: Int, _ flags: UInt32,
                                   _ out: UnsafeMutablePointer<OpaquePointer?>?) -> dlrt_status {
    withStatus {
        guard let out else { throw nullArgument("dlrt_model_load_buffer", "out_model") }
        out.pointee = nil
        guard let data else { throw nullArgument("dlrt_model_load_buffer", "data") }
        guard flags <= 1 else { throw ModelError(.invalidArgument, "dlrt_model_load_buffer: unknown flags 0x\(String(flags, radix: 16)) (expected DLRT_LOAD_COPY or DLRT_LOAD_BORROW)") }
        let bytes = UnsafeRawBufferPointer(start: data, count: size)
        let aligned = Int(bitPattern: data) % 64 == 0
        let blob = (flags == 1 && aligned) ? Blob(bytes: bytes, release: nil) : Blob(copying: bytes)
        let model = try CompiledModel(graph: ModelReader.read(blob, source: "<buffer>"))
        out.pointee = OpaquePointer(Unmanaged.passRetained(ModelHandle(model: model)).toOpaque())
    }
}

@_cdecl("dlrt_model_destroy")
public func dlrt_model_destroy(_ model: OpaquePointer?) {
    guard let model else { return }
    Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(model)).release()
}

@_cdecl("dlrt_model_input_count")
public func dlrt_model_input_count(_ model: OpaquePointer?) -> Int { modelHandle(model)?.inputs.count ?? 0 }

@_cdecl("dlrt_model_output_count")
public func dlrt_model_output_count(_ model: OpaquePointer?) -> Int { modelHandle(model)?.outputs.count ?? 0 }

private func tensorInfo(_ function: String, _ model: OpaquePointer?, _ index: Int,
                        _ out: UnsafeMutablePointer<dlrt_tensor_info>?, _ list: (ModelHandle) -> [CTensorInfo]) -> dlrt_status {
    withStatus {
        guard let handle = modelHandle(model) else { throw nullArgument(function, "model") }
        guard let out else { throw nullArgument(function, "out_info") }
        let infos = list(handle)
        guard index >= 0 && index < infos.count else {
            throw ModelError(.invalidArgument, "\(function): index \(index) is out of range (the model has \(infos.count))")
        }
        infos[index].fill(out)
    }
}

@_cdecl("dlrt_model_input_info")
public func dlrt_model_input_info(_ model: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<dlrt_tensor_info>?) -> dlrt_status {
    tensorInfo("dlrt_model_input_info", model, index, out) { $0.inputs }
}

@_cdecl("dlrt_model_output_info")
public func dlrt_model_output_info(_ model: OpaquePointer?, _ index: Int, _ out: UnsafeMutablePointer<dlrt_tensor_info>?) -> dlrt_status {
    tensorInfo("dlrt_model_output_info", model, index, out) { $0.outputs }
}

private func tensorIndex(_ function: String, _ kind: String, _ model: OpaquePointer?, _ name: UnsafePointer<CChar>?,
                         _ out: UnsafeMutablePointer<Int>?, _ list: (ModelHandle) -> [CTensorInfo]) -> dlrt_status {
    withStatus {
        guard let handle = modelHandle(model) else { throw nullArgument(function, "model") }
        guard let name else { throw nullArgument(function, "name") }
        guard let out else { throw nullArgument(function, "out_index") }
        let infos = list(handle)
        for (k, info) in infos.enumerated() where strcmp(info.name, name) == 0 {
            out.pointee = k
            return
        }
        let known = infos.map { "'" + String(cString: $0.name) + "'" }.joined(separator: ", ")
        throw ModelError(.invalidArgument, "the model has no \(kind) named '\(String(cString: name))' (its \(kind)s: \(known))")
    }
}

@_cdecl("dlrt_model_input_index")
public func dlrt_model_input_index(_ model: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int>?) -> dlrt_status {
    tensorIndex("dlrt_model_input_index", "input", model, name, out) { $0.inputs }
}

@_cdecl("dlrt_model_output_index")
public func dlrt_model_output_index(_ model: OpaquePointer?, _ name: UnsafePointer<CChar>?, _ out: UnsafeMutablePointer<Int>?) -> dlrt_status {
    tensorIndex("dlrt_model_output_index", "output", model, name, out) { $0.outputs }
}

@_cdecl("dlrt_model_metadata_count")
public func dlrt_model_metadata_count(_ model: OpaquePointer?) -> Int { modelHandle(model)?.metadata.count ?? 0 }

@_cdecl("dlrt_model_metadata_at")
public func dlrt_model_metadata_at(_ model: OpaquePointer?, _ index: Int, _ key: UnsafeMutablePointer<UnsafePointer<CChar>?>?,
                                   _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> dlrt_status {
    withStatus {
        guard let handle = modelHandle(model) else { throw nullArgument("dlrt_model_metadata_at", "model") }
        guard index >= 0 && index < handle.metadata.count else {
            throw ModelError(.invalidArgument, "dlrt_model_metadata_at: index \(index) is out of range (the model has \(handle.metadata.count) entries)")
        }
        key?.pointee = UnsafePointer(handle.metadata[index].key)
        value?.pointee = UnsafePointer(handle.metadata[index].value)
    }
}

@_cdecl("dlrt_model_metadata_get")
public func dlrt_model_metadata_get(_ model: OpaquePointer?, _ key: UnsafePointer<CChar>?,
                                    _ value: UnsafeMutablePointer<UnsafePointer<CChar>?>?) -> dlrt_status {
    withStatus {
        guard let handle = modelHandle(model) else { throw nullArgument("dlrt_model_metadata_get", "model") }
        guard let key else { throw nullArgument("dlrt_model_metadata_get", "key") }
        guard let value else { throw nullArgument("dlrt_model_metadata_get", "out_value") }
        value.pointee = nil
        if let entry = handle.metadata.first(where: { strcmp($0.key, key) == 0 }) {
            value.pointee = UnsafePointer(entry.value)
        }
    }
}
