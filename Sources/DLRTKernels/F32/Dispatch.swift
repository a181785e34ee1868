import CDLRTSupport
import DLRTKernelsAVX2
import DLRTKernelsAVX512
import DLRTKernelsBaseline

/// Runtime CPU dispatch: the float32 kernel table is chosen once, at first use (in practice when
/// the first model is loaded and its weights are packed), by `cdlrt_select_isa` — the best level
/// the CPU supports (`__builtin_cpu_supports`), lowered by `DLRT_ISA=avx512|avx2|baseline`.
/// Kernels take the table as a parameter defaulting to `.active`, so tests can run every table
/// this CPU supports (`KernelTable.available`) in one process.
extension KernelTable {
    /// The table every kernel uses by default (chosen once; Swift initializes globals once, thread-safely).
    public static let active: KernelTable = table(for: KernelISA(rawValue: Int(cdlrt_select_isa())) ?? .baseline)

    /// The best level this CPU runs (ignores `DLRT_ISA`).
    public static var cpuLevel: KernelISA { KernelISA(rawValue: Int(cdlrt_cpu_isa_level())) ?? .baseline }

    /// Every table this CPU can run, lowest first.
    public static var available: [KernelTable] { KernelISA.allCases.filter { $0 <= cpuLevel }.map(table(for:)) }

    /// The table of one ISA level (running it on a CPU without that ISA is SIGILL: check `cpuLevel`).
    public static func table(for isa: KernelISA) -> KernelTable {
        switch isa {
        case .avx512: return DLRTKernelsAVX512.isaKernelTable
        case .avx2: return DLRTKernelsAVX2.isaKernelTable
        case .baseline: return DLRTKernelsBaseline.isaKernelTable
        }
    }
}
