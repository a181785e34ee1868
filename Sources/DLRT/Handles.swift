import CDLRTSupport
import DLRTModel
import DLRTRuntime
#if canImport(Glibc)
import Glibc
#endif

/// The object behind a `dlrt_model*`: the compiled model plus C strings and shape arrays for
/// introspection, allocated once at load and freed with the handle.
final class ModelHandle {
    let model: CompiledModel
    let inputs: [CTensorInfo]
    let outputs: [CTensorInfo]
    let metadata: [(key: UnsafeMutablePointer<CChar>, value: UnsafeMutablePointer<CChar>)]

    init(model: CompiledModel) {
        self.model = model
        inputs = model.inputs.map(CTensorInfo.init)
        outputs = model.outputs.map(CTensorInfo.init)
        metadata = model.graph.metadata.map { (strdup($0.key)!, strdup($0.value)!) }
    }

    deinit {
        for m in metadata { free(m.key); free(m.value) }
    }
}

/// C-side description of one graph input or output; pointers live as long as the handle.
final class CTensorInfo {
    let name: UnsafeMutablePointer<CChar>
    let dtype: DType
    let shape: UnsafeMutablePointer<Int64>
    let dimNames: UnsafeMutablePointer<UnsafePointer<CChar>?>
    let rank: Int

    init(_ tensor: Tensor) {
        name = strdup(tensor.name)!
        dtype = tensor.dtype
        rank = tensor.shape.count
        shape = .allocate(capacity: Swift.max(rank, 1))
        dimNames = .allocate(capacity: Swift.max(rank, 1))
        for (d, dim) in tensor.shape.enumerated() {
            switch dim {
            case .fixed(let v):
                shape[d] = Int64(v)
                dimNames[d] = nil
            case .symbolic(let s):
                shape[d] = -1
                dimNames[d] = UnsafePointer(strdup(s))
            }
        }
    }

    func fill(_ out: UnsafeMutablePointer<dlrt_tensor_info>) {
        out.pointee = dlrt_tensor_info(name: UnsafePointer(name), dtype: dlrt_dtype(UInt32(dtype.rawValue)),
                                       rank: rank, shape: UnsafePointer(shape), dim_names: UnsafePointer(dimNames))
    }

    deinit {
        free(name)
        for d in 0 ..< rank { if let p = dimNames[d] { free(UnsafeMutablePointer(mutating: p)) } }
        shape.deallocate()
        dimNames.deallocate()
    }
}

/// The object behind a `dlrt_context*`. It keeps its model handle alive.
final class ContextHandle {
    let modelHandle: ModelHandle
    let context: Context

    init(modelHandle: ModelHandle, context: Context) {
        self.modelHandle = modelHandle
        self.context = context
    }
}

// MARK: Status and errors

/// Runs `body`; a thrown error becomes a status code plus this thread's last-error message.
@inline(__always)
func withStatus(_ body: () throws -> Void) -> dlrt_status {
    do {
        try body()
        return DLRT_OK
    } catch let error as ModelError {
        cdlrt_set_error(error.message)
        return status(of: error.kind)
    } catch {
        cdlrt_set_error("internal error: \(error)")
        return DLRT_ERROR_INTERNAL
    }
}

func status(of kind: ModelError.Kind) -> dlrt_status {
    switch kind {
    case .io: return DLRT_ERROR_IO
    case .invalidModel: return DLRT_ERROR_INVALID_MODEL
    case .unsupported: return DLRT_ERROR_UNSUPPORTED
    case .invalidArgument: return DLRT_ERROR_INVALID_ARGUMENT
    case .shape: return DLRT_ERROR_SHAPE
    case .outOfMemory: return DLRT_ERROR_OUT_OF_MEMORY
    case .state: return DLRT_ERROR_STATE
    case .internalError: return DLRT_ERROR_INTERNAL
    }
}

func nullArgument(_ function: String, _ name: String) -> ModelError {
    ModelError(.invalidArgument, "\(function): \(name) is NULL")
}

@inline(__always)
func modelHandle(_ p: OpaquePointer?) -> ModelHandle? {
    guard let p else { return nil }
    return Unmanaged<ModelHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}

@inline(__always)
func contextHandle(_ p: OpaquePointer?) -> ContextHandle? {
    guard let p else { return nil }
    return Unmanaged<ContextHandle>.fromOpaque(UnsafeRawPointer(p)).takeUnretainedValue()
}
