import Formats
import Foundation
import Models
import Testing
import Training

/// training_step.json: what `asrc compile --training` records and `asrc train --compiled` checks.
@Suite struct TrainingStepSpecTests {
  func spec(freezing names: [String]) throws -> TrainingStepSpec {
    let model = try ModelDirectory.load(TrainerParityTests.root.appendingPathComponent("initial").path)
    var arguments = TrainingArguments(outputDir: "unused")
    arguments.freezeParam = names
    return TrainingStepSpec(model: model, arguments: arguments)
  }

  /// Written and read back through JSON text, as the step folder holds it.
  func reread(_ json: [String: Any]) throws -> TrainingStepSpec {
    let text = try JSONSerialization.data(withJSONObject: json)
    return try TrainingStepSpec(json: JSONSerialization.jsonObject(with: text) as! [String: Any], path: "training_step.json")
  }

  @Test func frozenParametersRoundTrip() throws {
    let frozen = try spec(freezing: ["wav2vec2.feature_extractor.conv_layers.1", "wav2vec2.feature_extractor.conv_layers.0."])
    let read = try reread(frozen.json)
    #expect(read == frozen)
    #expect(read.frozenParameters.prefixes == ["wav2vec2.feature_extractor.conv_layers.0", "wav2vec2.feature_extractor.conv_layers.1"])
    #expect(read.differences(from: frozen).isEmpty)
    let plain = try spec(freezing: [])
    #expect(plain.differences(from: frozen) == [
      "--freeze-param: compiled for none, this run asks for wav2vec2.feature_extractor.conv_layers.0, wav2vec2.feature_extractor.conv_layers.1"
    ])
  }

  /// Steps compiled before --freeze-param existed have no "freeze_param": they froze nothing else.
  @Test func anOlderStepFreezesNothingElse() throws {
    var json = try spec(freezing: []).json
    json["freeze_param"] = nil
    #expect(try reread(json) == spec(freezing: []))
    json["freeze_param"] = "lm_head"
    #expect(throws: FormatError.self) { try reread(json) }
  }
}
