// swift-tools-version:6.0
import PackageDescription

// asrc: a Wav2Vec2 speech-recognition model compiler.
// Module boundaries follow docs/architecture.md; system libraries come in through
// pkg-config module maps under Sources/C*.
let package = Package(
  name: "asrc",
  platforms: [.macOS(.v15)],
  products: [
    .executable(name: "asrc", targets: ["asrc"]),
    .library(name: "IR", targets: ["IR"]),
    .library(name: "Passes", targets: ["Passes"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/apple/swift-numerics", from: "1.0.0"),
  ],
  targets: [
    // System libraries (Debian: libopenblas-dev, libsndfile1-dev, libsoxr-dev, libprotobuf-c-dev).
    .systemLibrary(
      name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]),
    .systemLibrary(
      name: "CSndFile", path: "Sources/CSndFile", pkgConfig: "sndfile",
      providers: [.apt(["libsndfile1-dev"])]),
    .systemLibrary(
      name: "CSoxr", path: "Sources/CSoxr", pkgConfig: "soxr",
      providers: [.apt(["libsoxr-dev"])]),
    .systemLibrary(
      name: "CProtobufC", path: "Sources/CProtobufC", pkgConfig: "libprotobuf-c",
      providers: [.apt(["libprotobuf-c-dev"])]),

    .target(name: "IR", path: "IR"),
    .target(name: "Passes", dependencies: ["IR"], path: "Passes"),
    .target(name: "Tensor", dependencies: ["IR"], path: "Sources/Tensor"),
    .target(
      name: "Runtime",
      dependencies: ["IR", "Tensor", "COpenBLAS", .product(name: "RealModule", package: "swift-numerics")],
      path: "Sources/Runtime"),
    .target(
      name: "Models", dependencies: ["IR", "Tensor", .product(name: "RealModule", package: "swift-numerics")], path: "Sources/Models"),
    .target(name: "Formats", dependencies: ["IR", "Tensor", "Models"], path: "Sources/Formats"),
    .target(name: "Audio", dependencies: ["CSndFile", "CSoxr"], path: "Sources/Audio"),
    .target(name: "Data", dependencies: ["Audio", "Formats", "Models", "Tensor"], path: "Sources/Data"),
    .target(name: "Inference", dependencies: ["Audio", "Data", "Formats", "IR", "Passes", "Runtime"], path: "Sources/Inference"),
    .target(
      name: "SystemInfo", dependencies: ["COpenBLAS", "CSndFile", "CSoxr", "CProtobufC"],
      path: "Sources/SystemInfo"),
    .executableTarget(
      name: "asrc",
      dependencies: [
        "IR", "Passes", "SystemInfo", "Models", "Formats", "Inference", "Runtime", "Audio", "Data",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ],
      path: "Sources/asrc"),

    .testTarget(name: "IRTests", dependencies: ["IR"], path: "Tests/IRTests"),
    .testTarget(name: "PassesTests", dependencies: ["IR", "Passes"], path: "Tests/PassesTests"),
    .testTarget(
      name: "ModelTests", dependencies: ["IR", "Passes", "Models", "Formats", "Runtime", "Inference", "Audio", "Data"],
      path: "Tests/ModelTests"),
    .testTarget(name: "CLITests", dependencies: ["asrc"], path: "Tests/CLITests"),
    .testTarget(name: "AutodiffTests", dependencies: ["IR", "Passes", "Runtime", "Models", "Formats", "Inference"], path: "Tests/AutodiffTests"),
    .testTarget(name: "DataTests", dependencies: ["Audio", "Data", "Formats", "Models"], path: "Tests/DataTests"),
  ]
)
