// swift-tools-version: 6.0
import PackageDescription

// Layers point one way: GenAITensor (engine) -> GenAI (umbrella) -> executables.
// Later layers (GenAINN, GenAIData, GenAIModels, GenAIMetrics) slot in between.
let package = Package(
  name: "genai",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "GenAI", targets: ["GenAI"]),
    .library(name: "GenAITensor", targets: ["GenAITensor"]),
    .executable(name: "genai", targets: ["GenAICLI"]),
    .executable(name: "genai-bench", targets: ["GenAIBench"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    .target(name: "GenAITensor"),
    .target(name: "GenAI", dependencies: ["GenAITensor"]),
    .executableTarget(
      name: "GenAICLI",
      dependencies: ["GenAI", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    .executableTarget(name: "GenAIBench", dependencies: ["GenAI"]),
    .testTarget(name: "GenAITensorTests", dependencies: ["GenAITensor"]),
  ]
)
