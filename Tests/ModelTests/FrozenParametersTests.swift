import Models
import Testing

/// `--freeze-param` names parameters and modules as ESPnet's `--freeze_param` does.
@Suite struct FrozenParametersTests {
  let names = [
    "wav2vec2.feature_extractor.conv_layers.0.conv.weight", "wav2vec2.feature_extractor.conv_layers.0.layer_norm.weight",
    "wav2vec2.feature_extractor.conv_layers.1.conv.weight", "wav2vec2.feature_extractor.conv_layers.10.conv.weight",
    "wav2vec2.feature_projection.projection.weight", "lm_head.weight", "lm_head.bias",
  ]

  @Test func aNameFreezesItselfAndWhatIsInsideIt() {
    let frozen = FrozenParameters(prefixes: ["wav2vec2.feature_extractor.conv_layers.1", "lm_head.bias"])
    #expect(names.filter(frozen.contains) == ["wav2vec2.feature_extractor.conv_layers.1.conv.weight", "lm_head.bias"])
    // A trailing dot means the same module.
    #expect(names.filter(FrozenParameters(prefixes: ["wav2vec2.feature_extractor.conv_layers.0."]).contains).count == 2)
    // A part of a name component is not a module.
    #expect(names.filter(FrozenParameters(prefixes: ["lm_head.bi"]).contains).isEmpty)
    #expect(frozen.problem(parameterNames: names) == nil)
  }

  @Test func theFeatureEncoderFlagAddsTheConvolutionStack() {
    let frozen = FrozenParameters(featureEncoder: true, prefixes: ["lm_head.bias"])
    #expect(names.filter { !frozen.trainable($0) } == names.filter { $0.hasPrefix("wav2vec2.feature_extractor.") } + ["lm_head.bias"])
    #expect(frozen.summary == "feature encoder, lm_head.bias")
    // The module by name is the flag.
    #expect(FrozenParameters(prefixes: ["wav2vec2.feature_extractor", "lm_head.bias"]) == frozen)
    #expect(FrozenParameters().summary == "none")
  }

  @Test func namesThatMatchNothingAndFreezingEverythingAreProblems() throws {
    let misspelt = try #require(FrozenParameters(prefixes: ["lm_head", "wav2vec2.feature_extractor.conv_layer"]).problem(parameterNames: names))
    #expect(misspelt.hasPrefix("--freeze-param wav2vec2.feature_extractor.conv_layer: no parameter of the model"), "\(misspelt)")
    #expect(!misspelt.contains("lm_head,"))
    let everything = try #require(FrozenParameters(prefixes: ["wav2vec2", "lm_head"]).problem(parameterNames: names))
    #expect(everything.contains("there is nothing to train"))
  }
}
