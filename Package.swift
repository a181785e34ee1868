// swift-tools-version:5.9
// dlrt — an embeddable deep-learning inference runtime.
// Dependency direction (arrows point at what is depended on):
//   DLRTKernelsCore → DLRTModel;  DLRTKernels{AVX512,AVX2,Baseline} → DLRTKernelsCore
//   DLRTKernels → the three ISA modules, DLRTKernelsCore, CDLRTSupport (dispatch)
//   DLRTRuntime → DLRTKernels, DLRTModel;  DLRT (libdlrt.so) → DLRTRuntime
//   DLRTONNX → DLRTModel, COnnx;  tools/dlrt → DLRTONNX, DLRTRuntime
import PackageDescription

// Runtime CPU dispatch (docs/ARCHITECTURE.md, "Kernels and CPU dispatch"): the hot float32 kernels
// are compiled three times, once per ISA module, each with its own target CPU (the shared sources
// are symlinks into Sources/DLRTKernelsShared); everything else has no target flag and runs on any
// x86-64. Never add a -target-cpu to a module outside the three ISA modules: its code would run
// before dispatch and SIGILL on older CPUs.
func isaFlags(_ cpu: String?) -> [SwiftSetting] { cpu.map { [.unsafeFlags(["-target-cpu", $0])] } ?? [] }
let isaModules: [(name: String, cpu: String?)] = [
    ("DLRTKernelsAVX512", "skylake-avx512"), ("DLRTKernelsAVX2", "haswell"), ("DLRTKernelsBaseline", nil),
]
let leanFlags: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-concurrency-module-import",
                  "-Xfrontend", "-disable-implicit-string-processing-module-import"]),
]

let package = Package(
    name: "dlrt",
    products: [
        .library(name: "dlrt", type: .dynamic, targets: ["DLRT"]),
    ],
    targets: [
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        .target(name: "CDLRTSupport", path: "Sources/CDLRTSupport"),
        .target(name: "DLRTModel", dependencies: ["CZlib", "CDLRTSupport"], path: "Sources/DLRTModel",
                swiftSettings: leanFlags),
        .target(name: "DLRTKernelsCore", dependencies: ["DLRTModel"], path: "Sources/DLRTKernelsCore",
                swiftSettings: leanFlags),
    ] + isaModules.map {
        .target(name: $0.name, dependencies: ["DLRTKernelsCore"], path: "Sources/\($0.name)",
                swiftSettings: leanFlags + isaFlags($0.cpu))
    } + [
        .target(name: "DLRTKernels",
                dependencies: ["DLRTModel", "DLRTKernelsCore", "CDLRTSupport"] + isaModules.map { .target(name: $0.name) },
                path: "Sources/DLRTKernels", swiftSettings: leanFlags),
        .target(name: "DLRTRuntime", dependencies: ["DLRTModel", "DLRTKernels", "CDLRTSupport"],
                path: "Sources/DLRTRuntime", swiftSettings: leanFlags),
        .target(name: "DLRT", dependencies: ["DLRTRuntime", "CDLRTSupport"], path: "Sources/DLRT", exclude: ["exports.map"],
                swiftSettings: leanFlags,
                linkerSettings: [.unsafeFlags([
                    "-static-stdlib",
                    "-Xlinker", "--version-script=\(Context.packageDirectory)/Sources/DLRT/exports.map",
                    "-Xlinker", "-soname=libdlrt.so.0",
                ])]),
        .systemLibrary(name: "CProtobufC", path: "Sources/CProtobufC",
                       providers: [.apt(["libprotobuf-c-dev"])]),
        // protobuf-c is linked statically (the converter's CLI then needs no libprotobuf-c at run time).
        .target(name: "COnnx", dependencies: ["CProtobufC"], path: "Sources/COnnx",
                linkerSettings: [.unsafeFlags(["-Xlinker", "-l:libprotobuf-c.a"])]),
        .target(name: "DLRTONNX", dependencies: ["DLRTModel", "COnnx"], path: "Sources/DLRTONNX"),
        // The CLI links the Swift runtime statically too: it runs without the toolchain.
        .executableTarget(name: "DLRTTool", dependencies: ["DLRTONNX", "DLRTRuntime", "DLRTModel", "CZlib"],
                          path: "tools/dlrt",
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .testTarget(name: "DLRTModelTests", dependencies: ["DLRTModel"], path: "Tests/DLRTModelTests"),
        .testTarget(name: "DLRTKernelsTests", dependencies: ["DLRTKernels", "DLRTModel"],
                    path: "Tests/DLRTKernelsTests"),
        .testTarget(name: "DLRTRuntimeTests", dependencies: ["DLRTRuntime", "DLRTModel", "DLRTKernels"],
                    path: "Tests/DLRTRuntimeTests"),
        .testTarget(name: "DLRTONNXTests", dependencies: ["DLRTONNX", "DLRTModel", "DLRTRuntime"],
                    path: "Tests/DLRTONNXTests", exclude: ["Fixtures", "make_fixtures.py"]),
    ]
)

// int8 group: the int8 kernel tests (Tests/DLRTKernelsTests/QGemmTests.swift) call the C kernels directly.
package.targets.first { $0.name == "DLRTKernelsTests" }?.dependencies.append("CDLRTSupport")
