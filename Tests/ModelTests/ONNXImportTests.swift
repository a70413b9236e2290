import Foundation
import Formats
import Inference
import Models
import TestSupport
import Testing

/// ONNX exports by the legacy and dynamo torch.onnx exporters, optimum, and with external
/// data (tools/make_onnx_fixtures.py): imported logits must equal transformers'.
@Suite struct ONNXImportTests {
  let scratch = ScratchSpace()

  static let files = [
    "group_postln_evenpos.legacy", "group_postln_evenpos.dynamo", "group_postln_evenpos.optimum", "layer_stable_oddpos.legacy",
    "layer_stable_oddpos.dynamo", "layer_stable_oddpos.optimum", "layer_stable_oddpos.external",
  ]

  static func onnx(_ name: String) -> String { Fixtures.path("../onnx/\(name)") }

  @Test(arguments: files)
  func importedLogitsMatchTransformers(_ file: String) throws {
    let model = String(file.prefix { $0 != "." })
    let directory = try ModelDirectory.importONNX(Self.onnx(file + ".onnx"), configuration: nil, vocabulary: Fixtures.path("\(model)/vocab.json"))
    // The inferred architecture is the one the model was saved with.
    let reference = try ModelDirectory.load(Fixtures.path(model)).configuration
    var inferred = directory.configuration
    inferred.ctcLossReduction = reference.ctcLossReduction
    inferred.ctcZeroInfinity = reference.ctcZeroInfinity
    for keyPath in [\Wav2Vec2Configuration.hiddenDropout, \.activationDropout, \.attentionDropout, \.featProjDropout, \.finalDropout, \.layerdrop, \.maskTimeProb] {
      inferred[keyPath: keyPath] = reference[keyPath: keyPath]
    }
    #expect(inferred == reference, "\(file): inferred \(directory.configuration)")
    let recognizer = try Recognizer(model: directory)
    let expected = try Fixtures.expected(model)
    for clip in ["a", "b", "c"] {
      let samples = try recognizer.loadAudio(Fixtures.path("audio/\(clip).wav"))
      let logits = try recognizer.logits([samples])
      let error = relativeMaxDifference(logits.floats, try NumPy.read(Fixtures.path("\(model)/logits_\(clip).npy")).floats)
      // Measured: at most 1.6e-6 (the same as the Hugging Face import: the weights are identical).
      #expect(error <= 5e-6, "\(file) \(clip): \(error)")
      let audio = expected["audio"] as! [String: [String: Any]]
      #expect(recognizer.transcripts(logits: logits, sampleCounts: [samples.count])[0] == audio[clip]!["greedy_transcript"] as! String)
      if clip == "a" { print("onnx \(file): max |Δlogit| / max |logit| = \(error)") }
    }
  }

  @Test func importWithAGivenConfiguration() throws {
    let directory = try ModelDirectory.importONNX(
      Self.onnx("layer_stable_oddpos.legacy.onnx"), configuration: Fixtures.path("layer_stable_oddpos/config.json"),
      vocabulary: Fixtures.path("layer_stable_oddpos/vocab.json"))
    #expect(directory.configuration.ctcLossReduction == "sum")
  }

  func importError(_ path: String, vocabulary: String? = Fixtures.path("group_postln_evenpos/vocab.json"), config: String? = nil) -> String {
    do {
      _ = try ModelDirectory.importONNX(path, configuration: config, vocabulary: vocabulary)
      return "imported"
    } catch {
      return error.description
    }
  }

  @Test func badFilesAreClearErrors() throws {
    let folder = scratch.folder("asrc-onnx")
    let original = try Data(contentsOf: URL(fileURLWithPath: Self.onnx("group_postln_evenpos.legacy.onnx")))
    try original.prefix(original.count / 2).write(to: URL(fileURLWithPath: folder + "/truncated.onnx"))
    #expect(importError(folder + "/truncated.onnx").contains("not a valid ONNX protobuf"))
    try Data("this is a text file, not protobuf".utf8).write(to: URL(fileURLWithPath: folder + "/text.onnx"))
    #expect(importError(folder + "/text.onnx").contains("text.onnx"))
    #expect(importError(Self.onnx("not_wav2vec2.onnx")).contains("not a Wav2Vec2ForCTC graph"))
    #expect(importError(Self.onnx("group_postln_evenpos.legacy.onnx"), vocabulary: nil).contains("pass --vocab"))
    #expect(importError(folder + "/missing.onnx").contains("no such file"))
    // Missing weights: the layer model's weights with the group model's configuration.
    let mismatch = importError(Self.onnx("layer_stable_oddpos.legacy.onnx"), config: Fixtures.path("group_postln_evenpos/config.json"))
    #expect(mismatch.contains("missing") || mismatch.contains("shape"), "\(mismatch)")
    // External data that is missing or short.
    try FileManager.default.copyItem(atPath: Self.onnx("layer_stable_oddpos.external.onnx"), toPath: folder + "/layer_stable_oddpos.external.onnx")
    #expect(importError(folder + "/layer_stable_oddpos.external.onnx").contains("layer_stable_oddpos.external.onnx.data: no such file"))
    let data = try Data(contentsOf: URL(fileURLWithPath: Self.onnx("layer_stable_oddpos.external.onnx.data")))
    try data.prefix(1000).write(to: URL(fileURLWithPath: folder + "/layer_stable_oddpos.external.onnx.data"))
    #expect(importError(folder + "/layer_stable_oddpos.external.onnx").contains("truncated external data"))
  }

  /// 10,000 randomly corrupted copies (flipped, deleted, inserted or truncated bytes): each either
  /// imports or fails with an error; nothing crashes or hangs.
  @Test func mutationsNeverCrash() throws {
    let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: Self.onnx("group_postln_evenpos.legacy.onnx"))))
    let path = scratch.folder("asrc-mutant") + "/mutant.onnx"
    var random = SeededRandom(seed: 11)
    var failures = 0
    var imported = 0
    let vocabulary = Fixtures.path("group_postln_evenpos/vocab.json")
    for _ in 0..<10_000 {
      var bytes = original
      for _ in 0..<Int(random.next() % 4 + 1) {
        let position = Int(random.next() % UInt64(bytes.count))
        switch random.next() % 4 {
        case 0: bytes[position] ^= UInt8(truncatingIfNeeded: random.next() | 1)
        case 1: bytes.remove(at: position)
        case 2: bytes.insert(UInt8(truncatingIfNeeded: random.next()), at: position)
        default: bytes.removeLast(Int(random.next() % UInt64(bytes.count)))
        }
        if bytes.isEmpty { bytes = [0] }
      }
      try Data(bytes).write(to: URL(fileURLWithPath: path))
      do {
        _ = try ModelDirectory.importONNX(path, configuration: nil, vocabulary: vocabulary)
        imported += 1
      } catch {
        failures += 1
        #expect(error.path == path || error.path.hasSuffix(".data") || error.path.hasSuffix("config.json"))
      }
    }
    print("onnx mutation test: \(failures) clean errors, \(imported) mutants still imported (changes in weight values)")
    // Measured: 9,178 clean errors. A reader that stopped checking lengths, types or shapes
    // would import many more of the mutants.
    #expect(failures >= 8_500, "only \(failures) of 10,000 corrupted files were rejected")
  }
}
