import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime
import Testing

/// The fixture models (tools/make_reference.py) through the C backend: a padded batch of three
/// clips with labels, forward logits and loss, and with autodiff every gradient, against the
/// interpreter; unfused and after the fusion passes.
@Suite struct ModelParityTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")
  static let models = ["group_postln_evenpos", "layer_stable_oddpos", "layer_postln_evenpos"]

  /// The model, its weights and the batch every test runs.
  static func fixture(_ model: String) throws -> (ModelDirectory, [String: Tensor]) {
    let folder = root.appendingPathComponent(model).path
    let directory = try ModelDirectory.load(folder)
    let recognizer = try Recognizer(model: directory)
    let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))) as! [String: Any]
    let labels = (expected["ctc"] as! [String: Any])["labels_padded"] as! [[Int]]
    let clips = try ["a", "b", "c"].map { try recognizer.loadAudio(root.appendingPathComponent("audio/\($0).wav").path) }
    let batch = recognizer.extractor.batch(clips)
    var inputs = ["input_values": batch.inputValues, "labels": Tensor(labels.flatMap { $0.map(Int64.init) }, shape: [3, labels[0].count])]
    if let mask = batch.attentionMask { inputs["attention_mask"] = mask }
    return (directory, inputs)
  }

  @Test(arguments: models)
  func forwardLogitsAndLoss(_ model: String) throws {
    let (directory, inputs) = try Self.fixture(model)
    try Parity.check(directory.graph, inputs: inputs, parameters: directory.weights, "\(model) forward")
  }

  /// The key projection's bias gradient is zero in exact arithmetic (softmax ignores a shift
  /// shared by a row's scores), so both backends return rounding noise of about 1e-8 that
  /// differs with the GEMM library's summation order: it is measured against the scale of the
  /// key projection's weight gradient.
  static func scaleFrom(_ name: String) -> String? {
    name.hasSuffix("attention.k_proj.bias") ? String(name.dropLast("bias".count)) + "weight" : nil
  }

  @Test(arguments: models)
  func gradients(_ model: String) throws {
    let (directory, inputs) = try Self.fixture(model)
    let graph = try PassManager(passes: [autodiff()]).run(directory.graph).graph
    try Parity.check(graph, inputs: inputs, parameters: directory.weights, scaleFrom: Self.scaleFrom, "\(model) gradients")
  }

  /// The same after the fusion passes (multi-result regions included).
  @Test(arguments: models)
  func forwardAndGradientsFused(_ model: String) throws {
    let (directory, inputs) = try Self.fixture(model)
    try Parity.check(directory.graph, inputs: inputs, parameters: directory.weights, fused: true, "\(model) forward fused")
    let graph = try PassManager(passes: [autodiff()]).run(directory.graph).graph
    try Parity.check(graph, inputs: inputs, parameters: directory.weights, fused: true, scaleFrom: Self.scaleFrom, "\(model) gradients fused")
  }
}
