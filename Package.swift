// swift-tools-version:5.9
// dlrt — an embeddable deep-learning inference runtime.
// Dependency direction (arrows point at what is depended on):
//   DLRTKernels → DLRTModel;  DLRTRuntime → DLRTKernels, DLRTModel;  DLRT (libdlrt.so) → DLRTRuntime
//   DLRTONNX → DLRTModel, COnnx;  tools/dlrt → DLRTONNX, DLRTRuntime
import PackageDescription

// Swift SIMD kernels lower to per-lane libm calls without a target CPU (see docs/ARCHITECTURE.md).
// Baseline for this issue: x86-64-v3 class machines (AVX2 + FMA). Per-ISA dispatch is tracked in the speed issue.
let kernelFlags: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
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
        .target(name: "DLRTModel", dependencies: ["CZlib"], path: "Sources/DLRTModel",
                swiftSettings: leanFlags),
        .target(name: "DLRTKernels", dependencies: ["DLRTModel"], path: "Sources/DLRTKernels",
                swiftSettings: leanFlags + kernelFlags),
        .target(name: "DLRTRuntime", dependencies: ["DLRTModel", "DLRTKernels", "CDLRTSupport"],
                path: "Sources/DLRTRuntime", swiftSettings: leanFlags + kernelFlags),
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
                          path: "tools/dlrt", swiftSettings: kernelFlags,
                          linkerSettings: [.unsafeFlags(["-static-stdlib"])]),
        .testTarget(name: "DLRTModelTests", dependencies: ["DLRTModel"], path: "Tests/DLRTModelTests"),
        .testTarget(name: "DLRTKernelsTests", dependencies: ["DLRTKernels", "DLRTModel"],
                    path: "Tests/DLRTKernelsTests", swiftSettings: kernelFlags),
        .testTarget(name: "DLRTRuntimeTests", dependencies: ["DLRTRuntime", "DLRTModel", "DLRTKernels"],
                    path: "Tests/DLRTRuntimeTests", swiftSettings: kernelFlags),
        .testTarget(name: "DLRTONNXTests", dependencies: ["DLRTONNX", "DLRTModel", "DLRTRuntime"],
                    path: "Tests/DLRTONNXTests", exclude: ["Fixtures", "make_fixtures.py"]),
    ]
)

// int8 group: the int8 kernel tests (Tests/DLRTKernelsTests/QGemmTests.swift) call the C kernels directly.
package.targets.first { $0.name == "DLRTKernelsTests" }?.dependencies.append("CDLRTSupport")
