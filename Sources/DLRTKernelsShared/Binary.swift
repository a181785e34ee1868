// Shared by the per-ISA kernel modules (symlinked; see GemmDriver.swift).
// Float32 Add/Sub/Mul/Div rows on this module's `RowVector` (RowVector.swift). Exact IEEE
// operations: every ISA gives the same bits as the portable loop (DLRTKernels/Elementwise/Binary.swift).
import DLRTKernelsCore

/// Table entry `binary` (`BinaryArgs`).
func isaBinary(_ args: UnsafeRawPointer) {
    let g = args.load(as: BinaryArgs.self)
    switch g.op {
    case .add: isaBinaryLoop(g, RowAdd())
    case .sub: isaBinaryLoop(g, RowSub())
    case .mul: isaBinaryLoop(g, RowMul())
    case .div: isaBinaryLoop(g, RowDiv())
    }
}

/// One operation of the `binary` entry. (Structs specialize the loop; a closure argument was
/// measured called out of line once per vector.)
protocol RowBinaryFunction { func callAsFunction(_ a: RowVector, _ b: RowVector) -> RowVector }
struct RowAdd: RowBinaryFunction { @inline(__always) func callAsFunction(_ a: RowVector, _ b: RowVector) -> RowVector { a + b } }
struct RowSub: RowBinaryFunction { @inline(__always) func callAsFunction(_ a: RowVector, _ b: RowVector) -> RowVector { a - b } }
struct RowMul: RowBinaryFunction { @inline(__always) func callAsFunction(_ a: RowVector, _ b: RowVector) -> RowVector { a * b } }
struct RowDiv: RowBinaryFunction { @inline(__always) func callAsFunction(_ a: RowVector, _ b: RowVector) -> RowVector { a / b } }

/// c[i] = f(a[i·sa], b[i·sb]); the broadcast operand is splat once, the tail is a partial vector.
@inline(__always)
func isaBinaryLoop<F: RowBinaryFunction>(_ g: BinaryArgs, _ f: F) {
    let a = g.a, b = g.b, c = g.c, n = g.count
    var i = 0
    if g.sa == 0 {
        let va = RowVector(repeating: a[0])
        while i + 2 * rowLanes <= n {
            rowStore(f(va, rowLoad(b + i)), c + i); rowStore(f(va, rowLoad(b + i + rowLanes)), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(f(va, rowLoad(b + i)), c + i); i += rowLanes }
        if i < n { rowStorePartial(f(va, rowLoadPartial(b + i, n - i, fill: 1)), c + i, n - i) }
    } else if g.sb == 0 {
        let vb = RowVector(repeating: b[0])
        while i + 2 * rowLanes <= n {
            rowStore(f(rowLoad(a + i), vb), c + i); rowStore(f(rowLoad(a + i + rowLanes), vb), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(f(rowLoad(a + i), vb), c + i); i += rowLanes }
        if i < n { rowStorePartial(f(rowLoadPartial(a + i, n - i, fill: 1), vb), c + i, n - i) }
    } else {
        while i + 2 * rowLanes <= n {
            rowStore(f(rowLoad(a + i), rowLoad(b + i)), c + i)
            rowStore(f(rowLoad(a + i + rowLanes), rowLoad(b + i + rowLanes)), c + i + rowLanes)
            i += 2 * rowLanes
        }
        while i + rowLanes <= n { rowStore(f(rowLoad(a + i), rowLoad(b + i)), c + i); i += rowLanes }
        if i < n {
            rowStorePartial(f(rowLoadPartial(a + i, n - i, fill: 1), rowLoadPartial(b + i, n - i, fill: 1)), c + i, n - i)
        }
    }
}
