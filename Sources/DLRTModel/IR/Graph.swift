/// Quantization parameters of a tensor: per tensor (`axis == nil`, one scale) or per channel
/// along `axis` (one scale and zero point per channel). real = scale * (q - zeroPoint).
public struct Quantization: Equatable, Sendable {
    public var axis: Int?
    public var scales: [Float]
    public var zeroPoints: [Int32]

    public init(axis: Int?, scales: [Float], zeroPoints: [Int32]) {
        self.axis = axis
        self.scales = scales
        self.zeroPoints = zeroPoints
    }
}

/// Bytes of a constant tensor: `byteCount` bytes at `offset` inside `blob`.
public struct TensorData: Sendable {
    public let blob: Blob
    public let offset: Int
    public let byteCount: Int

    public init(blob: Blob, offset: Int = 0, byteCount: Int? = nil) {
        self.blob = blob
        self.offset = offset
        self.byteCount = byteCount ?? (blob.bytes.count - offset)
    }

    /// The constant's bytes; valid while `blob` is alive.
    public var bytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: blob.bytes[offset ..< offset + byteCount])
    }

    /// Copies the elements out (for shape-like constants and tests).
    public func elements<T>(as: T.Type) -> [T] {
        let n = byteCount / MemoryLayout<T>.stride
        return [T](unsafeUninitializedCapacity: n) { buf, count in
            if n > 0 { memcpyBytes(UnsafeMutableRawPointer(buf.baseAddress!), bytes.baseAddress!, n * MemoryLayout<T>.stride) }
            count = n
        }
    }
}

@inline(__always) func memcpyBytes(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ n: Int) {
    dst.copyMemory(from: src, byteCount: n)
}

/// A tensor of the graph: a graph input, a constant (weights: `data != nil`), or a value that a
/// node produces. Tensors are referred to by their index in `Graph.tensors` (the tensor id).
public struct Tensor: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: [Dim]
    public var data: TensorData?
    public var quantization: Quantization?

    public init(name: String, dtype: DType, shape: [Dim], data: TensorData? = nil, quantization: Quantization? = nil) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.data = data
        self.quantization = quantization
    }

    public var isConstant: Bool { data != nil }

    /// The concrete shape when no dimension is symbolic.
    public var fixedShape: [Int]? {
        var out: [Int] = []
        out.reserveCapacity(shape.count)
        for d in shape {
            guard let v = d.fixedValue else { return nil }
            out.append(v)
        }
        return out
    }
}

/// One operation. `inputs` and `outputs` hold tensor ids; an absent optional input is -1.
/// `version` is the version of the op's attribute schema (1 for every op in format 1.0).
public struct Node: Sendable {
    public var name: String
    public var op: OpCode
    public var version: UInt16
    public var inputs: [Int32]
    public var outputs: [Int32]
    public var attributes: [String: AttributeValue]

    public init(name: String, op: OpCode, version: UInt16 = 1, inputs: [Int32], outputs: [Int32],
                attributes: [String: AttributeValue] = [:]) {
        self.name = name
        self.op = op
        self.version = version
        self.inputs = inputs
        self.outputs = outputs
        self.attributes = attributes
    }
}

/// A model: tensors, nodes in execution (topological) order, graph inputs and outputs, metadata.
public struct Graph: Sendable {
    public var tensors: [Tensor]
    public var nodes: [Node]
    public var inputs: [Int32]
    public var outputs: [Int32]
    /// Ordered key/value pairs: `producer`, `source_sha256`, `onnx_opset`, user entries…
    public var metadata: [(key: String, value: String)]

    public init(tensors: [Tensor] = [], nodes: [Node] = [], inputs: [Int32] = [], outputs: [Int32] = [],
                metadata: [(key: String, value: String)] = []) {
        self.tensors = tensors
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.metadata = metadata
    }

    /// Appends a tensor and returns its id.
    @discardableResult
    public mutating func addTensor(_ t: Tensor) -> Int32 {
        tensors.append(t)
        return Int32(tensors.count - 1)
    }

    public func metadataValue(_ key: String) -> String? {
        metadata.first(where: { $0.key == key })?.value
    }
}
