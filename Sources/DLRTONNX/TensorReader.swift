import COnnx
import DLRTModel

extension ProtoReader {
    /// Largest constant the converter accepts (elements); far above any real weight tensor.
    static let maxConstantElements = 1 << 32

    /// Decodes a TensorProto (raw_data or the typed repeated fields). The claimed shape is
    /// checked against the bytes present before anything is allocated.
    static func readTensor(_ t: Onnx__TensorProto, name: String) throws -> ConstTensor {
        if (t.has_data_location != 0 && t.data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) || t.n_external_data > 0 {
            throw ModelError(.unsupported, "\(name): external tensor data is not supported; re-save the model with all tensors inside the .onnx file (onnx.save(model, path, save_as_external_data=False))")
        }
        if t.segment != nil { throw ModelError(.unsupported, "\(name): segmented tensors are not supported") }
        var shape: [Int] = []
        for d in try array(t.dims, t.n_dims, "\(name) dims") {
            guard d >= 0, let v = Int(exactly: d) else { throw ModelError(.invalidModel, "\(name): invalid dimension \(d)") }
            shape.append(v)
        }
        guard let count = checkedElementCount(shape, limit: maxConstantElements) else {
            throw ModelError(.invalidModel, "\(name): shape \(describe(shape)) has too many elements")
        }
        let code = t.has_data_type != 0 ? t.data_type : 0
        guard let type = EType(rawValue: code), type.isNumeric else {
            throw ModelError(.unsupported, "\(name): element type \(EType.named(code)) is not supported by dlrt")
        }
        let raw: UnsafeRawBufferPointer? = (t.has_raw_data != 0 || t.raw_data.len > 0)
            ? UnsafeRawBufferPointer(start: t.raw_data.data, count: t.raw_data.data == nil ? 0 : t.raw_data.len) : nil

        func mismatch(_ have: Int) -> ModelError {
            ModelError(.invalidModel, "\(name): shape \(describe(shape)) needs \(count) \(type) elements, the file holds \(have)")
        }
        func rawValues<T>(_: T.Type) throws -> [T] {
            guard let raw else { throw mismatch(0) }
            let size = MemoryLayout<T>.size
            guard raw.count == count * size else { throw mismatch(raw.count / size) }
            return [T](unsafeUninitializedCapacity: count) { buf, n in
                if count > 0, let src = raw.baseAddress, let dst = buf.baseAddress {
                    UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: count * size)
                }
                n = count
            }
        }
        func typed<T>(_ p: UnsafeMutablePointer<T>?, _ n: Int) throws -> UnsafeBufferPointer<T> {
            guard n == count else { throw mismatch(n) }
            return try array(p, n, name)
        }

        switch type {
        case .float:
            if raw != nil { return ConstTensor(type: type, shape: shape, f: try rawValues(Float.self)) }
            return ConstTensor(type: type, shape: shape, f: Array(try typed(t.float_data, t.n_float_data)))
        case .double:
            if raw != nil { return ConstTensor(type: type, shape: shape, f: try rawValues(Double.self).map { Float($0) }) }
            return ConstTensor(type: type, shape: shape, f: try typed(t.double_data, t.n_double_data).map { Float($0) })
        case .float16, .bfloat16:
            let bits: [UInt16] = raw != nil ? try rawValues(UInt16.self)
                : try typed(t.int32_data, t.n_int32_data).map { UInt16(truncatingIfNeeded: $0) }
            let f = type == .float16 ? bits.map(halfToFloat) : bits.map { Float(bitPattern: UInt32($0) << 16) }
            return ConstTensor(type: type, shape: shape, f: f)
        case .int64:
            if raw != nil { return ConstTensor(type: type, shape: shape, i: try rawValues(Int64.self)) }
            return ConstTensor(type: type, shape: shape, i: Array(try typed(t.int64_data, t.n_int64_data)))
        case .uint64, .uint32:
            if raw != nil {
                let v: [Int64] = type == .uint64 ? try rawValues(UInt64.self).map { Int64(truncatingIfNeeded: $0) }
                    : try rawValues(UInt32.self).map { Int64($0) }
                return ConstTensor(type: type, shape: shape, i: v)
            }
            return ConstTensor(type: type, shape: shape, i: try typed(t.uint64_data, t.n_uint64_data).map { Int64(truncatingIfNeeded: $0) })
        case .int32, .int16, .int8, .uint8, .uint16, .bool:
            if raw != nil {
                let v: [Int64]
                switch type {
                case .int32: v = try rawValues(Int32.self).map { Int64($0) }
                case .int16: v = try rawValues(Int16.self).map { Int64($0) }
                case .uint16: v = try rawValues(UInt16.self).map { Int64($0) }
                case .int8: v = try rawValues(Int8.self).map { Int64($0) }
                case .bool: v = try rawValues(UInt8.self).map { $0 != 0 ? 1 : 0 }
                default: v = try rawValues(UInt8.self).map { Int64($0) }
                }
                return ConstTensor(type: type, shape: shape, i: v)
            }
            return ConstTensor(type: type, shape: shape, i: try typed(t.int32_data, t.n_int32_data).map { Int64($0) })
        default:
            throw ModelError(.unsupported, "\(name): element type \(type) is not supported by dlrt")
        }
    }

    /// IEEE half → single, bit-exact (subnormals, infinities, NaN).
    static func halfToFloat(_ h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exp = Int((h >> 10) & 0x1f)
        let man = UInt32(h & 0x3ff)
        if exp == 0 {
            let v = Float(man) * Float(sign: .plus, exponent: -24, significand: 1)
            return sign != 0 ? -v : v
        }
        if exp == 31 { return Float(bitPattern: sign | 0x7f80_0000 | (man << 13)) }
        return Float(bitPattern: sign | UInt32(exp - 15 + 127) << 23 | (man << 13))
    }
}
