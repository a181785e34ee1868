/// Decodes the known sections of a container that `ModelReader.parseContainer` has checked
/// (bounds, alignment, checksums). Every value read from the file is range-checked here; the
/// graph-level rules (topological order, producers) are GraphValidator's.
struct SectionDecoder {
    let blob: Blob
    let source: String
    let minor: UInt16
    let sections: [SectionKind: Range<Int>]

    /// Files of minor <= ours must not contain bytes we do not understand.
    private var strict: Bool { minor <= FormatVersion.minor }

    init(blob: Blob, source: String, minor: UInt16, sections: [SectionKind: Range<Int>]) {
        self.blob = blob
        self.source = source
        self.minor = minor
        self.sections = sections
    }

    private func cursor(_ kind: SectionKind) -> ByteCursor {
        let r = sections[kind] ?? 0 ..< 0
        return ByteCursor(bytes: blob.bytes, start: r.lowerBound, end: r.upperBound,
                          context: "\(source): \(kind) section (kind \(kind.rawValue))")
    }

    /// Rejects leftover bytes in files that cannot legitimately have trailing fields.
    private func finish(_ c: ByteCursor, _ what: String) throws {
        if strict && !c.isAtEnd {
            throw c.error("\(c.remaining) unexpected trailing bytes after \(what)")
        }
    }

    mutating func decodeGraph() throws -> Graph {
        var graph = Graph()
        graph.tensors = try decodeTensors()
        graph.nodes = try decodeNodes(tensorCount: graph.tensors.count)
        var io = cursor(.graphIO)
        graph.inputs = try decodeIDs(&io, "graph input")
        graph.outputs = try decodeIDs(&io, "graph output")
        try finish(io, "the graph outputs")
        if sections[.metadata] != nil {
            var m = cursor(.metadata)
            let n = try m.count("metadata entry count", minElementSize: 8)
            graph.metadata.reserveCapacity(n)
            for i in 0 ..< n {
                let key = try m.string("metadata key \(i)")
                let value = try m.string("metadata value \(i) ('\(key)')")
                graph.metadata.append((key: key, value: value))
            }
            try finish(m, "the last metadata entry")
        }
        return graph
    }

    private func decodeIDs(_ c: inout ByteCursor, _ what: String) throws -> [Int32] {
        let n = try c.count("\(what) count", minElementSize: 4)
        var ids: [Int32] = []
        ids.reserveCapacity(n)
        for i in 0 ..< n { ids.append(try c.i32("\(what) \(i)")) }
        return ids
    }

    // MARK: tensors

    private func decodeTensors() throws -> [Tensor] {
        var c = cursor(.tensors)
        // Smallest record: size u32 + empty name u32 + dtype, flags, reserved + rank u32.
        let n = try c.count("tensor count", minElementSize: 16)
        guard n <= Int(Int32.max) else { throw c.error("\(n) tensors exceed the limit of 2^31-1") }
        var tensors: [Tensor] = []
        tensors.reserveCapacity(n)
        for i in 0 ..< n {
            let recordAt = c.position
            let size = try c.count("tensor \(i) record size", minElementSize: 1)
            var r = try c.sub(size, "tensor \(i) record")
            let t = try decodeTensor(&r, id: i)
            if let p = GraphValidator.tensorProblem(t, id: i) { throw r.error(p.kind, at: recordAt, p.message) }
            try finish(r, "tensor \(i) '\(t.name)'")
            tensors.append(t)
        }
        try finish(c, "the last tensor record")
        return tensors
    }

