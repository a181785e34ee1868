import DLRTModel

/// Builds the dlrt `Graph` from the simplified working graph; every remaining node must be a
/// dlrt op with supported attribute values, every tensor a supported dtype with a known shape.
enum Lowering {
    static func run(_ wg: inout WGraph) throws -> Graph {
        try Folder.run(&wg)
        // Graph outputs that are constants need a producing node: Identity of the constant.
        for o in wg.outputs {
            if wg.inputs.contains(o) {
                throw ModelError(.unsupported, "graph output '\(o)' is also a graph input; dlrt needs outputs produced by a node")
            }
            guard let c = wg.constants.removeValue(forKey: o) else { continue }
            let src = wg.freshName(o + "_const")
            wg.constants[src] = c
            wg.nodes.append(WNode(name: "\(o)_identity", op: "Identity", domain: "", inputs: [src], outputs: [o], attrs: [:]))
            wg.info[o] = ValueInfo(type: c.type, shape: c.shape.map { .fixed($0) })
            wg.warnings.append("graph output '\(o)' is a constant; emitted as Identity of a constant tensor")
        }

        var g = Graph()
        var ids: [String: Int32] = [:]
        func dtype(_ name: String, _ t: EType?) throws -> DType {
            guard let t else { throw ModelError(.invalidModel, "tensor '\(name)': element type unknown") }
            guard let d = t.dtype else { throw ModelError(.unsupported, "tensor '\(name)': element type \(t) is not supported by dlrt") }
            return d
        }
        func addConstant(_ name: String, _ c: ConstTensor) throws -> Int32 {
            let d = try dtype(name, c.type)
            let blob: Blob
            switch d {
            case .float32: blob = Blob.copying(c.f)
            case .int64: blob = Blob.copying(c.i)
            case .int32: blob = Blob.copying(c.i.map { Int32(truncatingIfNeeded: $0) })
            case .int8: blob = Blob.copying(c.i.map { Int8(truncatingIfNeeded: $0) })
            case .uint8, .bool: blob = Blob.copying(c.i.map { UInt8(truncatingIfNeeded: $0) })
            default: throw ModelError(.unsupported, "tensor '\(name)': element type \(d) is not supported for constants")
            }
            return g.addTensor(Tensor(name: name, dtype: d, shape: c.shape.map { .fixed($0) }, data: TensorData(blob: blob)))
        }
        func valueShape(_ name: String) throws -> [Dim] {
            // Inference already merged the declared (value_info / graph output) shapes in.
            guard let s = wg.shapeOf(name) else {
                throw ModelError(.unsupported, "tensor '\(name)': cannot infer its shape")
            }
            return s
        }

        for i in wg.inputs {
            let d = wg.declared[i]
            guard let s = d?.shape else {
                throw ModelError(.invalidModel, "graph input '\(i)': no shape declared (rank unknown)")
            }
            ids[i] = g.addTensor(Tensor(name: i, dtype: try dtype(i, d?.type), shape: s))
            g.inputs.append(ids[i]!)
        }
        for n in wg.nodes {
            guard let def = OpTable.lookup(n), let code = def.code else { throw OpTable.unsupportedOp(n) }
            let attrs = try def.lower?(n, wg) ?? [:]
            try checkRuntimeInputs(n, code, wg)
            var inputs: [Int32] = []
            for i in n.inputs {
                if i.isEmpty { inputs.append(-1); continue }
                if let id = ids[i] { inputs.append(id); continue }
                guard let c = wg.constants[i] else {
                    throw ModelError(.invalidModel, "\(n.label): input '\(i)' is undefined")
                }
                let id = try addConstant(i, c)
                ids[i] = id
                inputs.append(id)
            }
            var outputs: [Int32] = []
            for o in n.outputs {
                guard !o.isEmpty else { throw n.unsupported("optional outputs are not supported") }
                let id = g.addTensor(Tensor(name: o, dtype: try dtype(o, wg.typeOf(o)), shape: try valueShape(o)))
                ids[o] = id
                outputs.append(id)
            }
            g.nodes.append(Node(name: n.name, op: code, inputs: inputs, outputs: outputs, attributes: attrs))
        }
        for o in wg.outputs {
            guard let id = ids[o] else { throw ModelError(.invalidModel, "graph output '\(o)' is not produced by any node") }
            g.outputs.append(id)
        }
        return g
    }

    /// Refuses, at conversion and naming the ONNX node, input types and non-constant weights the
    /// runtime's op would refuse when the model is loaded (found by ONNX's conformance cases:
    /// int8/uint8 Add/Mul/…, uint8 MaxPool, int8 Clip, Conv with a run-time W of unknown shape).
    static func checkRuntimeInputs(_ n: WNode, _ code: OpCode, _ wg: WGraph) throws {
        let floatOnly: Set<OpCode> = [.gemm, .matMul, .conv, .maxPool, .averagePool, .globalAveragePool, .globalMaxPool,
                                      .batchNormalization, .relu, .leakyRelu, .elu, .sigmoid, .tanh, .clip, .softmax,
                                      .sqrt, .erf, .neg, .abs, .exp, .log, .reciprocal, .isNaN, .layerNormalization,
                                      .reduceSum, .reduceMean, .reduceMax, .reduceMin, .reduceL2, .reduceProd]
        if code == .conv, !n.input(1).isEmpty, wg.constants[n.input(1)] == nil, fixedDims(wg.shapeOf(n.input(1))) == nil {
            throw n.unsupported("weight W ('\(n.input(1))') is neither a constant nor of fixed shape; dlrt packs a run-time Conv W of fixed shape only")
        }
        if floatOnly.contains(code) {
            // A Reduce* axes input left in place is an int64 value input (checked by the op's lowering).
            let valueOperands: Set<OpCode> = [.reduceSum, .reduceMean, .reduceMax, .reduceMin, .reduceL2, .reduceProd]
            for i in (valueOperands.contains(code) ? Array(n.inputs.prefix(1)) : n.inputs) where !i.isEmpty {
                if let t = wg.typeOf(i), t != .float {
                    throw n.unsupported("input '\(i)' is \(t); dlrt's \(code.name) computes float32 only")
                }
            }
        } else if code == .pow {
            // ONNX: the result has the base's type; dlrt computes a float32 base only, with a
            // float32, int32 or int64 exponent.
            if let t = wg.typeOf(n.input(0)), t != .float {
                throw n.unsupported("base '\(n.input(0))' is \(t); dlrt's Pow computes a float32 base only (with a float32, int32 or int64 exponent)")
            }
            if let t = wg.typeOf(n.input(1)), ![.float, .int32, .int64].contains(t) {
                throw n.unsupported("exponent '\(n.input(1))' is \(t); dlrt's Pow takes a float32, int32 or int64 exponent")
            }
        } else if [.add, .sub, .mul, .div].contains(code) {
            for i in n.inputs where !i.isEmpty {
                if let t = wg.typeOf(i), ![.float, .int32, .int64].contains(t) {
                    throw n.unsupported("input '\(i)' is \(t); dlrt's \(code.name) computes float32, int32 or int64")
                }
            }
        }
    }
}
