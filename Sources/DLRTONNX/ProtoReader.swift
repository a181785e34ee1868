import COnnx
import DLRTModel

/// What the converter keeps of an ONNX ModelProto (copied out of protobuf-c's structures, which
/// are freed before conversion continues).
struct OModel {
    var irVersion: Int64?
    var opsets: [(domain: String, version: Int64)] = []
    var producerName = ""
    var producerVersion = ""
    var docString = ""
    var metadata: [(String, String)] = []
    var graph = WGraph()
    var initializerNames: Set<String> = []
}

/// Reads protobuf-c structures. Every pointer and count is checked: a repeated field with a
/// non-zero count but a NULL array is treated as malformed, never dereferenced.
enum ProtoReader {
    static func parse(_ bytes: UnsafeRawBufferPointer, source: String) throws -> OModel {
        guard let base = bytes.baseAddress, bytes.count > 0 else {
            throw ModelError(.invalidModel, "\(source): empty file, not an ONNX model")
        }
        guard let mp = onnx__model_proto__unpack(nil, bytes.count, base.assumingMemoryBound(to: UInt8.self)) else {
            throw ModelError(.invalidModel, "\(source): not a valid ONNX model (protobuf parse failed; truncated or corrupt file?)")
        }
        defer { onnx__model_proto__free_unpacked(mp, nil) }
        let m = mp.pointee
        var out = OModel()
        out.irVersion = m.has_ir_version != 0 ? m.ir_version : nil
        for p in try array(m.opset_import, m.n_opset_import, "opset_import") {
            guard let p else { continue }
            out.opsets.append((str(p.pointee.domain), p.pointee.has_version != 0 ? p.pointee.version : 1))
        }
        out.producerName = str(m.producer_name)
        out.producerVersion = str(m.producer_version)
        out.docString = str(m.doc_string)
        for e in try array(m.metadata_props, m.n_metadata_props, "metadata_props") {
            guard let e else { continue }
            out.metadata.append((str(e.pointee.key), str(e.pointee.value)))
        }
        guard let g = m.graph else { throw ModelError(.invalidModel, "\(source): ONNX model has no graph") }
        try readGraph(g.pointee, into: &out)
        return out
    }

    static func str(_ p: UnsafeMutablePointer<CChar>?) -> String {
        guard let p else { return "" }
        return String(cString: p)
    }

    static func array<T>(_ p: UnsafeMutablePointer<T>?, _ n: Int, _ what: String) throws -> UnsafeBufferPointer<T> {
        if n == 0 { return UnsafeBufferPointer(start: nil, count: 0) }
        guard let p else { throw ModelError(.invalidModel, "malformed ONNX model: \(what) has \(n) entries but no data") }
        return UnsafeBufferPointer(start: p, count: n)
    }

    private static func readGraph(_ g: Onnx__GraphProto, into out: inout OModel) throws {
        var wg = WGraph()
        if g.n_sparse_initializer > 0 {
            throw ModelError(.unsupported, "sparse initializers are not supported by dlrt")
        }
        for tp in try array(g.initializer, g.n_initializer, "graph.initializer") {
            guard let tp else { continue }
            let name = str(tp.pointee.name)
            guard !name.isEmpty else { throw ModelError(.invalidModel, "an initializer has no name") }
            wg.constants[name] = try readTensor(tp.pointee, name: "initializer '\(name)'")
            out.initializerNames.insert(name)
        }
        for vi in try array(g.input, g.n_input, "graph.input") {
            guard let vi else { continue }
            let (name, info) = try readValueInfo(vi.pointee)
            if out.initializerNames.contains(name) { continue }
            wg.inputs.append(name)
            wg.declared[name] = info
        }
        for vi in try array(g.output, g.n_output, "graph.output") {
            guard let vi else { continue }
            let (name, info) = try readValueInfo(vi.pointee)
            wg.outputs.append(name)
            wg.declared[name] = info
        }
        for vi in try array(g.value_info, g.n_value_info, "graph.value_info") {
            guard let vi else { continue }
            if let (name, info) = try? readValueInfo(vi.pointee), wg.declared[name] == nil { wg.declared[name] = info }
        }
        for (k, np) in try array(g.node, g.n_node, "graph.node").enumerated() {
            guard let np else { continue }
            wg.nodes.append(try readNode(np.pointee, index: k))
        }
        out.graph = wg
    }

