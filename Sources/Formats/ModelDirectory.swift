import Foundation
import IR
import Models
import Tensor

/// An asrc model folder: a Hugging Face folder (config.json, model.safetensors, vocab.json,
/// tokenizer and feature-extractor files) plus `model.ir`, the graph asrc built from the config.
/// Any Hugging Face Wav2Vec2ForCTC folder loads the same way (the graph is built when
/// model.ir is absent).
public struct ModelDirectory {
  public var configuration: Wav2Vec2Configuration
  public var featureExtractor: FeatureExtractorSettings
  public var tokenizer: CTCTokenizer
  /// Every tensor of the checkpoint, by Hugging Face name (weight-norm under the
  /// `parametrizations.weight.original0/1` names).
  public var weights: [String: Tensor]
  /// Forward pass and CTC loss.
  public var graph: Graph
  /// What loading noticed but did not refuse (ignored config fields, converted dtypes).
  public var warnings: [String] = []
  /// The beam-search decoder of a `Wav2Vec2ProcessorWithLM` folder (alphabet.json and
  /// language_model/), kept when the folder is saved.
  public var decoderFiles: DecoderFiles?

  public init(
    configuration: Wav2Vec2Configuration, featureExtractor: FeatureExtractorSettings, tokenizer: CTCTokenizer, weights: [String: Tensor], graph: Graph,
    warnings: [String] = []
  ) {
    self.configuration = configuration
    self.featureExtractor = featureExtractor
    self.tokenizer = tokenizer
    self.weights = weights
    self.graph = graph
    self.warnings = warnings
  }

