import Foundation
import IR
import Models

extension ModelDirectory {
  /// A model folder from an ONNX export of Wav2Vec2ForCTC. ONNX files carry no vocabulary, so
  /// `vocabulary` (a vocab.json, with tokenizer settings beside it when present) is required;
  /// `configuration` (a config.json) overrides what is inferred from the graph.
  public static func importONNX(_ path: String, configuration configPath: String?, vocabulary vocabPath: String?) throws(FormatError) -> ModelDirectory {
    guard let vocabPath else {
      throw FormatError(path, "ONNX files carry no vocabulary: pass --vocab vocab.json (the tokenizer the model was trained with)")
    }
    let folder = (vocabPath as NSString).deletingLastPathComponent
    let tokenizer = try CTCTokenizer.read(vocabularyFile: vocabPath, folder: folder.isEmpty ? "." : folder)
    var warnings: [String] = []
    let given: Wav2Vec2Configuration?
    if let configPath {
      let result = try Wav2Vec2ConfigFile.read(configPath)
      warnings += result.ignoredFields.map { "\(configPath): ignored field \($0)" }
      given = result.configuration
    } else {
      given = nil
    }
    let model = try ONNXModel.load(path)
    let imported = try ONNXImporter.importModel(model, configuration: given, padTokenId: given == nil ? tokenizer.padId : nil)
    warnings += imported.notes
    var configuration = imported.configuration
    if given == nil, configuration.vocabSize != tokenizer.vocabulary.count {
      warnings.append("the vocabulary has \(tokenizer.vocabulary.count) tokens, lm_head \(configuration.vocabSize) outputs")
    }
    if given == nil {
      // Inference leaves these at transformers' defaults; the guide fine-tunes with mean.
      configuration.ctcLossReduction = "mean"
      configuration.ctcZeroInfinity = true
      warnings.append("ctc_loss_reduction mean and ctc_zero_infinity true (ONNX does not record them; pass --config to choose)")
    }
    let settings = FeatureExtractorSettings(returnAttentionMask: imported.usesAttentionMask)
    let graph = try buildGraph(configuration, settings, path: path)
    var weights = imported.weights
    try checkWeights(&weights, against: graph, path: path, warnings: &warnings)
    let unused = Set(weights.keys).subtracting(graph.parameters.map { graph.name(of: $0) })
    if !unused.isEmpty { warnings.append("weights not used by the graph: \(unused.sorted().prefix(5).joined(separator: ", "))") }
    return ModelDirectory(configuration: configuration, featureExtractor: settings, tokenizer: tokenizer, weights: weights, graph: graph, warnings: warnings)
  }
}
