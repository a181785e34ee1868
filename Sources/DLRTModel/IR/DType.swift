/// Element types of tensors. The raw values are written into `.dlrt` files and are FROZEN:
/// never renumber a case; a retired tag stays reserved forever.
public enum DType: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case float32 = 1
    case float16 = 2
    case int8 = 3
    case uint8 = 4
    case int32 = 5
    case int64 = 6
    case bool = 7

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32: return 4
        case .float16: return 2
        case .int8, .uint8, .bool: return 1
        case .int64: return 8
        }
    }

    public var description: String {
        switch self {
        case .float32: return "float32"
        case .float16: return "float16"
        case .int8: return "int8"
        case .uint8: return "uint8"
        case .int32: return "int32"
        case .int64: return "int64"
        case .bool: return "bool"
        }
    }
}