  /// Loads a Hugging Face or asrc folder, checking every weight the graph needs against the config.
  public static func load(_ folder: String) throws(FormatError) -> ModelDirectory {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory) else { throw FormatError(folder, "no such model folder") }
    guard isDirectory.boolValue else { throw FormatError(folder, "is a file, expected a model folder (config.json, model.safetensors, vocab.json, …)") }
    guard FileManager.default.fileExists(atPath: folder + "/config.json") else {
      throw FormatError(folder, "is not a model folder: it has no config.json (a model folder holds config.json, model.safetensors, vocab.json, …)")
    }
    let config = try Wav2Vec2ConfigFile.read(folder + "/config.json")
    var warnings = config.ignoredFields.map { "config.json: ignored field \($0)" }
    let featureExtractor: FeatureExtractorSettings
    if let settings = try FeatureExtractorSettings.read(folder: folder) {
      featureExtractor = settings
    } else {
      featureExtractor = FeatureExtractorSettings(returnAttentionMask: config.configuration.defaultReturnsAttentionMask)
      warnings.append("no preprocessor_config.json or processor_config.json: using transformers' defaults (attention mask \(featureExtractor.returnAttentionMask ? "on" : "off"))")
    }
    if featureExtractor.samplingRate != 16000 {
      warnings.append("the feature extractor expects \(featureExtractor.samplingRate) Hz audio")
    }
    let tokenizer = try CTCTokenizer.read(folder: folder)
    if tokenizer.padId != config.configuration.padTokenId {
      warnings.append("vocab.json puts the pad token \(tokenizer.padToken) at id \(tokenizer.padId ?? -1), config.json's pad_token_id is \(config.configuration.padTokenId); the config's blank is used")
    }
    let weightsPath = folder + "/model.safetensors"
    var weights = try Safetensors.read(weightsPath)
    renameLegacyWeightNorm(&weights)
    let graph: Graph
    let irPath = folder + "/model.ir"
    if FileManager.default.fileExists(atPath: irPath) {
      let text = try FileIO.read(irPath)
      do { graph = try Parser.parseAndVerify(String(decoding: text, as: UTF8.self), file: irPath) } catch {
        throw FormatError(irPath, "does not verify:\n\(error)")
      }
    } else {
      graph = try buildGraph(config.configuration, featureExtractor, path: folder + "/config.json")
    }
    try checkWeights(&weights, against: graph, path: weightsPath, warnings: &warnings)
    var model = ModelDirectory(
      configuration: config.configuration, featureExtractor: featureExtractor, tokenizer: tokenizer, weights: weights, graph: graph, warnings: warnings)
    model.decoderFiles = try DecoderFiles.read(modelFolder: folder)
    return model
  }

  public static func buildGraph(_ config: Wav2Vec2Configuration, _ featureExtractor: FeatureExtractorSettings, path: String) throws(FormatError) -> Graph {
    do {
      return try Wav2Vec2Graph.build(config, options: .init(withLoss: true, usesAttentionMask: featureExtractor.returnAttentionMask))
    } catch {
      throw FormatError(path, "cannot build the model graph: \(error)")
    }
  }

  /// Writes the folder: Hugging Face files plus model.ir. Each file is written atomically.
  public func save(to folder: String) throws(FormatError) {
    do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
      throw FormatError(folder, "cannot create the folder: \(PathCheck.problemCreatingFolder(folder) ?? fileErrorReason(error))")
    }
    try Safetensors.write(weights, metadata: ["format": "pt"], to: folder + "/model.safetensors")
    try FileIO.writeJSON(Wav2Vec2ConfigFile.json(configuration), to: folder + "/config.json")
    try FileIO.writeJSON(tokenizer.vocabulary, to: folder + "/vocab.json")
    try FileIO.writeJSON(tokenizer.tokenizerConfigJSON, to: folder + "/tokenizer_config.json")
    try FileIO.writeJSON(featureExtractor.json, to: folder + "/preprocessor_config.json")
    try FileIO.writeAtomically(Data(Printer.print(graph).utf8), to: folder + "/model.ir")
    try decoderFiles?.copy(into: folder)
  }

  /// transformers < 4.36 saved the positional convolution's weight norm as weight_g / weight_v.
  static func renameLegacyWeightNorm(_ weights: inout [String: Tensor]) {
    for (legacy, current) in [("weight_g", "parametrizations.weight.original0"), ("weight_v", "parametrizations.weight.original1")] {
      let key = "wav2vec2.encoder.pos_conv_embed.conv.\(legacy)"
      if let tensor = weights.removeValue(forKey: key) { weights["wav2vec2.encoder.pos_conv_embed.conv.\(current)"] = tensor }
    }
  }

  /// Every graph parameter must be in the checkpoint with the shape the config implies.
  static func checkWeights(_ weights: inout [String: Tensor], against graph: Graph, path: String, warnings: inout [String]) throws(FormatError) {
    var missing: [String] = []
    for parameter in graph.parameters {
      let name = graph.name(of: parameter)
      let expected = graph.type(of: parameter)
      guard let tensor = weights[name] else {
        missing.append(name)
        continue
      }
      let expectedShape = expected.shape.compactMap(\.constantValue)
      guard tensor.shape == expectedShape else {
        throw FormatError(path, "weight \(name) has shape \(tensor.shape), the config implies \(expectedShape)")
      }
      if tensor.dtype != expected.dtype {
        guard tensor.dtype.isFloatingPoint else { throw FormatError(path, "weight \(name) is \(tensor.dtype), expected a floating-point tensor") }
        weights[name] = tensor.converted(to: expected.dtype)
        warnings.append("\(name): converted \(tensor.dtype) to \(expected.dtype)")
      }
    }
    if !missing.isEmpty {
      let shown = missing.prefix(5).joined(separator: ", ")
      throw FormatError(path, "missing \(missing.count) weight\(missing.count == 1 ? "" : "s") the config needs: \(shown)\(missing.count > 5 ? ", …" : "")")
    }
  }
}

extension Tensor {
  /// Float-to-float conversion for checkpoint loading (f16, bf16, f64 to f32 and back).
  func converted(to dtype: DType) -> Tensor {
    let values = floats
    switch dtype {
    case .f64: return Tensor(values.map(Double.init), shape: shape)
    default: return Tensor(values, shape: shape)
    }
  }
}
