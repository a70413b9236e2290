import CRuntime
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The checkpoint pass on the fixture models in training mode (dropout, SpecAugment, LayerDrop):
/// every strategy gives the un-checkpointed graph's loss and gradients (recomputation repeats
/// the same ops on the same operands, so bit for bit on the interpreter; asserted within 1e-6),
/// lowers the planned peak, and the C backend runs the checkpointed, fused graph within 1e-5.
@Suite struct CheckpointTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]
  /// The memory plan's sizes: two clips of 4 s.
  static let bindings = ["B": 2, "S": 64_000, "L": 60]

  /// The training graph after autodiff and cleanup, its inputs for one clip, and the weights.
  func differentiated(_ model: String) throws -> (graph: Graph, inputs: [String: Tensor], weights: [String: Tensor]) {
    let directory = try ModelDirectory.load(Self.root.appendingPathComponent(model).path)
    let recognizer = try Recognizer(model: directory)
    let clip = try recognizer.loadAudio(Self.root.appendingPathComponent("audio/a.wav").path)
    let batch = recognizer.extractor.batch([clip])
    let forward = try Wav2Vec2Graph.build(directory.configuration, options: .init(usesAttentionMask: batch.attentionMask != nil, training: true))
    let graph = try PassManager(passes: [autodiff()] + PassRegistry.pipeline(PassRegistry.cleanupPipeline)).run(forward).graph
    let inputs = try CleanupPipelineTests().inputs(for: graph, audio: batch.inputValues, attentionMask: batch.attentionMask)
    return (graph, inputs, directory.weights)
  }

  /// The worst relative L2 difference over the outputs; the attention key biases' gradients,
  /// zero in exact arithmetic (rounding noise on both sides), are measured against the largest
  /// output norm.
  static func worstDifference(_ actual: [String: Tensor], _ expected: [String: Tensor]) -> (Double, String) {
    var worst = (0.0, "")
    let largest = expected.values.map { $0.doubles.reduce(0) { $0 + $1 * $1 }.squareRoot() }.max() ?? 0
    for (name, reference) in expected {
      guard let values = actual[name]?.doubles else { return (.infinity, name) }
      let truth = reference.doubles
      let norm = truth.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let difference = zip(values, truth).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
      let relative = name.hasSuffix("k_proj.bias") ? difference / largest : norm > 0 ? difference / norm : difference
      if relative > worst.0 { worst = (relative, name) }
    }
    return worst
  }

  @Test(arguments: models, ["sqrt", "layers"])
  func gradientsAreUnchangedAndThePeakFalls(_ model: String, _ strategy: String) throws {
    let (graph, inputs, weights) = try differentiated(model)
    let checkpointed = try PassManager(passes: [PassRegistry.pass(spec: "checkpoint=\(strategy)")]).run(graph).graph
    let recomputed = checkpointed.allNodes.filter { checkpointed.name(of: $0.result).hasPrefix("recompute.") }
    #expect(!recomputed.isEmpty)
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: weights)
    let actual = try Interpreter().run(checkpointed, inputs: inputs, parameters: weights)
    let (worst, name) = Self.worstDifference(actual, expected)
    #expect(Set(actual.keys) == Set(expected.keys) && worst <= 1e-6, "\(model) \(strategy): \(name) differs by \(worst)")
    let before = try MemoryPlan(graph: graph).resolve(bindings: Self.bindings).peakBytes
    let after = try MemoryPlan(graph: checkpointed).resolve(bindings: Self.bindings).peakBytes
    print("checkpoint=\(strategy) on \(model): \(recomputed.count) nodes recomputed, planned peak \(before) → \(after) bytes at 2 × 4 s")
    #expect(after < before, "\(model) \(strategy): planned peak \(before) → \(after)")
    // A later cleanup must not merge the copies back (cse leaves recompute.* alone).
    let cleaned = try PassManager(passes: PassRegistry.pipeline(PassRegistry.cleanupPipeline)).run(checkpointed).graph
    #expect(cleaned.allNodes.filter { cleaned.name(of: $0.result).hasPrefix("recompute.") }.count == recomputed.count)
  }

  /// A budget between the peak without recomputation and the lowest the strategy reaches is met.
  @Test(arguments: models)
  func aBudgetIsMet(_ model: String) throws {
    let (graph, inputs, weights) = try differentiated(model)
    let before = try MemoryPlan(graph: graph).resolve(bindings: Self.bindings).peakBytes
    let budget = before * 85 / 100
    let checkpointed = try PassManager(passes: [PassRegistry.pass(spec: "checkpoint=budget:\(budget)", bindings: Self.bindings)]).run(graph).graph
    let after = try MemoryPlan(graph: checkpointed).resolve(bindings: Self.bindings).peakBytes
    print("checkpoint=budget:\(budget) on \(model): planned peak \(before) → \(after) bytes")
    #expect(after <= budget)
    let (worst, name) = Self.worstDifference(
      try Interpreter().run(checkpointed, inputs: inputs, parameters: weights), try Interpreter().run(graph, inputs: inputs, parameters: weights))
    #expect(worst <= 1e-6, "\(model): \(name) differs by \(worst)")
    // A budget below what recomputation can reach is refused, naming the reachable peak.
    #expect(throws: (any Error).self) { try PassManager(passes: [PassRegistry.pass(spec: "checkpoint=budget:1024", bindings: Self.bindings)]).run(graph) }
  }

  /// The C backend runs the checkpointed graph after the fusion passes as the interpreter runs
  /// the plain one.
  @Test(arguments: models)
  func theCBackendRunsTheCheckpointedGraph(_ model: String) throws {
    let (graph, inputs, weights) = try differentiated(model)
    let checkpointed = try PassManager(passes: [PassRegistry.pass(spec: "checkpoint=layers")]).run(graph).graph
    let fused = try PassManager(passes: Pipelines.passes(Pipelines.optimization)).run(checkpointed).graph
    let (worst, name) = Self.worstDifference(
      try CBackend().run(fused, inputs: inputs, parameters: weights), try Interpreter().run(graph, inputs: inputs, parameters: weights))
    #expect(worst <= 1e-5, "\(model): \(name) differs by \(worst)")
  }

  /// On the base model's feature encoder (one transformer layer, to keep the test fast), the
  /// segment strategies keep the convolutions of layers 1 to 6 (512 to 768 operations per byte
  /// to redo) and recompute layer 0's (5 per byte).
  @Test(arguments: ["sqrt", "layers"])
  func costlyConvolutionsAreKept(_ strategy: String) throws {
    var configuration = Wav2Vec2Configuration.base
    configuration.numHiddenLayers = 1
    let forward = try Wav2Vec2Graph.build(configuration, options: .init(usesAttentionMask: false, training: true))
    let graph = try PassManager(passes: [autodiff()] + PassRegistry.pipeline(PassRegistry.cleanupPipeline)).run(forward).graph
    let checkpointed = try PassManager(passes: [try PassRegistry.pass(spec: "checkpoint=\(strategy)")]).run(graph).graph
    let recomputedConvolutions = checkpointed.allNodes.filter { $0.op == .conv1d && checkpointed.name(of: $0.result).hasPrefix("recompute.") }
      .map { checkpointed.name(of: $0.result) }
    #expect(recomputedConvolutions.count == 1 && recomputedConvolutions.allSatisfy { $0.contains("conv_layers.0.") }, "\(recomputedConvolutions)")
  }

  /// A kept convolution leaves the gradients as they were: a small random model with 176 conv
  /// channels, where layers 1 to 4 (kernel 3: 264 operations per byte) are kept and layers 0, 5
  /// and 6 (5 and 176 per byte) recomputed, checked on the interpreter against the
  /// un-checkpointed graph.
  @Test func keptConvolutionsLeaveTheGradients() throws {
    var configuration = Wav2Vec2Configuration()
    configuration.hiddenSize = 32
    configuration.numHiddenLayers = 1
    configuration.numAttentionHeads = 2
    configuration.intermediateSize = 64
    configuration.convDim = Array(repeating: 176, count: 7)
    configuration.numConvPosEmbeddings = 16
    configuration.numConvPosEmbeddingGroups = 4
    let forward = try Wav2Vec2Graph.build(configuration, options: .init(usesAttentionMask: false, training: true))
    let graph = try PassManager(passes: [autodiff()] + PassRegistry.pipeline(PassRegistry.cleanupPipeline)).run(forward).graph
    let checkpointed = try PassManager(passes: [PassRegistry.pass(spec: "checkpoint=layers")]).run(graph).graph
    let recomputedConvolutions = checkpointed.allNodes.filter { $0.op == .conv1d && checkpointed.name(of: $0.result).hasPrefix("recompute.") }
    let names = recomputedConvolutions.map { checkpointed.name(of: $0.result) }
    #expect(names.count == 3 && ["conv_layers.0.", "conv_layers.5.", "conv_layers.6."].allSatisfy { layer in names.contains { $0.contains(layer) } }, "\(names)")
    let weights = Initializer.weights(for: forward, config: configuration, seed: 3)
    let audio = Tensor((0..<8000).map { Float(sin(Double($0) * 0.05) * 0.5) }, shape: [1, 8000])
    let inputs = try CleanupPipelineTests().inputs(for: graph, audio: audio, attentionMask: nil)
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: weights)
    let actual = try Interpreter().run(checkpointed, inputs: inputs, parameters: weights)
    let (worst, name) = Self.worstDifference(actual, expected)
    #expect(Set(actual.keys) == Set(expected.keys) && worst <= 1e-6, "\(name) differs by \(worst)")
  }

  @Test func badArgumentsAndGraphsAreRefused() throws {
    #expect(throws: PassError.self) { try PassRegistry.pass(spec: "checkpoint=budget:lots") }
    #expect(throws: PassError.self) { try PassRegistry.pass(spec: "checkpoint=every-other") }
    #expect(throws: PassError.self) { try PassRegistry.pass(spec: "cse=sqrt") }
    #expect(CheckpointStrategy.bytes("4GiB") == 4 << 30 && CheckpointStrategy.bytes("512M") == 512 << 20 && CheckpointStrategy.bytes("1000") == 1000)
    // Without gradients there is nothing to checkpoint; a checkpointed graph is not done twice.
    let forward = try differentiated(Self.models[0]).graph
    let plain = try PassManager(passes: [selectOutputs(["loss"])]).run(forward).graph
    #expect(throws: (any Error).self) { try PassManager(passes: [checkpoint()]).run(plain) }
    let once = try PassManager(passes: [checkpoint(.layers)]).run(forward).graph
    #expect(throws: (any Error).self) { try PassManager(passes: [checkpoint(.layers)]).run(once) }
  }
}
