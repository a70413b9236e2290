import Foundation
import Formats
import IR
import Inference
import Models
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
      #expect(error <= 1e-4, "\(model) \(clip): max |Δlogit| / max |logit| = \(error)")
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
    #expect(error <= 1e-4, "\(model) batch: max |Δlogit| / max |logit| = \(error)")
    let batch = expected["batch"] as! [String: Any]
    let frames = logits.shape[1]
    let full = recognizer.transcripts(logits: logits, sampleCounts: Array(repeating: frames * 320 + 80, count: 3))
    #expect(full == batch["greedy_transcripts_full_rows"] as! [String], "\(model)")
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
            #expect(relative <= 1e-5, "\(model) \(key): \(loss) vs \(reference)")
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
