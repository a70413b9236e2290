import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The cleanup pipeline (fold-constants, simplify, cse, dce) on whole models: it reaches a
/// fixed point after one round, and the interpreter gives the same outputs, loss and
/// gradients on the cleaned graph as on the original (within 1e-5 relative; the rewrites are
/// exact, so in practice bit for bit).
@Suite struct CleanupPipelineTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]

  func cleaned(_ graph: Graph) throws -> Graph {
    let cleanup = try PassRegistry.pipeline(PassRegistry.cleanupPipeline)
    let once = try PassManager(passes: cleanup).run(graph).graph
    #expect(try PassManager(passes: cleanup).run(once).graph == once, "a second round still changed the graph")
    return once
  }

  @Test(arguments: models, [false, true])
  func cleanedGraphComputesTheSame(_ model: String, _ training: Bool) throws {
    let folder = Self.root.appendingPathComponent(model).path
    let directory = try ModelDirectory.load(folder)
    let recognizer = try Recognizer(model: directory)
    let clip = try recognizer.loadAudio(Self.root.appendingPathComponent("audio/a.wav").path)
    let batch = recognizer.extractor.batch([clip])
    var forward = directory.graph
    if training {
      let options = Wav2Vec2Graph.Options(usesAttentionMask: batch.attentionMask != nil, training: true)
      forward = try Wav2Vec2Graph.build(directory.configuration, options: options)
    }
    let graph = training ? try PassManager(passes: [autodiff()]).run(forward).graph : forward
    let inputs = try inputs(for: graph, audio: batch.inputValues, attentionMask: batch.attentionMask)
    let clean = try cleaned(graph)
    #expect(clean.allNodes.count < graph.allNodes.count)

    let expected = try Interpreter().run(graph, inputs: inputs, parameters: directory.weights)
    let actual = try Interpreter().run(clean, inputs: inputs, parameters: directory.weights)
    #expect(Set(actual.keys) == Set(expected.keys))
    var worst = 0.0
    for (name, reference) in expected {
      let values = try #require(actual[name]).doubles
      let truth = reference.doubles
      let scale = Swift.max(truth.map(Swift.abs).max() ?? 0, 1e-30)
      let difference = zip(values, truth).map { Swift.abs($0 - $1) }.max() ?? 0
      worst = Swift.max(worst, difference / scale)
    }
    #expect(worst <= 1e-5, "\(model) training \(training): worst relative difference \(worst)")
  }

  /// Every input the graph takes, for one clip: audio, labels, a dropout seed, a SpecAugment
  /// mask over every third frame and LayerDrop keeping all but the first layer.
  func inputs(for graph: Graph, audio: Tensor, attentionMask: Tensor?) throws -> [String: Tensor] {
    let samples = audio.shape[1]
    var inputs: [String: Tensor] = ["input_values": audio, "labels": Tensor([Int64]([3, 5, 7, 5]), shape: [1, 4])]
    if let attentionMask { inputs["attention_mask"] = attentionMask }
    for input in graph.inputs where inputs[graph.name(of: input)] == nil {
      let type = graph.type(of: input)
      let shape = try type.shape.map { try #require($0.evaluate(["B": audio.shape[0], "S": samples])) }
      let count = shape.reduce(1, *)
      switch graph.name(of: input) {
      case "dropout_seed": inputs["dropout_seed"] = .scalar(Int64(7))
      case "mask_time_indices": inputs["mask_time_indices"] = Tensor((0..<count).map { $0 % 3 == 0 }, shape: shape)
      case "layer_keep": inputs["layer_keep"] = Tensor((0..<count).map { $0 != 0 }, shape: shape)
      case let name: Issue.record("no test value for input \(name)")
      }
    }
    return inputs
  }

  @Test func baseGraphsReachAFixedPointInOneRound() throws {
    let inference = try Wav2Vec2Graph.build(.base, options: .init(usesAttentionMask: false))
    let training = try PassManager(passes: [autodiff()]).run(try Wav2Vec2Graph.build(.base, options: .init(usesAttentionMask: false, training: true))).graph
    for (label, graph) in [("inference", inference), ("training", training)] {
      let clean = try cleaned(graph)
      // The seven-layer length formula is one sub, floor_div and add on the audio length.
      #expect(clean.nodes.filter { $0.op == .floorDiv }.count == 1, "\(label)")
      print("base \(label): \(graph.allNodes.count) nodes, \(clean.allNodes.count) after \(PassRegistry.cleanupPipeline)")
    }
  }
}
