import DLRTModel

/// ONNX element types (TensorProto.DataType numbering).
enum EType: Int32, CustomStringConvertible {
    case float = 1, uint8 = 2, int8 = 3, uint16 = 4, int16 = 5, int32 = 6, int64 = 7, string = 8, bool = 9
    case float16 = 10, double = 11, uint32 = 12, uint64 = 13, complex64 = 14, complex128 = 15, bfloat16 = 16

    var isFloat: Bool { self == .float || self == .float16 || self == .double || self == .bfloat16 }
    /// Types whose values the converter can hold in a `ConstTensor`.
    var isNumeric: Bool { self != .string && self != .complex64 && self != .complex128 }

    /// The dlrt element type, when the runtime has one for it.
    var dtype: DType? {
        switch self {
        case .float: return .float32
        case .uint8: return .uint8
        case .int8: return .int8
        case .int32: return .int32
        case .int64: return .int64
        case .bool: return .bool
        case .float16: return .float16
        default: return nil
        }
    }

    var description: String {
        switch self {
        case .float: return "float32"
        case .uint8: return "uint8"
        case .int8: return "int8"
        case .uint16: return "uint16"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .string: return "string"
        case .bool: return "bool"
        case .float16: return "float16"
        case .double: return "float64"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .complex64: return "complex64"
        case .complex128: return "complex128"
        case .bfloat16: return "bfloat16"
        }
    }

    static func named(_ code: Int32) -> String {
        if let t = EType(rawValue: code) { return t.description }
        let more: [Int32: String] = [17: "float8e4m3fn", 18: "float8e4m3fnuz", 19: "float8e5m2", 20: "float8e5m2fnuz",
                                     21: "uint4", 22: "int4", 23: "float4e2m1", 24: "float8e8m0", 25: "uint2", 26: "int2"]
        return more[code] ?? "ONNX element type \(code)"
    }
}

/// A constant tensor held by the converter: floating types as `[Float]`, integer and bool types
/// as `[Int64]` (exactly one of the two is used, chosen by `type.isFloat`).
struct ConstTensor {
    var type: EType
    var shape: [Int]
    var f: [Float] = []
    var i: [Int64] = []

    init(type: EType, shape: [Int], f: [Float]) { self.type = type; self.shape = shape; self.f = f }
    init(type: EType, shape: [Int], i: [Int64]) { self.type = type; self.shape = shape; self.i = i }

    var count: Int { type.isFloat ? f.count : i.count }
    var rank: Int { shape.count }

    /// Values as Int64 (floats truncated); for shape computations.
    var ints: [Int64] {
        type.isFloat ? f.map { $0.isFinite ? Int64(exactly: $0.rounded(.towardZero)) ?? 0 : 0 } : i
    }
    var floats: [Float] { type.isFloat ? f : i.map { Float($0) } }

    /// Converts to `to`, following ONNX Cast (float → int truncates toward zero; to bool: != 0).
    func cast(to t: EType) -> ConstTensor {
        if t.isFloat { return ConstTensor(type: t, shape: shape, f: floats) }
        var v = ints
        switch t {
        case .bool: v = type.isFloat ? f.map { $0 != 0 ? 1 : 0 } : i.map { $0 != 0 ? 1 : 0 }
        case .int32: v = v.map { Int64(Int32(truncatingIfNeeded: $0)) }
        case .int16: v = v.map { Int64(Int16(truncatingIfNeeded: $0)) }
        case .int8: v = v.map { Int64(Int8(truncatingIfNeeded: $0)) }
        case .uint8: v = v.map { Int64(UInt8(truncatingIfNeeded: $0)) }
        case .uint16: v = v.map { Int64(UInt16(truncatingIfNeeded: $0)) }
        case .uint32: v = v.map { Int64(UInt32(truncatingIfNeeded: $0)) }
        default: break
        }
        return ConstTensor(type: t, shape: shape, i: v)
    }

    /// A copy with the same type holding the elements at `indices` of the flat data.
    func gathering(_ indices: [Int], shape: [Int]) -> ConstTensor {
        type.isFloat ? ConstTensor(type: type, shape: shape, f: indices.map { f[$0] })
                     : ConstTensor(type: type, shape: shape, i: indices.map { i[$0] })
    }

    func reshaped(_ s: [Int]) -> ConstTensor { var c = self; c.shape = s; return c }

    static func int64(_ v: [Int64], shape: [Int]? = nil) -> ConstTensor {
        ConstTensor(type: .int64, shape: shape ?? [v.count], i: v)
    }
    static func float(_ v: [Float], shape: [Int]) -> ConstTensor { ConstTensor(type: .float, shape: shape, f: v) }
}

/// Largest number of elements the constant folder will materialise for one tensor.
let foldElementLimit = 1 << 24

/// An ONNX attribute as read from the file.
enum OAttr {
    case int(Int64), float(Float), ints([Int64]), floats([Float]), string(String), strings([String])
    case tensor(ConstTensor)
    case other(String)   // graphs, sparse tensors, type protos: never supported