    private func decodeTensor(_ r: inout ByteCursor, id i: Int) throws -> Tensor {
        let name = try r.string("tensor \(i) name")
        let label = "tensor \(i) '\(name)'"
        let dtypeAt = r.position
        let tag = try r.u8("\(label) dtype")
        guard let dtype = DType(rawValue: tag) else {
            throw r.error(.unsupported, at: dtypeAt, "\(label): unknown dtype tag \(tag)")
        }
        let flagsAt = r.position
        let flags = try r.u8("\(label) flags")
        let reserved = try r.u16("\(label) reserved field")
        if strict && flags & ~Layout.tensorKnownFlags != 0 {
            throw r.error(at: flagsAt, "\(label): unknown tensor flag bits \(flags & ~Layout.tensorKnownFlags)")
        }
        if strict && reserved != 0 {
            throw r.error(at: flagsAt + 1, "\(label): reserved field is \(reserved), expected 0")
        }
        let rank = try r.count("\(label) rank", minElementSize: 5)
        var shape: [Dim] = []
        shape.reserveCapacity(rank)
        for k in 0 ..< rank {
            let dimAt = r.position
            switch try r.u8("\(label) dimension \(k) tag") {
            case Layout.dimFixed:
                let v = try r.i64("\(label) dimension \(k)")
                guard v >= 0, let d = Int(exactly: v) else {
                    throw r.error(at: dimAt, "\(label): dimension \(k) is \(v); fixed dimensions must be >= 0")
                }
                shape.append(.fixed(d))
            case Layout.dimSymbolic:
                let s = try r.string("\(label) dimension \(k) name")
                if s.isEmpty { throw r.error(at: dimAt, "\(label): symbolic dimension \(k) has an empty name") }
                shape.append(.symbolic(s))
            case let other:
                throw r.error(at: dimAt, "\(label): dimension \(k) has unknown tag \(other) (0 fixed, 1 symbolic)")
            }
        }
        var tensor = Tensor(name: name, dtype: dtype, shape: shape)
        if flags & Layout.tensorHasData != 0 {
            let dataAt = r.position
            let offset = try r.offset("\(label) data offset")
            let length = try r.offset("\(label) data size")
            tensor.data = try checkData(r, at: dataAt, label: label, tensor: tensor, offset: offset, length: length)
        }
        if flags & Layout.tensorHasQuantization != 0 {
            let qAt = r.position
            let kind = try r.u8("\(label) quantization kind")
            try r.skip(3, "\(label) quantization reserved bytes")
            let axis = try r.i32("\(label) quantization axis")
            let count = try r.count("\(label) quantization scale count", minElementSize: 8)
            var scales: [Float] = []
            var zeroPoints: [Int32] = []
            scales.reserveCapacity(count)
            zeroPoints.reserveCapacity(count)
            for k in 0 ..< count { scales.append(try r.f32("\(label) scale \(k)")) }
            for k in 0 ..< count { zeroPoints.append(try r.i32("\(label) zero point \(k)")) }
            switch kind {
            case Layout.quantPerTensor:
                tensor.quantization = Quantization(axis: nil, scales: scales, zeroPoints: zeroPoints)
            case Layout.quantPerAxis:
                tensor.quantization = Quantization(axis: Int(axis), scales: scales, zeroPoints: zeroPoints)
            default:
                throw r.error(at: qAt, "\(label): unknown quantization kind \(kind) (0 per tensor, 1 per axis)")
            }
        }
        return tensor
    }

    /// A constant's data must lie inside the weights section, start 64-byte aligned and hold
    /// exactly element count × dtype size bytes of a fixed shape.
    private func checkData(_ r: ByteCursor, at: Int, label: String, tensor t: Tensor,
                           offset: Int, length: Int) throws -> TensorData {
        guard let dims = t.fixedShape else {
            throw r.error(at: at, "\(label): constant with symbolic shape \(describe(t.shape)); constants need fixed shapes")
        }
        guard let count = checkedElementCount(dims),
              case let (expected, o) = count.multipliedReportingOverflow(by: t.dtype.byteSize), !o else {
            throw r.error(at: at, "\(label): byte size of \(t.dtype) \(describe(dims)) overflows")
        }
        guard length == expected else {
            throw r.error(at: at, "\(label): constant data is \(length) bytes but \(t.dtype) \(describe(dims)) needs \(expected)")
        }
        guard let weights = sections[.weights] else {
            throw r.error(at: at, "\(label): constant data at byte \(offset) but the file has no weights section")
        }
        guard offset % Layout.alignment == 0 else {
            throw r.error(at: at, "\(label): constant data offset \(offset) is not \(Layout.alignment)-byte aligned")
        }
        guard case let (end, o2) = offset.addingReportingOverflow(length), !o2,
              offset >= weights.lowerBound, end <= weights.upperBound else {
            throw r.error(at: at, "\(label): constant data [\(offset), +\(length)) lies outside the weights section [\(weights.lowerBound), \(weights.upperBound))")
        }
        return TensorData(blob: blob, offset: offset, byteCount: length)
    }

