import DLRTModel

/// The concrete type of a tensor once every symbolic dimension is resolved.
public struct TensorType: Equatable, Sendable, CustomStringConvertible {
    public var dtype: DType
    public var shape: [Int]

    public init(_ dtype: DType, _ shape: [Int]) {
        self.dtype = dtype
        self.shape = shape
    }

    public var elementCount: Int { shape.reduce(1, *) }
    public var byteCount: Int { elementCount * dtype.byteSize }
    public var description: String { "\(dtype)\(describe(shape))" }
}

/// What an operator sees of one input while planning: its type and, for constants, its bytes.
/// `type == nil` for an absent optional input (tensor id -1).
public struct PlanInput: Sendable {
    public var type: TensorType?
    public var constant: TensorData?

    public init(type: TensorType?, constant: TensorData?) {
        self.type = type
        self.constant = constant
    }
}

/// One implementation per op, one file each in `Ops/`. Created once per node when a model loads,
/// immutable afterwards and shared by every context (it may hold pre-packed weights).
///
/// Errors thrown here must name the node and op (use `OpError`).
public protocol Operator: AnyObject, Sendable {
    /// The op this type implements (the registry key).
    static var opCode: OpCode { get }

    /// Validates the node (input/output counts, attribute values, constant inputs it requires)
    /// and prepares what every context shares.
    init(node: Node, graph: Graph) throws

    /// The shape rule: output types for these input types. Runs at plan time.
    func outputTypes(_ inputs: [PlanInput]) throws -> [TensorType]

    /// Builds the kernel that runs this node for these concrete types. Runs at plan time (may
    /// allocate); the kernel's `run` must not.
    func makeKernel(inputs: [PlanInput], outputs: [TensorType]) throws -> Kernel
}

/// A node bound to concrete shapes within one context's plan.
public protocol Kernel: AnyObject {
    /// Bytes of temporary workspace `run` needs (e.g. an im2col buffer); 0 if none. The planner
    /// gives it a 64-byte aligned region of the arena that lives during this node only.
    var scratchByteCount: Int { get }

    /// Computes the node's outputs. Must not allocate, lock or throw.
    func run(_ io: KernelIO)
}

extension Kernel {
    public var scratchByteCount: Int { 0 }
}

/// Addresses a kernel reads and writes during one run.
public struct KernelIO {
    /// Address of every tensor, indexed by tensor id (inputs: the caller's buffers; constants:
    /// the model's bytes; others: the arena).
    public let slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    public let inputIDs: UnsafePointer<Int32>
    public let outputIDs: UnsafePointer<Int32>
    /// 64-byte aligned scratch of `scratchByteCount` bytes, or nil.
    public let scratch: UnsafeMutableRawPointer?
    /// Workers for data-parallel loops (always valid; one worker means "run inline").
    public let workers: Workers

    public init(slots: UnsafeMutablePointer<UnsafeMutableRawPointer?>, inputIDs: UnsafePointer<Int32>,
                outputIDs: UnsafePointer<Int32>, scratch: UnsafeMutableRawPointer?, workers: Workers) {
        self.slots = slots
        self.inputIDs = inputIDs
        self.outputIDs = outputIDs
        self.scratch = scratch
        self.workers = workers
    }

    /// Typed address of input `i`. Only call for inputs that are present.
    @inline(__always)
    public func input<T>(_ i: Int, as: T.Type = T.self) -> UnsafePointer<T> {
        UnsafePointer(slots[Int(inputIDs[i])]!.assumingMemoryBound(to: T.self))
    }

    /// Typed address of output `i`.
    @inline(__always)
    public func output<T>(_ i: Int, as: T.Type = T.self) -> UnsafeMutablePointer<T> {
        slots[Int(outputIDs[i])]!.assumingMemoryBound(to: T.self)
    }

    @inline(__always)
    public func rawInput(_ i: Int) -> UnsafeRawPointer { UnsafeRawPointer(slots[Int(inputIDs[i])]!) }

    @inline(__always)
    public func rawOutput(_ i: Int) -> UnsafeMutableRawPointer { slots[Int(outputIDs[i])]! }
}

/// An error while preparing a node, naming it: `node 'conv1' (Conv): pads has 3 values, expected 4`.
public func OpError(_ node: Node, _ message: String, kind: ModelError.Kind = .invalidModel) -> ModelError {
    ModelError(kind, "node '\(node.name)' (\(node.op.name)): \(message)")
}
