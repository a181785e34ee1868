/// A node attribute value. Type tags written to the file are FROZEN (see docs/FORMAT.md).
public enum AttributeValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int64)
    case float(Float)
    case ints([Int64])
    case floats([Float])
    case string(String)

    public var typeTag: UInt8 {
        switch self {
        case .int: return 1
        case .float: return 2
        case .ints: return 3
        case .floats: return 4
        case .string: return 5
        }
    }

    public var description: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
        case .floats(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .string(let v): return "\"" + v + "\""
        }
    }
}
