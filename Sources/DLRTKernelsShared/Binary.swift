// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
// Float32 Add/Sub/Mul/Div rows on this module's `RowVector` (RowVector.swift). Exact IEEE
// operations: every ISA gives the same bits as the portable loop (DLRTKernels/Elementwise/Binary.swift).
import DLRTKernelsCore

/// Table entry `binary` (`BinaryArgs`).
func isaBinary(_ args: UnsafeRawPointer) {
    let g = args.load(as: BinaryArgs.self)
    // A constant `op` per call: once the loop is inlined the switch in `rowBinary` folds away.
    // (A closure or a protocol-constrained struct instead: the closure was measured called out of
    // line once per vector; a protocol emits a `symbolic` weak symbol check_isa_symbols.sh refuses.)
    switch g.op {
    case .add: isaBinaryLoop(g, .add)
    case .sub: isaBinaryLoop(g, .sub)
    case .mul: isaBinaryLoop(g, .mul)
    case .div: isaBinaryLoop(g, .div)
    }
}

@inline(__always)
func rowBinary(_ op: BinaryKernel, _ a: RowVector, _ b: RowVector) -> RowVector {
    switch op {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    }
}

/// c[i] = a[i·sa] op b[i·sb]; the broadcast operand is splat once, the tail is a partial vector.
@inline(__always)
func isaBinaryLoop(_ g: BinaryArgs, _ op: BinaryKernel) {
    let a = g.a, b = g.b, c = g.c, n = g.count
    var i = 0
    if g.sa == 0 {
        let va = RowVector(repeating: a[0])
        while i + 2 * rowLanes <= n {
            rowStore(rowBinary(op, va, rowLoad(b + i)), c + i); rowStore(rowBinary(op, va, rowLoad(b + i + rowLanes)), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(rowBinary(op, va, rowLoad(b + i)), c + i); i += rowLanes }
        if i < n { rowStorePartial(rowBinary(op, va, rowLoadPartial(b + i, n - i, fill: 1)), c + i, n - i) }
    } else if g.sb == 0 {
        let vb = RowVector(repeating: b[0])
        while i + 2 * rowLanes <= n {
            rowStore(rowBinary(op, rowLoad(a + i), vb), c + i); rowStore(rowBinary(op, rowLoad(a + i + rowLanes), vb), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(rowBinary(op, rowLoad(a + i), vb), c + i); i += rowLanes }
        if i < n { rowStorePartial(rowBinary(op, rowLoadPartial(a + i, n - i, fill: 1), vb), c + i, n - i) }
    } else {
        while i + 2 * rowLanes <= n {
            rowStore(rowBinary(op, rowLoad(a + i), rowLoad(b + i)), c + i)
            rowStore(rowBinary(op, rowLoad(a + i + rowLanes), rowLoad(b + i + rowLanes)), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(rowBinary(op, rowLoad(a + i), rowLoad(b + i)), c + i); i += rowLanes }
        if i < n {
            rowStorePartial(rowBinary(op, rowLoadPartial(a + i, n - i, fill: 1), rowLoadPartial(b + i, n - i, fill: 1)), c + i, n - i)
        }
    }
}
