import Foundation
import Formats
import Inference
import TestSupport
import Testing

/// Broken model folders and files: each must fail with an error naming the file and the reason.
@Suite struct BadInputTests {
  let scratch = ScratchSpace()

  /// A scratch copy of a fixture's model folder: the files a model folder holds, not the
  /// reference outputs beside them.
  func copyOfFixture(_ model: String = "layer_stable_oddpos") throws -> String {
    let folder = scratch.folder("asrc-bad")
    let modelFiles: Set = [
      "config.json", "model.safetensors", "vocab.json", "tokenizer_config.json", "processor_config.json", "preprocessor_config.json",
      "added_tokens.json", "special_tokens_map.json",
    ]
    for file in try FileManager.default.contentsOfDirectory(atPath: Fixtures.path(model)) where modelFiles.contains(file) {
      try FileManager.default.copyItem(atPath: Fixtures.path("\(model)/\(file)"), toPath: "\(folder)/\(file)")
    }
    return folder
  }

  func editConfig(_ folder: String, _ edit: (inout [String: Any]) -> Void) throws {
    let path = folder + "/config.json"
    var json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
    edit(&json)
    try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: path))
  }

  func loadError(_ folder: String) -> String {
    do {
      _ = try ModelDirectory.load(folder)
      return "loaded"
    } catch {
      return error.description
    }
  }

  @Test func missingConfigField() throws {
    let folder = try copyOfFixture()
    try editConfig(folder) { $0.removeValue(forKey: "hidden_size") }
    let message = loadError(folder)
    #expect(message.contains("config.json") && message.contains("missing required field hidden_size"), "\(message)")
  }

  @Test func unknownConfigValues() throws {
    for (key, value, expected) in [
      ("feat_extract_norm", "batch" as Any, "feat_extract_norm is \"batch\""), ("hidden_act", "relu", "hidden_act is \"relu\""),
      ("model_type", "hubert", "model_type is \"hubert\""), ("num_attention_heads", 5, "not divisible by num_attention_heads 5"),
      ("ctc_loss_reduction", "avg", "ctc_loss_reduction is \"avg\""), ("hidden_size", "big", "hidden_size must be an integer"),
      ("pad_token_id", 99, "pad_token_id 99"), ("hidden_size", 1e300, "hidden_size must be an integer"),
      ("vocab_size", 32.5, "vocab_size must be an integer"), ("conv_dim", [32, 1e19], "conv_dim must be a list of integers"),
    ] {
      let folder = try copyOfFixture()
      try editConfig(folder) { $0[key] = value }
      let message = loadError(folder)
      #expect(message.contains("config.json") && message.contains(expected), "\(key): \(message)")
    }
  }

  @Test func unknownConfigFieldsAreReportedNotRefused() throws {
    let folder = try copyOfFixture()
    try editConfig(folder) { $0["my_custom_flag"] = true }
    let model = try ModelDirectory.load(folder)
    #expect(model.warnings.contains("config.json: ignored field my_custom_flag"))
  }

  @Test func weightShapeDisagreesWithConfig() throws {
    let folder = try copyOfFixture()
    try editConfig(folder) { $0["intermediate_size"] = 48 }
    let message = loadError(folder)
    #expect(message.contains("model.safetensors") && message.contains("weight wav2vec2.encoder.layers.0.feed_forward.intermediate_dense.bias has shape [64], the config implies [48]")
      || message.contains("intermediate_dense.weight has shape [64, 32], the config implies [48, 32]"), "\(message)")
  }

  @Test func missingWeight() throws {
    let folder = try copyOfFixture()
    var weights = try Safetensors.read(folder + "/model.safetensors")
    weights.removeValue(forKey: "lm_head.bias")
    try Safetensors.write(weights, to: folder + "/model.safetensors")
    #expect(loadError(folder).contains("missing 1 weight the config needs: lm_head.bias"))
  }

  @Test func truncatedAndCorruptSafetensors() throws {
    let folder = try copyOfFixture()
    let path = folder + "/model.safetensors"
    let original = try Data(contentsOf: URL(fileURLWithPath: path))
    let cases: [(Data, String)] = [
      (original.prefix(4), "truncated safetensors file: 4 bytes"),
      (original.prefix(original.count / 2), "truncated safetensors file: tensor"),
      (Data([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]) + original.dropFirst(8), "header length"),
      (original.prefix(8) + Data(repeating: 0x41, count: original.count - 8), "the header is not a JSON object"),
      (Data(), "truncated safetensors file: 0 bytes"),
    ]
    for (data, expected) in cases {
      try data.write(to: URL(fileURLWithPath: path))
      let message = loadError(folder)
      #expect(message.contains(path) && message.contains(expected), "\(message)")
    }
    // Every truncation point fails cleanly.
    for length in stride(from: 0, to: original.count, by: max(1, original.count / 200)) {
      try original.prefix(length).write(to: URL(fileURLWithPath: path))
      #expect(throws: FormatError.self) { try Safetensors.read(path) }
    }
  }

  @Test func missingVocabulary() throws {
    let folder = try copyOfFixture()
    try FileManager.default.removeItem(atPath: folder + "/vocab.json")
    let message = loadError(folder)
    #expect(message.contains("vocab.json") && message.contains("missing"), "\(message)")
  }

  @Test func missingFolderAndConfig() throws {
    #expect(loadError("/nonexistent/model").contains("no such model folder"))
    let folder = try copyOfFixture()
    try FileManager.default.removeItem(atPath: folder + "/config.json")
    #expect(loadError(folder).contains("is not a model folder: it has no config.json"))
  }

  @Test func badAudio() throws {
    let recognizer = try Recognizer(model: try ModelDirectory.load(Fixtures.path("layer_stable_oddpos")))
    let folder = try copyOfFixture()
    let cases: [(String, Data?, String)] = [
      ("missing.wav", nil, "no such file"),
      ("garbage.wav", Data("this is not audio at all, just text".utf8), "cannot decode"),
      ("empty.wav", Data(), "cannot decode"),
    ]
    for (name, data, expected) in cases {
      let path = folder + "/" + name
      if let data { try data.write(to: URL(fileURLWithPath: path)) }
      do {
        _ = try recognizer.loadAudio(path)
        Issue.record("\(name) was accepted")
      } catch {
        #expect("\(error)".contains(path) && "\(error)".contains(expected), "\(error)")
      }
    }
  }
}

