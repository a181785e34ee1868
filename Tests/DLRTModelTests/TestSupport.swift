import XCTest
@testable import DLRTModel

/// A small model using every dtype, symbolic dims, both kinds of quantization, every attribute
/// type, an absent optional input, a zero-element constant and metadata.
func sampleGraph() -> Graph {
    var g = Graph()
    let x = g.addTensor(Tensor(name: "x", dtype: .float32, shape: [.symbolic("batch"), .fixed(3), .fixed(4), .fixed(4)]))
    let w = g.addTensor(Tensor(name: "w", dtype: .float32, shape: [.fixed(2), .fixed(3), .fixed(1), .fixed(1)],
                               data: TensorData(blob: Blob.copying((0 ..< 6).map { Float($0) * 0.5 - 1 }))))
    let conv = g.addTensor(Tensor(name: "conv_out", dtype: .float32, shape: [.symbolic("batch"), .fixed(2), .fixed(4), .fixed(4)]))
    let relu = g.addTensor(Tensor(name: "relu_out", dtype: .float32, shape: [.symbolic("batch"), .fixed(2), .fixed(4), .fixed(4)]))
    let shape = g.addTensor(Tensor(name: "shape", dtype: .int64, shape: [.fixed(2)],
                                   data: TensorData(blob: Blob.copying([Int64(-1), 32]))))
    let y = g.addTensor(Tensor(name: "y", dtype: .float32, shape: [.symbolic("batch"), .fixed(32)]))
    g.addTensor(Tensor(name: "h", dtype: .float16, shape: [.fixed(3)], data: TensorData(blob: Blob.copying([UInt16(0x3C00), 0x4000, 0xBC00]))))
    g.addTensor(Tensor(name: "q8", dtype: .int8, shape: [.fixed(2), .fixed(2)],
                       data: TensorData(blob: Blob.copying([Int8(-128), 0, 1, 127])),
                       quantization: Quantization(axis: 0, scales: [0.5, 0.25], zeroPoints: [0, -3])))
    g.addTensor(Tensor(name: "u8", dtype: .uint8, shape: [.fixed(5)],
                       data: TensorData(blob: Blob.copying([UInt8](arrayLiteral: 0, 1, 2, 254, 255))),
                       quantization: Quantization(axis: nil, scales: [0.125], zeroPoints: [128])))
    g.addTensor(Tensor(name: "i32", dtype: .int32, shape: [.fixed(1)], data: TensorData(blob: Blob.copying([Int32.min]))))
    g.addTensor(Tensor(name: "flags", dtype: .bool, shape: [.fixed(3)], data: TensorData(blob: Blob.copying([UInt8](arrayLiteral: 1, 0, 1)))))
    g.addTensor(Tensor(name: "empty", dtype: .float32, shape: [.fixed(0), .fixed(7)], data: TensorData(blob: Blob.copying([Float]()))))
    g.addTensor(Tensor(name: "act_q", dtype: .uint8, shape: [.symbolic("n"), .fixed(4)],
                       quantization: Quantization(axis: 1, scales: [1, 2, 3, 4], zeroPoints: [1, 2, 3, 4])))
    g.nodes = [
        Node(name: "conv1", op: .conv, inputs: [x, w, -1], outputs: [conv], attributes: [
            "group": .int(1), "activation_alpha": .float(0.01), "pads": .ints([0, 0, 0, 0]),
            "strides": .ints([1, 1]), "activation_min": .float(-.infinity), "scales": .floats([1.5, -2.25]),
            "auto_pad": .string("NOTSET ünïcødé"), "empty_ints": .ints([]), "empty_string": .string(""),
        ]),
        Node(name: "relu1", op: .relu, inputs: [conv], outputs: [relu]),
        Node(name: "reshape1", op: .reshape, inputs: [relu, shape], outputs: [y], attributes: ["allowzero": .int(0)]),
    ]
    g.inputs = [x]
    g.outputs = [y]
    g.metadata = [("producer", "dlrt-tests 0.1"), ("source_sha256", String(repeating: "ab", count: 32)),
                  ("onnx_opset", "17"), ("labels", "cat\ndog"), ("empty", "")]
    return g
}

/// A tiny model for exhaustive corruption tests.
func tinyGraph() -> Graph {
    var g = Graph()
    let a = g.addTensor(Tensor(name: "a", dtype: .float32, shape: [.symbolic("n"), .fixed(2)]))
    let b = g.addTensor(Tensor(name: "b", dtype: .float32, shape: [.fixed(2)], data: TensorData(blob: Blob.copying([Float(1), 2]))))
    let c = g.addTensor(Tensor(name: "c", dtype: .float32, shape: [.symbolic("n"), .fixed(2)]))
    let d = g.addTensor(Tensor(name: "d", dtype: .float32, shape: [.symbolic("n"), .fixed(2)]))
    g.nodes = [Node(name: "add", op: .add, inputs: [a, b], outputs: [c]),
               Node(name: "act", op: .leakyRelu, inputs: [c], outputs: [d], attributes: ["alpha": .float(0.1)])]
    g.inputs = [a]
    g.outputs = [d]
    g.metadata = [("producer", "t")]
    return g
}

func readBytes(_ bytes: [UInt8], source: String = "test.dlrt") throws -> Graph {
    try ModelReader.read(bytes.withUnsafeBytes { Blob(copying: $0) }, source: source)
}

