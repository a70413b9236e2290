import Foundation
import Formats
import IR
import Inference
import Data
import Models
import Passes
import Runtime
import Testing

/// Logits, transcripts and CTC losses against transformers 5.24 on randomised reference models.
@Suite struct HuggingFaceParityTests {
  static let clips = ["a", "b", "c"]

  @Test(arguments: Fixtures.models)
  func singleClipLogitsAndTranscriptsMatch(_ model: String) throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(Fixtures.path(model)))
    let expected = try Fixtures.expected(model)
    let audio = expected["audio"] as! [String: [String: Any]]
    for clip in Self.clips {
      let samples = try recognizer.loadAudio(Fixtures.path("audio/\(clip).wav"))
      let logits = try recognizer.logits([samples])
      let reference = try NumPy.read(Fixtures.path("\(model)/logits_\(clip).npy"))
      #expect(logits.shape == [1] + reference.shape)
      let error = relativeMaxDifference(logits.floats, reference.floats)
      print("parity \(model) \(clip): max |Δlogit| / max |logit| = \(error)")
      // Measured: at most 1.5e-6 over the three models and clips.
      #expect(error <= 5e-6, "\(model) \(clip): max |Δlogit| / max |logit| = \(error)")
      let transcript = recognizer.transcripts(logits: logits, sampleCounts: [samples.count])[0]
      #expect(transcript == audio[clip]!["greedy_transcript"] as! String, "\(model) \(clip)")
    }
  }

  @Test(arguments: Fixtures.models)
  func paddedBatchLogitsMatch(_ model: String) throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(Fixtures.path(model)))
    let expected = try Fixtures.expected(model)
    let clips = try Self.clips.map { try recognizer.loadAudio(Fixtures.path("audio/\($0).wav")) }
    let logits = try recognizer.logits(clips)
    let reference = try NumPy.read(Fixtures.path("\(model)/batch_logits.npy"))
    #expect(logits.shape == reference.shape)
    let error = relativeMaxDifference(logits.floats, reference.floats)
    print("parity \(model) padded batch: max |Δlogit| / max |logit| = \(error)")
    // Measured: at most 1.2e-6.
    #expect(error <= 5e-6, "\(model) batch: max |Δlogit| / max |logit| = \(error)")
    let batch = expected["batch"] as! [String: Any]
    let frames = logits.shape[1]
    let full = recognizer.transcripts(logits: logits, sampleCounts: Array(repeating: frames * 320 + 80, count: 3))
    #expect(full == batch["greedy_transcripts_full_rows"] as! [String], "\(model)")
    // What Evaluator decodes: each row over the frames its own audio yields.
    let valid = recognizer.transcripts(logits: logits, sampleCounts: clips.map(\.count))
    #expect(valid == batch["greedy_transcripts_valid_frames"] as! [String], "\(model)")
  }

  /// The feature extractor's normalisation of each clip alone (Wav2Vec2FeatureExtractor).
  @Test func inputValuesMatchTheFeatureExtractor() throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(Fixtures.path(Fixtures.models[0])))
    for clip in Self.clips {
      let values = FeatureExtractor.normalize(try recognizer.loadAudio(Fixtures.path("audio/\(clip).wav")))
      let reference = try NumPy.read(Fixtures.path("audio/input_values_\(clip).npy")).floats
      let error = zip(values, reference).map { abs($0 - $1) }.max() ?? .infinity
      print("parity input values \(clip): max |Δ| \(error)")
      // Measured: at most 4.8e-7 (float32 sums in a different order from numpy's).
      #expect(values.count == reference.count && error <= 1.5e-6, "\(clip): \(values.count) values, max |Δ| \(error)")
    }
  }

  /// The convolution stack's output and the encoder's last hidden state of clip a.
  @Test(arguments: Fixtures.models)
  func intermediatesMatch(_ model: String) throws {
    let directory = try ModelDirectory.load(Fixtures.path(model))
    var graph = try PassManager(passes: [selectOutputs(["logits"])]).run(directory.graph).graph
    // transformers returns the convolution stack's output after feature_projection.layer_norm.
    let convolutionOutput = ValueID(try #require(graph.values.indices.first { graph.values[$0].name == "extract_features" }))
    let normed = try #require(graph.nodes.first { $0.op == .layerNorm && $0.operands[0] == convolutionOutput })
    let logitsNode = try #require(graph.nodes.first { $0.result == graph.output(named: "logits") })
    graph.outputs.append(GraphOutput(name: "extract_features", value: normed.result))
    // lm_head's input: the encoder's output (final dropout is the identity in evaluation).
    graph.outputs.append(GraphOutput(name: "last_hidden_state", value: logitsNode.operands[0]))
    let recognizer = try Recognizer(model: directory)
    let batch = recognizer.extractor.batch([try recognizer.loadAudio(Fixtures.path("audio/a.wav"))])
    var inputs = ["input_values": batch.inputValues]
    if let mask = batch.attentionMask { inputs["attention_mask"] = mask }
    let outputs = try Interpreter().run(graph, inputs: inputs, parameters: directory.weights)
    for name in ["extract_features", "last_hidden_state"] {
      let reference = try NumPy.read(Fixtures.path("\(model)/\(name)_a.npy"))
      let actual = try #require(outputs[name])
      #expect(actual.shape == [1] + reference.shape, "\(model) \(name): \(actual.shape) vs \(reference.shape)")
      let error = relativeMaxDifference(actual.floats, reference.floats)
      print("parity \(model) \(name): max |Δ| / max |reference| = \(error)")
      // Measured: at most 1.4e-6.
      #expect(error <= 5e-6, "\(model) \(name): \(error)")
    }
  }

  /// Each row's own CTC loss (reduction "none" in torch): the row alone as a batch of one with
  /// the "sum" reduction, since the rows of a batch do not interact.
  @Test(arguments: Fixtures.models)
  func perSampleLossesMatch(_ model: String) throws {
    let directory = try ModelDirectory.load(Fixtures.path(model))
    let recognizer = try Recognizer(model: directory)
    let ctc = try Fixtures.expected(model)["ctc"] as! [String: Any]
    let labels = ctc["labels_padded"] as! [[Int]]
    let expected = (ctc["per_sample_losses_reduction_none"] as! [NSNumber]).map(\.doubleValue)
    let batch = recognizer.extractor.batch(try Self.clips.map { try recognizer.loadAudio(Fixtures.path("audio/\($0).wav")) })
    var config = directory.configuration
    config.ctcLossReduction = "sum"
    let graph = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: directory.featureExtractor.returnAttentionMask))
    let width = batch.inputValues.shape[1]
    for row in 0..<labels.count {
      let values = Array(batch.inputValues.floats[row * width..<(row + 1) * width])
      var inputs = ["input_values": Tensor(values, shape: [1, width]), "labels": Tensor(labels[row].map(Int64.init), shape: [1, labels[row].count])]
      if let mask = batch.attentionMask { inputs["attention_mask"] = Tensor(Array(mask.int64s[row * width..<(row + 1) * width]), shape: [1, width]) }
      let loss = Double(try Interpreter().run(graph, inputs: inputs, parameters: directory.weights)["loss"]!.floats[0])
      let relative = abs(loss - expected[row]) / expected[row]
      print("parity \(model) per-sample loss row \(row): relative error \(relative)")
      // Measured: at most 3.7e-7.
      #expect(relative <= 1e-6, "\(model) row \(row): \(loss) vs \(expected[row])")
    }
  }

  /// Batch CTC losses for mean and sum, with and without zero_infinity, and an impossible target.
  @Test(arguments: Fixtures.models)
  func ctcLossesMatch(_ model: String) throws {
    let directory = try ModelDirectory.load(Fixtures.path(model))
    let recognizer = try Recognizer(model: directory)
    let expected = try Fixtures.expected(model)
    let ctc = expected["ctc"] as! [String: Any]
    let clips = try Self.clips.map { try recognizer.loadAudio(Fixtures.path("audio/\($0).wav")) }
    let batch = recognizer.extractor.batch(clips)
    let cases: [(labels: [[Int]], losses: [String: Any])] = [
      (ctc["labels_padded"] as! [[Int]], ctc["losses"] as! [String: Any]),
      ((ctc["impossible"] as! [String: Any])["labels_padded"] as! [[Int]], (ctc["impossible"] as! [String: Any])["losses"] as! [String: Any]),
    ]
    for (labels, losses) in cases {
      let width = labels[0].count
      let labelTensor = Tensor(labels.flatMap { $0.map(Int64.init) }, shape: [labels.count, width])
      for reduction in ["mean", "sum"] {
        for zeroInfinity in [false, true] {
          var config = directory.configuration
          config.ctcLossReduction = reduction
          config.ctcZeroInfinity = zeroInfinity
          let graph = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: directory.featureExtractor.returnAttentionMask))
          var inputs = ["input_values": batch.inputValues, "labels": labelTensor]
          if let mask = batch.attentionMask { inputs["attention_mask"] = mask }
          let loss = try Interpreter().run(graph, inputs: inputs, parameters: directory.weights)["loss"]!.floats[0]
          let key = "\(reduction)_zero_infinity_\(zeroInfinity)"
          if let text = losses[key] as? String {
            #expect(text == "inf" && loss == .infinity, "\(model) \(key): \(loss)")
          } else {
            let reference = (losses[key] as! NSNumber).doubleValue
            let relative = abs(Double(loss) - reference) / abs(reference)
            print("parity \(model) ctc \(key)\(labels == cases[1].labels ? " impossible" : ""): relative error \(relative)")
            // Measured: at most 1.8e-7.
            #expect(relative <= 5e-7, "\(model) \(key): \(loss) vs \(reference)")
          }
        }
      }
    }
  }

  @Test func bothPresetsBuildAndVerify() throws {
    for (config, mask) in [(Wav2Vec2Configuration.base, false), (Wav2Vec2Configuration.largeLV60, true)] {
      let graph = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: mask))
      #expect(Verifier.verify(graph).isEmpty)
      let reparsed = try Parser.parseAndVerify(Printer.print(graph))
      #expect(Printer.print(reparsed) == Printer.print(graph))
      #expect(graph.type(of: graph.output(named: "logits")!).description == "f32[B, (S - 400) / 320 + 1, 32]")
    }
  }
}
