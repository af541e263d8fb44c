// swift-tools-version: 6.0
import PackageDescription

// Layers point one way: CGenAIKernels (C kernels) -> GenAITensor (engine) -> GenAINN (modules, layers, optimisers, checkpoints)
// -> GenAI (umbrella) -> executables. GenAIData (readers, writers, preprocessing, batching) sits
// beside GenAINN on the engine and on the system zlib (CZlib); GenAIModels (recipes) sits above
// both, and GenAITraining (run folders, the training loop, sampling to files) above the models.
let package = Package(
  name: "genai",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "GenAI", targets: ["GenAI"]),
    .library(name: "GenAITensor", targets: ["GenAITensor"]),
    .library(name: "GenAINN", targets: ["GenAINN"]),
    .library(name: "GenAIData", targets: ["GenAIData"]),
    .library(name: "GenAIModels", targets: ["GenAIModels"]),
    .library(name: "GenAITraining", targets: ["GenAITraining"]),
    .library(name: "GenAIMetrics", targets: ["GenAIMetrics"]),
    .library(name: "GenAIServer", targets: ["GenAIServer"]),
    .library(name: "GenAIDistributed", targets: ["GenAIDistributed"]),
    .executable(name: "genai", targets: ["GenAICLI"]),
    .executable(name: "genai-bench", targets: ["GenAIBench"]),
    .executable(name: "genai-fuzz", targets: ["GenAIFuzz"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    // Already in the graph through Hummingbird; named for the studio tests' in-process client.
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.8.0"),
  ],
  targets: [
    // The compute kernels whose speed depends on per-function CPU targets (C can say
    // `__attribute__((target("avx512f")))`, Swift cannot); chosen at run time.
    .target(name: "CGenAIKernels"),
    // Open MPI, opened with dlopen when genai runs under mpirun: nothing to link, nothing required.
    .target(name: "CGenAIMPI", linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    // The system zlib behind GenAIData's Zlib, Gzip and CRC32 (PNG, gzip'd IDX). zlib1g-dev is one
    // of the Swift toolchain's own Linux prerequisites; macOS has zlib in its SDK.
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),
    .target(name: "GenAITensor", dependencies: ["CGenAIKernels"]),
    .target(name: "GenAINN", dependencies: ["GenAITensor"]),
    .target(name: "GenAIData", dependencies: ["GenAITensor", "CZlib"]),
    .target(name: "GenAIModels", dependencies: ["GenAITensor", "GenAINN", "GenAIData"]),
    .target(name: "GenAIMetrics", dependencies: ["GenAITensor"]),
    // Data-parallel training's processes: MPI's world as the engine's `Collective`.
    .target(name: "GenAIDistributed", dependencies: ["GenAITensor", "CGenAIMPI"]),
    .target(name: "GenAITraining", dependencies: ["GenAITensor", "GenAINN", "GenAIData", "GenAIModels", "GenAIMetrics"]),
    .target(
      name: "GenAI", dependencies: ["GenAITensor", "GenAINN", "GenAIData", "GenAIModels", "GenAIMetrics", "GenAITraining"]),
    .target(name: "GenAIServer", dependencies: ["GenAI", .product(name: "Hummingbird", package: "hummingbird")]),
    .executableTarget(
      name: "GenAICLI",
      dependencies: [
        "GenAI", "GenAIServer", "GenAIDistributed", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Hummingbird", package: "hummingbird"),
      ]),
    .executableTarget(name: "GenAIBench", dependencies: ["GenAI"]),
    // The readers' fuzz targets (Scripts/fuzz.sh builds them with libFuzzer; a plain build gives a
    // `genai-fuzz` that replays files through them) and their seed corpus in Fuzz/corpus.
    .executableTarget(name: "GenAIFuzz", dependencies: ["GenAIData", "GenAINN", "GenAITraining"], path: "Fuzz/Sources"),
    // What several test targets share: the gradient checker, the shared datasets and the trait
    // that skips a test without them, temporary folders, outside tools. Public engine API only,
    // so it builds in every configuration (a plain `swift build` builds it too).
    .target(name: "GenAITestSupport", dependencies: ["GenAITensor"], path: "Tests/GenAITestSupport"),
    .testTarget(name: "GenAITensorTests", dependencies: ["GenAITensor", "CGenAIKernels", "GenAITestSupport"]),
    .testTarget(name: "GenAINNTests", dependencies: ["GenAINN", "GenAITensor", "GenAITestSupport"]),
    .testTarget(name: "GenAIDataTests", dependencies: ["GenAIData", "GenAITensor", "GenAITestSupport"]),
    .testTarget(
      name: "GenAIModelsTests",
      dependencies: ["GenAIModels", "GenAIMetrics", "GenAINN", "GenAIData", "GenAITensor", "GenAITestSupport"]),
    .testTarget(
      name: "GenAITrainingTests",
      dependencies: ["GenAITraining", "GenAIModels", "GenAINN", "GenAIData", "GenAITensor", "GenAITestSupport"]),
    .testTarget(name: "GenAICLITests", dependencies: ["GenAICLI", "GenAITestSupport"]),
    .testTarget(
      name: "GenAIServerTests",
      dependencies: [
        "GenAI", "GenAIServer", "GenAITestSupport", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "NIOEmbedded", package: "swift-nio"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),
    .testTarget(name: "GenAIMetricsTests", dependencies: ["GenAIMetrics", "GenAITensor"]),
    .testTarget(name: "GenAIFuzzTests", dependencies: ["GenAIFuzz"]),
  ]
)
