import CRuntime
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The mixed-precision training graph on the C backend against the interpreter: the same loss and
/// gradients up to the half GEMMs' summation order (loss within 1e-3 relative, gradient cosine
/// ≥ 0.999), with the graph as the pass leaves it and after cleanup and fusion, and the same
/// numbers on a second run (oneDNN's native bf16 kernels broke that; see CPrelude).
@Suite struct MixedPrecisionBackendTests {
  @Test(arguments: ["unfused", "fused"])
  func theCBackendRunsMixedPrecisionAsTheInterpreter(_ variant: String) throws {
    let root = CheckpointTests.root
    let directory = try ModelDirectory.load(root.appendingPathComponent("group_postln_evenpos").path)
    let recognizer = try Recognizer(model: directory)
    let clip = try recognizer.loadAudio(root.appendingPathComponent("audio/a.wav").path)
    let batch = recognizer.extractor.batch([clip])
    let forward = try Wav2Vec2Graph.build(directory.configuration, options: .init(usesAttentionMask: batch.attentionMask != nil, training: true))
    var graph = try PassManager(passes: [autodiff(), mixedPrecision(.bf16)]).run(forward).graph
    if variant == "fused" { graph = try PassManager(passes: Pipelines.passes(Pipelines.optimization)).run(graph).graph }
    let inputs = try CleanupPipelineTests().inputs(for: graph, audio: batch.inputValues, attentionMask: batch.attentionMask)
    let expected = try Interpreter().run(graph, inputs: inputs, parameters: directory.weights)
    let actual = try CBackend().run(graph, inputs: inputs, parameters: directory.weights)
    let again = try CBackend().run(graph, inputs: inputs, parameters: directory.weights)
    #expect(again["loss"]!.doubles == actual["loss"]!.doubles, "the C backend is not deterministic: \(again["loss"]!.doubles) vs \(actual["loss"]!.doubles)")
    let (loss, cLoss) = (expected["loss"]!.doubles[0], actual["loss"]!.doubles[0])
    var worst = (1.0, "")
    for (name, gradient) in expected where name.hasPrefix("grad.") && !name.hasSuffix("k_proj.bias") {
      let similarity = MixedPrecisionTests.cosine(try #require(actual[name]).doubles, gradient.doubles)
      if similarity < worst.0 { worst = (similarity, name) }
    }
    print("bf16 training graph (\(variant)), C against the interpreter: loss \(cLoss) vs \(loss), worst gradient cosine \(worst)")
    #expect(abs(cLoss - loss) <= 1e-3 * abs(loss))
    #expect(worst.0 >= 0.999, "\(worst.1)")
  }
}
