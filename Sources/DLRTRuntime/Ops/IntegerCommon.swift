import DLRTModel

/// ONNX's integer ops at run time (codes 112–117; docs/OPS.md): DynamicQuantizeLinear,
/// MatMulInteger, ConvInteger. Plain, obviously correct loops (exact integer arithmetic, int32
/// sums wrapping like onnxruntime's), tested bit for bit against onnxruntime.
let integerOperators: [any Operator.Type] = [
    DynamicQuantizeLinearOperator.self, MatMulIntegerOperator.self, ConvIntegerOperator.self,
]

/// An 8-bit integer input (uint8 or int8) of a MatMulInteger / ConvInteger node.
struct IntegerInput {
    let shape: [Int]
    let signed: Bool

    /// Input `i` (`name`), which must be uint8 or int8 (and, with `sameAs`, of that dtype).
    init(_ inputs: [PlanInput], _ i: Int, _ name: String, _ a: DenseAttributes, sameAs: IntegerInput? = nil) throws {
        guard i < inputs.count, let t = inputs[i].type else { throw a.error("input \(name) is absent") }
        guard t.dtype == .uint8 || t.dtype == .int8 else {
            throw a.error("input \(name) is \(t.dtype), expected uint8 or int8", kind: .unsupported)
        }
        if let s = sameAs, (t.dtype == .int8) != s.signed {
            throw a.error("input \(name) is \(t.dtype) but its tensor is \(s.signed ? "int8" : "uint8")", kind: .unsupported)
        }
        shape = t.shape
        signed = t.dtype == .int8
    }

    /// The optional zero point `i` of `tensor`: absent, one value, or `perCount` values (a vector,
    /// or a shape whose other dims are 1). Returns its element count (0 when absent).
    static func zeroPoint(_ inputs: [PlanInput], _ i: Int, _ name: String, of tensor: IntegerInput, perCount: Int,
                          what: String, _ a: DenseAttributes) throws -> Int {
        guard i < inputs.count, inputs[i].type != nil else { return 0 }
        let z = try IntegerInput(inputs, i, name, a, sameAs: tensor)
        let count = z.shape.reduce(1, *)
        guard count == 1 || (count == perCount && z.shape.filter({ $0 != 1 }).count <= 1) else {
            throw a.error("\(name) has shape \(describe(z.shape)), expected one value or \(perCount) (one per \(what))",
                          kind: .unsupported)
        }
        return count
    }
}

/// Element `i` of an 8-bit integer buffer as Int32.
@inline(__always)
func integerElement(_ p: UnsafeRawPointer, _ signed: Bool, _ i: Int) -> Int32 {
    signed ? Int32(p.load(fromByteOffset: i, as: Int8.self)) : Int32(p.load(fromByteOffset: i, as: UInt8.self))
}

/// dst[i] = src[i] − zero[zeroCount == 1 ? 0 : i / zeroStride % zeroCount] for `count` values
/// (zeroCount 0: no zero point), widened to Int32.
func integerWiden(_ src: UnsafeRawPointer, signed: Bool, count: Int, zero: UnsafeRawPointer?, zeroCount: Int,
                  zeroStride: Int, into dst: UnsafeMutablePointer<Int32>) {
    for i in 0 ..< count {
        var v = integerElement(src, signed, i)
        if let zero, zeroCount > 0 { v -= integerElement(zero, signed, zeroCount == 1 ? 0 : (i / zeroStride) % zeroCount) }
        dst[i] = v
    }
}
