// Numpy broadcasting of up to three operands into one output, with per-operand element sizes
// free to differ (comparisons write bool, Where reads a bool condition). Output dims are
// collapsed like `BroadcastPlan`; rows of the last collapsed dim are handed to a row body with
// each operand's stride along the row (0 or 1).

public struct NaryBroadcastPlan: Sendable, Equatable {
    public let outputShape: [Int]
    public let dims: [Int]
    /// strides[k][d]: element stride of operand k over collapsed dim d (0 where broadcast).
    public let strides: [[Int]]
    public let elementCount: Int

    /// The broadcast of `shapes` (numpy rules), or nil when some aligned dims differ and
    /// neither is 1.
    public static func broadcastShape(_ shapes: [[Int]]) -> [Int]? {
        var out: [Int] = []
        for s in shapes {
            guard let b = BroadcastPlan.broadcastShape(out, s) else { return nil }
            out = b
        }
        return out
    }

    /// `shapes` are the operands; `extra` are shapes that take part in the broadcast without
    /// being read (Expand's target shape).
    public init?(_ shapes: [[Int]], extra: [[Int]] = []) {
        guard let out = NaryBroadcastPlan.broadcastShape(shapes + extra) else { return nil }
        let r = out.count
        var dims: [Int] = []
        var full: [[Bool]] = []
        for d in 0 ..< r where out[d] != 1 {
            let f = shapes.map { s in d - (r - s.count) >= 0 && s[d - (r - s.count)] == out[d] }
            if let last = full.last, last == f {
                dims[dims.count - 1] *= out[d]
            } else {
                dims.append(out[d]); full.append(f)
            }
        }
        if dims.isEmpty { dims = [1]; full = [shapes.map { _ in true }] }
        var strides = shapes.map { _ in [Int](repeating: 0, count: dims.count) }
        for k in shapes.indices {
            var n = 1
            for d in stride(from: dims.count - 1, through: 0, by: -1) where full[d][k] {
                strides[k][d] = n
                n *= dims[d]
            }
        }
        outputShape = out
        self.dims = dims
        self.strides = strides
        elementCount = out.reduce(1, *)
    }

    public var rowLength: Int { dims[dims.count - 1] }
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }

    /// Calls `body.row` for output rows `rows` with element offsets of the output and of up to
    /// three operands (unused operands get 0). Does not allocate.
    @inlinable
    public func forEachRow<B: BroadcastRowBody>(_ rows: Range<Int>, _ body: B) {
        let n = rowLength, last = dims.count - 1, ops = strides.count
        let s0 = ops > 0 ? strides[0][last] : 0, s1 = ops > 1 ? strides[1][last] : 0, s2 = ops > 2 ? strides[2][last] : 0
        dims.withUnsafeBufferPointer { dims in
            for r in rows {
                var rest = r, o0 = 0, o1 = 0, o2 = 0, d = last - 1
                while d >= 0 {
                    let i = rest % dims[d]
                    rest /= dims[d]
                    if ops > 0 { o0 += i * strides[0][d] }
                    if ops > 1 { o1 += i * strides[1][d] }
                    if ops > 2 { o2 += i * strides[2][d] }
                    d -= 1
                }
                body.row(out: r * n, o0, o1, o2, count: n, s0, s1, s2)
            }
        }
    }
}

/// One broadcast row: output elements out..<out+count; operand k element j at o_k + j·s_k.
public protocol BroadcastRowBody {
    func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int)
}

// MARK: - Comparisons and logic

/// A predicate on two elements of one type (Equal, Less, …, And, Or, Xor).
public protocol BinaryPredicate {
    static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool
}
public enum EqualPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a == b }
}
public enum LessPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a < b }
}
public enum GreaterPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a > b }
}
public enum LessOrEqualPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a <= b }
}
public enum GreaterOrEqualPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a >= b }
}
/// Logic ops on bools stored as bytes: nonzero is true.
public enum AndPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a != 0 && b != 0 }
}
public enum OrPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { a != 0 || b != 0 }
}
public enum XorPredicate: BinaryPredicate {
    @inlinable @inline(__always) public static func test<T: PredicateElement>(_ a: T, _ b: T) -> Bool { (a != 0) != (b != 0) }
}

