/// One dimension of a declared shape: a fixed size or a named symbolic size (`batch`, `seq`)
/// resolved when the caller binds an input.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case symbolic(String)

    public var fixedValue: Int? {
        if case .fixed(let v) = self { return v }
        return nil
    }

    public var description: String {
        switch self {
        case .fixed(let v): return String(v)
        case .symbolic(let s): return s
        }
    }
}

/// Formats a declared shape as `[batch, 3, 224, 224]`.
public func describe(_ dims: [Dim]) -> String {
    "[" + dims.map(\.description).joined(separator: ", ") + "]"
}

/// Formats a concrete shape as `[1, 3, 224, 224]`.
public func describe(_ dims: [Int]) -> String {
    "[" + dims.map(String.init).joined(separator: ", ") + "]"
}

/// Product of `dims` with overflow checking; nil when a dimension is negative or the product
/// exceeds `limit` (default: 2^40 elements, far above any real model).
public func checkedElementCount(_ dims: [Int], limit: Int = 1 << 40) -> Int? {
    var n = 1
    for d in dims {
        if d < 0 { return nil }
        let (p, overflow) = n.multipliedReportingOverflow(by: d)
        if overflow || p > limit { return nil }
        n = p
    }
    return n
}