    private static func readValueInfo(_ v: Onnx__ValueInfoProto) throws -> (String, ValueInfo) {
        let name = str(v.name)
        var info = ValueInfo(type: nil, shape: nil)
        guard let tp = v.type else { return (name, info) }
        guard tp.pointee.value_case == ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE, let tt = tp.pointee.tensor_type else {
            throw ModelError(.unsupported, "tensor '\(name)': only tensor values are supported (not sequences, maps, optionals or sparse tensors)")
        }
        if tt.pointee.has_elem_type != 0 {
            guard let t = EType(rawValue: tt.pointee.elem_type), t.isNumeric else {
                throw ModelError(.unsupported, "tensor '\(name)': element type \(EType.named(tt.pointee.elem_type)) is not supported by dlrt")
            }
            info.type = t
        }
        if let sp = tt.pointee.shape {
            var dims: [Dim] = []
            for (i, d) in try array(sp.pointee.dim, sp.pointee.n_dim, "shape of '\(name)'").enumerated() {
                guard let d else { dims.append(.symbolic("\(name)_d\(i)")); continue }
                switch d.pointee.value_case {
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE:
                    let v = d.pointee.dim_value
                    guard v >= 0, let iv = Int(exactly: v), iv <= 1 << 40 else {
                        throw ModelError(.invalidModel, "tensor '\(name)': dimension \(i) has invalid size \(v)")
                    }
                    dims.append(.fixed(iv))
                case ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM:
                    let s = str(d.pointee.dim_param)
                    dims.append(.symbolic(s.isEmpty ? "\(name)_d\(i)" : s))
                default:
                    dims.append(.symbolic("\(name)_d\(i)"))
                }
            }
            info.shape = dims
        }
        return (name, info)
    }

    private static func readNode(_ n: Onnx__NodeProto, index: Int) throws -> WNode {
        var node = WNode(name: str(n.name), op: str(n.op_type), domain: str(n.domain), inputs: [], outputs: [], attrs: [:])
        if node.name.isEmpty { node.name = "\(node.op)_\(index)" }
        for s in try array(n.input, n.n_input, "inputs of node \(index)") { node.inputs.append(str(s)) }
        for s in try array(n.output, n.n_output, "outputs of node \(index)") { node.outputs.append(str(s)) }
        for ap in try array(n.attribute, n.n_attribute, "attributes of node \(index)") {
            guard let ap else { continue }
            let a = ap.pointee
            let key = str(a.name)
            node.attrs[key] = try readAttribute(a, owner: "\(node.label) attribute '\(key)'")
        }
        return node
    }

    private static func readAttribute(_ a: Onnx__AttributeProto, owner: String) throws -> OAttr {
        if a.ref_attr_name != nil, !str(a.ref_attr_name).isEmpty {
            throw ModelError(.unsupported, "\(owner): attribute references (functions) are not supported")
        }
        switch a.type {
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return .float(a.f)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return .int(a.i)
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return .string(bytesString(a.s))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return .floats(Array(try array(a.floats, a.n_floats, owner)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return .ints(Array(try array(a.ints, a.n_ints, owner)))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS:
            return .strings(try array(a.strings, a.n_strings, owner).map(bytesString))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR:
            guard let t = a.t else { throw ModelError(.invalidModel, "\(owner): tensor attribute without a tensor") }
            return .tensor(try readTensor(t.pointee, name: owner))
        case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS:
            return .other("a subgraph")
        default:
            // Files written without `type` (old exporters): infer from which field is set.
            if a.n_ints > 0 { return .ints(Array(try array(a.ints, a.n_ints, owner))) }
            if a.n_floats > 0 { return .floats(Array(try array(a.floats, a.n_floats, owner))) }
            if a.has_i != 0 { return .int(a.i) }
            if a.has_f != 0 { return .float(a.f) }
            if a.has_s != 0 { return .string(bytesString(a.s)) }
            if let t = a.t { return .tensor(try readTensor(t.pointee, name: owner)) }
            return .other("an attribute of type \(a.type.rawValue)")
        }
    }

    private static func bytesString(_ b: ProtobufCBinaryData) -> String {
        guard b.len > 0, let d = b.data else { return "" }
        return String(decoding: UnsafeBufferPointer(start: d, count: b.len), as: UTF8.self)
    }
}
