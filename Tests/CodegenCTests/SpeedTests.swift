import CRuntime
import CodegenC
import Passes
import Foundation
import IR
import Models
import Runtime
import Testing

/// A first speed figure of the C backend: base inference on 1 × 10 s of audio, seconds per
/// audio-second (median of three). Opt-in (tools/bench-codegen sets ASRC_BENCH_C=1): the
/// first build of the base graph runs the C compiler for a while.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["ASRC_BENCH_C"] != nil)) struct SpeedTests {
  @Test func baseInference() throws {
    let seconds = Double(ProcessInfo.processInfo.environment["SECONDS_OF_AUDIO"] ?? "10") ?? 10
    let graph = try Wav2Vec2Graph.build(.base, options: .init(withLoss: false, usesAttentionMask: false))
    let weights = Initializer.weights(for: graph, config: .base, seed: 0)
    var values = TestValues(seed: 1)
    let samples = Int(seconds * 16000)
    let audio = values.floats([1, samples], in: -0.3...0.3)
    let clock = ContinuousClock()
    let start = clock.now
    let model = try Parity.backend.model(for: graph)
    let build = clock.now - start
    _ = try model.run(inputs: ["input_values": audio], parameters: weights)
    var timings: [Double] = []
    for _ in 0..<3 {
      let elapsed = try clock.measure { _ = try model.run(inputs: ["input_values": audio], parameters: weights) }
      timings.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }
    let median = timings.sorted()[1]
    print(String(format: "asrc C backend: %.3f s per audio-second (base, 1 × %.1f s, median of 3: %.2f s; build %@ %@)",
      median / seconds, seconds, median, "\(build)", model.build.cached ? "(cached)" : "(compiled)"))
    // The interpreter in this (debug) test build, for a same-process comparison when asked.
    if ProcessInfo.processInfo.environment["ASRC_BENCH_INTERPRETER"] != nil {
      let interpreter = Interpreter()
      _ = try interpreter.run(graph, inputs: ["input_values": audio], parameters: weights)
      let elapsed = try clock.measure { _ = try interpreter.run(graph, inputs: ["input_values": audio], parameters: weights) }
      let time = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
      print(String(format: "asrc interpreter (debug build): %.3f s per audio-second", time / seconds))
    }
  }

  /// The compile time of the base training graph (autodiff, then C emission and the C
  /// compiler, in a fresh cache), and of the cached second build.
  @Test func baseTrainingCompileTime() throws {
    let clock = ContinuousClock()
    var start = clock.now
    let forward = try Wav2Vec2Graph.build(.base, options: .init(usesAttentionMask: false))
    let graph = try PassManager(passes: [autodiff()]).run(forward).graph
    let passes = clock.now - start
    start = clock.now
    let source = try CEmitter.emit(graph)
    let emit = clock.now - start
    var environment = ProcessInfo.processInfo.environment
    environment["XDG_CACHE_HOME"] = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-bench-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: environment["XDG_CACHE_HOME"]!) }
    let compiler = CCompiler(environment: environment)
    start = clock.now
    let first = try compiler.build(source)
    let build = clock.now - start
    start = clock.now
    let second = try compiler.build(source)
    let cached = clock.now - start
    print("base training graph: \(graph.nodes.count) nodes, \(source.code.utf8.count) bytes of C; autodiff \(passes), emit \(emit), C compiler \(build), cached second build \(cached)")
    #expect(!first.cached && second.cached)
  }
}