/// Runs `body`, asserts it throws a ModelError and returns it.
@discardableResult
func expectModelError(_ kind: ModelError.Kind? = nil, _ fragments: [String] = [], file: StaticString = #filePath,
                      line: UInt = #line, _ body: () throws -> Void) -> ModelError? {
    do {
        try body()
        XCTFail("expected a ModelError", file: file, line: line)
        return nil
    } catch let e as ModelError {
        if let kind { XCTAssertEqual(e.kind, kind, "\(e.message)", file: file, line: line) }
        for f in fragments {
            XCTAssertTrue(e.message.contains(f), "message '\(e.message)' lacks '\(f)'", file: file, line: line)
        }
        return e
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
        return nil
    }
}

// Little-endian field access on a byte array.
func le32(_ b: [UInt8], _ at: Int) -> UInt32 { (0 ..< 4).reduce(0) { $0 | UInt32(b[at + $1]) << (8 * $1) } }
func le64(_ b: [UInt8], _ at: Int) -> UInt64 { (0 ..< 8).reduce(0) { $0 | UInt64(b[at + $1]) << (8 * $1) } }
func le16(_ b: [UInt8], _ at: Int) -> UInt16 { UInt16(b[at]) | UInt16(b[at + 1]) << 8 }
func put32(_ b: inout [UInt8], _ at: Int, _ v: UInt32) { for i in 0 ..< 4 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
func put16(_ b: inout [UInt8], _ at: Int, _ v: UInt16) { for i in 0 ..< 2 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }
func put64(_ b: inout [UInt8], _ at: Int, _ v: UInt64) { for i in 0 ..< 8 { b[at + i] = UInt8(truncatingIfNeeded: v >> (8 * i)) } }

struct SectionEntry { var kind: UInt32; var flags: UInt32; var offset: Int; var size: Int; var entryAt: Int }

/// The section table of a well-formed file.
func sectionEntries(_ b: [UInt8]) -> [SectionEntry] {
    let table = Int(le64(b, 24))
    let count = min(Int(le32(b, 32)), max(0, (b.count - table) / 32))  // tests corrupt the count
    return (0 ..< count).map { i in
        let e = table + 32 * i
        return SectionEntry(kind: le32(b, e), flags: le32(b, e + 4), offset: Int(truncatingIfNeeded: le64(b, e + 8)),
                            size: Int(truncatingIfNeeded: le64(b, e + 16)), entryAt: e)
    }
}

func section(_ b: [UInt8], _ kind: SectionKind) -> SectionEntry? {
    sectionEntries(b).first { $0.kind == kind.rawValue }
}

/// Recomputes every section crc, the table crc and the header crc, so that a deliberately
/// edited file reaches the decoders instead of failing the checksums.
func refreshChecksums(_ b: inout [UInt8]) {
    let table = Int(le64(b, 24))
    let count = Int(le32(b, 32))
    for s in sectionEntries(b) where s.offset >= 0 && s.size >= 0 && s.offset <= b.count && s.size <= b.count - s.offset {
        put32(&b, s.entryAt + 24, formatCRC32(Array(b[s.offset ..< s.offset + s.size])))
    }
    if table + 32 * count <= b.count { put32(&b, 36, formatCRC32(Array(b[table ..< table + 32 * count]))) }
    put32(&b, 60, formatCRC32(Array(b[0 ..< 60])))
}

/// Byte offset of the first occurrence of `needle` at or after `from`.
func find(_ needle: [UInt8], in b: [UInt8], from: Int = 0) -> Int? {
    guard needle.count <= b.count else { return nil }
    return (from ... b.count - needle.count).first { Array(b[$0 ..< $0 + needle.count]) == needle }
}

/// Compares two graphs field by field (constant data by bytes, floats by bit pattern).
func assertSameGraph(_ a: Graph, _ b: Graph, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.tensors.count, b.tensors.count, file: file, line: line)
    for (s, t) in zip(a.tensors, b.tensors) {
        XCTAssertEqual(s.name, t.name, file: file, line: line)
        XCTAssertEqual(s.dtype, t.dtype, s.name, file: file, line: line)
        XCTAssertEqual(s.shape, t.shape, s.name, file: file, line: line)
        XCTAssertEqual(s.quantization, t.quantization, s.name, file: file, line: line)
        XCTAssertEqual(s.data.map { Array($0.bytes) }, t.data.map { Array($0.bytes) }, s.name, file: file, line: line)
    }
    XCTAssertEqual(a.nodes.count, b.nodes.count, file: file, line: line)
    for (m, n) in zip(a.nodes, b.nodes) {
        XCTAssertEqual(m.name, n.name, file: file, line: line)
        XCTAssertEqual(m.op, n.op, file: file, line: line)
        XCTAssertEqual(m.version, n.version, file: file, line: line)
        XCTAssertEqual(m.inputs, n.inputs, file: file, line: line)
        XCTAssertEqual(m.outputs, n.outputs, file: file, line: line)
        XCTAssertEqual(m.attributes, n.attributes, m.name, file: file, line: line)
    }
    XCTAssertEqual(a.inputs, b.inputs, file: file, line: line)
    XCTAssertEqual(a.outputs, b.outputs, file: file, line: line)
    XCTAssertEqual(a.metadata.map(\.key), b.metadata.map(\.key), file: file, line: line)
    XCTAssertEqual(a.metadata.map(\.value), b.metadata.map(\.value), file: file, line: line)
}