    // MARK: nodes

    private func decodeNodes(tensorCount: Int) throws -> [Node] {
        var c = cursor(.nodes)
        // Smallest record: size + name + op + version + three counts.
        let n = try c.count("node count", minElementSize: 24)
        var nodes: [Node] = []
        nodes.reserveCapacity(n)
        for i in 0 ..< n {
            let recordAt = c.position
            let size = try c.count("node \(i) record size", minElementSize: 1)
            var r = try c.sub(size, "node \(i) record")
            let node = try decodeNode(&r, index: i)
            if let p = GraphValidator.nodeProblem(node, index: i, tensorCount: tensorCount) {
                throw r.error(p.kind, at: recordAt, p.message)
            }
            try finish(r, "node '\(node.name)' (index \(i))")
            nodes.append(node)
        }
        try finish(c, "the last node record")
        return nodes
    }

    private func decodeNode(_ r: inout ByteCursor, index i: Int) throws -> Node {
        let name = try r.string("node \(i) name")
        let opAt = r.position
        let code = try r.u16("node '\(name)' (index \(i)) op code")
        guard let op = OpCode(rawValue: code) else {
            throw r.error(.unsupported, at: opAt, "node '\(name)' (index \(i)): unknown op code \(code)")
        }
        let label = "node '\(name)' (index \(i), \(op.name))"
        let version = try r.u16("\(label) version")
        let inputs = try decodeIDs(&r, "\(label) input")
        let outputs = try decodeIDs(&r, "\(label) output")
        let na = try r.count("\(label) attribute count", minElementSize: 9)
        var attributes: [String: AttributeValue] = [:]
        attributes.reserveCapacity(na)
        for k in 0 ..< na {
            let at = r.position
            let key = try r.string("\(label) attribute \(k) name")
            if key.isEmpty { throw r.error(at: at, "\(label): attribute \(k) has an empty name") }
            let what = "\(label) attribute '\(key)'"
            let tagAt = r.position
            let value: AttributeValue
            switch try r.u8("\(what) type tag") {
            case 1: value = .int(try r.i64(what))
            case 2: value = .float(try r.f32(what))
            case 3:
                let c = try r.count("\(what) count", minElementSize: 8)
                var vs: [Int64] = []
                vs.reserveCapacity(c)
                for j in 0 ..< c { vs.append(try r.i64("\(what) element \(j)")) }
                value = .ints(vs)
            case 4:
                let c = try r.count("\(what) count", minElementSize: 4)
                var vs: [Float] = []
                vs.reserveCapacity(c)
                for j in 0 ..< c { vs.append(try r.f32("\(what) element \(j)")) }
                value = .floats(vs)
            case 5: value = .string(try r.string(what))
            case let tag:
                throw r.error(.unsupported, at: tagAt, "\(what): unknown attribute type tag \(tag)")
            }
            if attributes.updateValue(value, forKey: key) != nil {
                throw r.error(at: at, "\(label): duplicate attribute '\(key)'")
            }
        }
        return Node(name: name, op: op, version: version, inputs: inputs, outputs: outputs, attributes: attributes)
    }
}
