import DLRTKernels
import DLRTModel

/// Cast to attribute `to`, a dlrt DType tag (1 float32, 2 float16, 3 int8, 4 uint8, 5 int32,
/// 6 int64, 7 bool); every pair of these types. Conversion rules: DLRTKernels/Transformer/Cast.swift.
final class CastOperator: Operator {
    static var opCode: OpCode { .cast }
    let node: Node
    let to: DType

    init(node: Node, graph: Graph) throws {
        try ElemCheck.arity(node, inputs: 1 ... 1)
        self.node = node
        guard let code = try ElemCheck.int(node, "to", default: nil) else {
            throw OpError(node, "attribute 'to' is missing, expected a dtype tag")
        }
        guard let raw = UInt8(exactly: code), let t = DType(rawValue: raw) else {
            throw OpError(node, "attribute 'to' is \(code), expected a dtype tag 1…\(DType.allCases.count)")
        }
        to = t
    }

    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType] {
        [TensorType(to, try ElemCheck.input(node, inputs, 0).shape)]
    }

    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel {
        let from = try ElemCheck.input(node, inputs, 0).dtype
        return makeCastKernel(CastOperator.element(from), CastOperator.element(to), count: outputs[0].elementCount)
    }

    /// The kernel element type of each dtype (one table for both sides of the cast).
    static func element(_ t: DType) -> any CastElement.Type {
        switch t {
        case .float32: return Float.self
        case .float16: return Float16.self
        case .int8: return Int8.self
        case .uint8: return UInt8.self
        case .int32: return Int32.self
        case .int64: return Int64.self
        case .bool: return CastBool.self
        }
    }
}

/// Opened from the two element metatypes: one specialisation per (source, target) pair.
func makeCastKernel<S: CastElement, D: CastElement>(_: S.Type, _: D.Type, count: Int) -> Kernel {
    CastKernel<S, D>(count: count)
}

final class CastKernel<S: CastElement, D: CastElement>: Kernel {
    let count: Int
    init(count: Int) { self.count = count }

    func run(_ io: KernelIO) {
        io.workers.parallelFor(count, grain: 1 << 14, CastTask<S, D>(src: io.input(0), dst: io.output(0)))
    }
}

private struct CastTask<S: CastElement, D: CastElement>: ParallelTask {
    let src: UnsafePointer<S>, dst: UnsafeMutablePointer<D>
    func run(_ r: Range<Int>) { castElements(src, dst, r) }
}
