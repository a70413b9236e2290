// swift-tools-version:6.0
import PackageDescription

// libFuzzer harnesses for asrc's readers, one executable per reader. Kept out of the main
// package so that `swift build` and `swift test` there never need the fuzzer runtime; built and
// run by tools/fuzz with `--sanitize=fuzzer --sanitize=address`. Each harness calls the same
// FuzzTarget entry point that Tests/FuzzCorpusTests replays the corpora through.
let harnesses = ["ir", "safetensors", "npy", "onnx", "config", "tokenizer", "manifest", "audio"]

let package = Package(
  name: "asrc-fuzz",
  platforms: [.macOS(.v15)],
  dependencies: [.package(name: "asrc", path: "..")],
  targets: harnesses.map { name in
    .executableTarget(
      name: "fuzz-\(name)", dependencies: [.product(name: "FuzzTargets", package: "asrc")], path: "Harnesses/\(name)")
  }
)
