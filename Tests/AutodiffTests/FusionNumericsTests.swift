import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The fusion passes change how a graph is grouped, never what it computes: on every fixture
/// model the fused graph run by the interpreter matches the unfused one (the reference) within
/// 1e-5 relative, for the forward outputs, and for the training step (dropout, SpecAugment and
/// LayerDrop on, after autodiff) the loss and every gradient.
@Suite struct FusionNumericsTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]
  static let fusion = "fuse-reductions,fuse-epilogues,fuse-elementwise,dce"

  /// The fixture's three clips as one padded batch, with its labels.
  func inputs(_ directory: ModelDirectory, graph: Graph, training: Bool) throws -> [String: Tensor] {
    let recognizer = try Recognizer(model: directory)
    let clips = try ["a", "b", "c"].map { try recognizer.loadAudio(Self.root.appendingPathComponent("audio/\($0).wav").path) }
    let batch = recognizer.extractor.batch(clips)
    let frames = directory.configuration.frameCount(samples: batch.inputValues.shape[1])
    let vocabulary = Int64(directory.configuration.vocabSize)
    let labels = (0..<(3 * 5)).map { Int64($0 * 7 + 1) % (vocabulary - 1) + 1 }
    var inputs = ["input_values": batch.inputValues, "labels": Tensor(labels, shape: [3, 5])]
    if let mask = batch.attentionMask, graph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    if training {
      inputs["dropout_seed"] = .scalar(Int64(11))
      if graph.input(named: "mask_time_indices") != nil {
        inputs["mask_time_indices"] = Tensor((0..<(3 * frames)).map { $0 % 5 == 2 }, shape: [3, frames])
      }
      let layers = directory.configuration.numHiddenLayers
      if graph.input(named: "layer_keep") != nil { inputs["layer_keep"] = Tensor((0..<layers).map { $0 != 1 }, shape: [layers]) }
    }
    return inputs
  }

  /// `multiResult`: the graph has a value both a region and something outside read (a stable
  /// layer norm's residual sum, a norm's backward), so some region must have several results.
  func compare(_ graph: Graph, weights: [String: Tensor], inputs: [String: Tensor], label: String, multiResult: Bool) throws {
    let (fused, _) = try PassManager(passes: try PassRegistry.pipeline(Self.fusion)).run(graph)
    #expect(fused.nodes.contains { $0.op == .fused }, "\(label): nothing was fused")
    if multiResult { #expect(fused.nodes.contains { $0.results.count > 1 }, "\(label): no multi-result region") }
    let reference = try Interpreter().run(graph, inputs: inputs, parameters: weights)
    let actual = try Interpreter().run(fused, inputs: inputs, parameters: weights)
    #expect(Set(actual.keys) == Set(reference.keys))
    // Relative to each tensor's largest magnitude; gradients that vanish in exact arithmetic
    // (attention key biases) are held to the largest gradient instead.
    let scale = reference.values.map { $0.doubles.map(Swift.abs).max() ?? 0 }.max() ?? 1
    var worst = 0.0
    for (name, expected) in reference {
      let got = try #require(actual[name]).doubles
      let truth = expected.doubles
      #expect(got.count == truth.count, "\(label): \(name) has \(got.count) elements, expected \(truth.count)")
      let magnitude = Swift.max(truth.map(Swift.abs).max() ?? 0, 1e-6 * scale)
      let difference = zip(got, truth).map { Swift.abs($0 - $1) }.max() ?? 0
      let relative = difference / magnitude
      worst = Swift.max(worst, relative)
      #expect(relative <= 1e-5, "\(label): \(name) differs by \(relative) relative after fusion")
    }
    print("fusion numerics \(label): \(graph.nodes.count) → \(fused.nodes.count) top-level nodes, \(reference.count) outputs, worst relative difference \(worst)")
  }

  @Test(arguments: models)
  func forwardOutputsAreUnchanged(_ model: String) throws {
    let directory = try ModelDirectory.load(Self.root.appendingPathComponent(model).path)
    try compare(directory.graph, weights: directory.weights, inputs: try inputs(directory, graph: directory.graph, training: false), label: "\(model) forward", multiResult: model.contains("stable"))
  }

  @Test(arguments: models)
  func trainingLossAndGradientsAreUnchanged(_ model: String) throws {
    let directory = try ModelDirectory.load(Self.root.appendingPathComponent(model).path)
    let forward = try Wav2Vec2Graph.build(
      directory.configuration, options: .init(usesAttentionMask: directory.graph.input(named: "attention_mask") != nil, training: true))
    let graph = try PassManager(passes: [autodiff()]).run(forward).graph
    var weights = directory.weights
    if graph.parameter(named: "wav2vec2.masked_spec_embed") != nil, weights["wav2vec2.masked_spec_embed"] == nil {
      weights["wav2vec2.masked_spec_embed"] = Tensor((0..<directory.configuration.hiddenSize).map { Float($0 % 7) / 7 }, shape: [directory.configuration.hiddenSize])
    }
    try compare(graph, weights: weights, inputs: try inputs(directory, graph: graph, training: true), label: "\(model) training", multiResult: true)
  }
}