/// Element types comparisons accept (bools are UInt8 bytes: nonzero is true).
public typealias PredicateElement = Comparable & ExpressibleByIntegerLiteral

/// c[i] = P(a[i], b[i]) as a bool byte (0 or 1).
public struct PredicateRow<P: BinaryPredicate, T: PredicateElement>: BroadcastRowBody {
    public let a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<UInt8>
    @inlinable public init(a: UnsafePointer<T>, b: UnsafePointer<T>, c: UnsafeMutablePointer<UInt8>) { self.a = a; self.b = b; self.c = c }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        for j in 0 ..< count { c[out + j] = P.test(a[o0 + j * s0], b[o1 + j * s1]) ? 1 : 0 }
    }
}

/// y[i] = cond[i] != 0 ? x[i] : z[i] for elements of any type of T's size.
public struct SelectRow<T>: BroadcastRowBody {
    public let cond: UnsafePointer<UInt8>, x: UnsafePointer<T>, z: UnsafePointer<T>, y: UnsafeMutablePointer<T>
    @inlinable public init(cond: UnsafePointer<UInt8>, x: UnsafePointer<T>, z: UnsafePointer<T>, y: UnsafeMutablePointer<T>) {
        self.cond = cond; self.x = x; self.z = z; self.y = y
    }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        for j in 0 ..< count { y[out + j] = cond[o0 + j * s0] != 0 ? x[o1 + j * s1] : z[o2 + j * s2] }
    }
}

/// `SelectRow` for 4-byte elements (float32, int32, uint32) written without generics, so no
/// per-element value-witness calls: the layouts attention masks produce (condition, X and Y
/// contiguous or a broadcast scalar) are branch-free loops the compiler vectorizes; other stride
/// combinations take the plain strided loop. Bit patterns are copied, never converted.
public struct Select32Row: BroadcastRowBody {
    public let cond: UnsafePointer<UInt8>, x: UnsafePointer<UInt32>, z: UnsafePointer<UInt32>, y: UnsafeMutablePointer<UInt32>
    @inlinable public init(cond: UnsafePointer<UInt8>, x: UnsafePointer<UInt32>, z: UnsafePointer<UInt32>, y: UnsafeMutablePointer<UInt32>) {
        self.cond = cond; self.x = x; self.z = z; self.y = y
    }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        let c = cond + o0, a = x + o1, b = z + o2, d = y + out
        switch (s0, s1, s2) {
        case (1, 1, 0):  // masked scores against a fill value (GPT's causal mask)
            let fill = b[0]
            for j in 0 ..< count {
                let m: UInt32 = c[j] != 0 ? .max : 0
                d[j] = (a[j] & m) | (fill & ~m)
            }
        case (1, 0, 1):
            let fill = a[0]
            for j in 0 ..< count {
                let m: UInt32 = c[j] != 0 ? .max : 0
                d[j] = (fill & m) | (b[j] & ~m)
            }
        case (1, 1, 1):
            for j in 0 ..< count {
                let m: UInt32 = c[j] != 0 ? .max : 0
                d[j] = (a[j] & m) | (b[j] & ~m)
            }
        case (0, _, _):  // one condition for the whole row
            if c[0] != 0 {
                if s1 == 0 { d.update(repeating: a[0], count: count) } else { d.update(from: a, count: count) }
            } else {
                if s2 == 0 { d.update(repeating: b[0], count: count) } else { d.update(from: b, count: count) }
            }
        default:
            for j in 0 ..< count { d[j] = c[j * s0] != 0 ? a[j * s1] : b[j * s2] }
        }
    }
}

/// y[i] = x[i] broadcast (Expand).
public struct BroadcastCopyRow<T>: BroadcastRowBody {
    public let x: UnsafePointer<T>, y: UnsafeMutablePointer<T>
    @inlinable public init(x: UnsafePointer<T>, y: UnsafeMutablePointer<T>) { self.x = x; self.y = y }
    @inlinable
    public func row(out: Int, _ o0: Int, _ o1: Int, _ o2: Int, count: Int, _ s0: Int, _ s1: Int, _ s2: Int) {
        if s0 == 0 {
            (y + out).update(repeating: x[o0], count: count)
        } else {
            (y + out).update(from: x + o0, count: count)
        }
    }
}