    var describe: String {
        switch self {
        case .int(let v): return String(v)
        case .float(let v): return String(v)
        case .ints(let v): return "[" + v.map(String.init).joined(separator: ",") + "]"
        case .floats(let v): return "[" + v.map { String($0) }.joined(separator: ",") + "]"
        case .string(let s): return "\"\(s)\""
        case .strings(let v): return "[" + v.map { "\"\($0)\"" }.joined(separator: ",") + "]"
        case .tensor(let t): return "tensor \(t.type) \(describe(t.shape))"
        case .other(let s): return s
        }
    }
    private func describe(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ",") + "]" }
}

/// A node of the working graph: ONNX op type and attributes, tensors referred to by name
/// ("" = absent optional input).
struct WNode {
    var name: String
    var op: String
    var domain: String
    var inputs: [String]
    var outputs: [String]
    var attrs: [String: OAttr]

    func input(_ k: Int) -> String { k < inputs.count ? inputs[k] : "" }
    func output(_ k: Int) -> String { k < outputs.count ? outputs[k] : "" }

    var label: String { "node '\(name)' (\(op))" }

    func int(_ key: String) -> Int64? { if case .int(let v)? = attrs[key] { return v }; return nil }
    func float(_ key: String) -> Float? {
        switch attrs[key] { case .float(let v)?: return v; case .int(let v)?: return Float(v); default: return nil }
    }
    func ints(_ key: String) -> [Int64]? { if case .ints(let v)? = attrs[key] { return v }; return nil }
    func floats(_ key: String) -> [Float]? { if case .floats(let v)? = attrs[key] { return v }; return nil }
    func string(_ key: String) -> String? { if case .string(let v)? = attrs[key] { return v }; return nil }

    func unsupported(_ what: String) -> ModelError {
        ModelError(.unsupported, "\(label): \(what)")
    }
    func invalid(_ what: String) -> ModelError {
        ModelError(.invalidModel, "\(label): \(what)")
    }
}

/// Declared or inferred facts about a tensor. `shape == nil`: rank unknown. `shapeValue`: for
/// small int tensors holding a shape (output of Shape/Gather/Concat…), the elements as dims —
/// fixed, symbolic (a dim of some tensor) or nil (unknown).
struct ValueInfo {
    var type: EType?
    var shape: [Dim]?
    var shapeValue: [Dim?]? = nil
}

/// The converter's mutable graph.
struct WGraph {
    var nodes: [WNode] = []
    var constants: [String: ConstTensor] = [:]
    var inputs: [String] = []
    var outputs: [String] = []
    /// Declared types/shapes of graph inputs and outputs, and ONNX value_info hints.
    var declared: [String: ValueInfo] = [:]
    /// Inferred types/shapes (recomputed by `ShapeInference`).
    var info: [String: ValueInfo] = [:]
    var opset: Int = 13
    var warnings: [String] = []
    private var nameCounter = 0

    /// A tensor name not used anywhere yet, derived from `base`.
    mutating func freshName(_ base: String) -> String {
        while true {
            nameCounter += 1
            let n = "\(base)__\(nameCounter)"
            if constants[n] == nil && info[n] == nil && declared[n] == nil
                && !nodes.contains(where: { $0.outputs.contains(n) || $0.inputs.contains(n) }) {
                return n
            }
        }
    }

    /// Number of nodes reading each tensor, plus one for each graph-output use.
    func useCounts() -> [String: Int] {
        var c: [String: Int] = [:]
        for n in nodes { for i in n.inputs where !i.isEmpty { c[i, default: 0] += 1 } }
        for o in outputs { c[o, default: 0] += 1 }
        return c
    }

    func producerIndex() -> [String: Int] {
        var p: [String: Int] = [:]
        for (k, n) in nodes.enumerated() { for o in n.outputs where !o.isEmpty { p[o] = k } }
        return p
    }

    func typeOf(_ name: String) -> EType? {
        constants[name]?.type ?? info[name]?.type ?? declared[name]?.type
    }
    func shapeOf(_ name: String) -> [Dim]? {
        if let c = constants[name] { return c.shape.map { .fixed($0) } }
        return info[name]?.shape ?? declared[name]?.shape
    }

    /// Replaces every use of `old` (node inputs) by `new`.
    mutating func replaceUses(of old: String, with new: String) {
        for k in nodes.indices {
            for j in nodes[k].inputs.indices where nodes[k].inputs[j] == old { nodes[k].inputs[j] = new }
        }
    }

    /// Renames a tensor everywhere (producers, consumers, graph outputs, facts).
    mutating func rename(_ old: String, to new: String) {
        for k in nodes.indices {
            for j in nodes[k].inputs.indices where nodes[k].inputs[j] == old { nodes[k].inputs[j] = new }
            for j in nodes[k].outputs.indices where nodes[k].outputs[j] == old { nodes[k].outputs[j] = new }
        }
        for j in outputs.indices where outputs[j] == old { outputs[j] = new }
        if let c = constants.removeValue(forKey: old) { constants[new] = c }
        if let i = info.removeValue(forKey: old) { info[new] = i }
    }
}
