import Foundation

/// Wav2Vec2FeatureExtractor's settings, from `preprocessor_config.json` (transformers 4.x) or
/// the `feature_extractor` section of `processor_config.json` (5.x).
public struct FeatureExtractorSettings: Equatable, Sendable {
  public var samplingRate = 16000
  public var doNormalize = true
  public var returnAttentionMask = false
  public var paddingValue = 0.0

  public init(samplingRate: Int = 16000, doNormalize: Bool = true, returnAttentionMask: Bool = false, paddingValue: Double = 0) {
    self.samplingRate = samplingRate
    self.doNormalize = doNormalize
    self.returnAttentionMask = returnAttentionMask
    self.paddingValue = paddingValue
  }

  /// Reads the settings from a Hugging Face folder; nil when neither file exists.
  public static func read(folder: String) throws(FormatError) -> FeatureExtractorSettings? {
    let legacy = folder + "/preprocessor_config.json"
    let current = folder + "/processor_config.json"
    if FileManager.default.fileExists(atPath: legacy) { return try parse(try FileIO.json(legacy), path: legacy) }
    if FileManager.default.fileExists(atPath: current) {
      let json = try FileIO.json(current)
      guard let section = json["feature_extractor"] as? [String: Any] else {
        throw FormatError(current, "has no feature_extractor section")
      }
      return try parse(section, path: current)
    }
    return nil
  }

  /// A preprocessor_config.json's bytes; `path` names the file in errors.
  public static func parse(_ bytes: Data, path: String) throws(FormatError) -> FeatureExtractorSettings {
    try parse(try FileIO.jsonObject(bytes, path: path), path: path)
  }

  static func parse(_ json: [String: Any], path: String) throws(FormatError) -> FeatureExtractorSettings {
    let fields = JSONFields(json: json, path: path)
    if let type = json["feature_extractor_type"] as? String, type != "Wav2Vec2FeatureExtractor" {
      throw FormatError(path, "feature_extractor_type is \(type); asrc reads Wav2Vec2FeatureExtractor settings")
    }
    let featureSize = try fields.int("feature_size", default: 1)
    if featureSize != 1 { throw FormatError(path, "feature_size is \(featureSize); Wav2Vec2 takes raw mono audio (1)") }
    return FeatureExtractorSettings(
      samplingRate: try fields.int("sampling_rate", default: 16000), doNormalize: try fields.bool("do_normalize", default: true),
      returnAttentionMask: try fields.bool("return_attention_mask", default: false), paddingValue: try fields.double("padding_value", default: 0))
  }

  /// The 4.x-style preprocessor_config.json, which transformers 4 and 5 both read.
  public var json: [String: Any] {
    [
      "feature_extractor_type": "Wav2Vec2FeatureExtractor", "processor_class": "Wav2Vec2Processor", "feature_size": 1,
      "sampling_rate": samplingRate, "do_normalize": doNormalize, "return_attention_mask": returnAttentionMask,
      "padding_value": paddingValue, "padding_side": "right",
    ]
  }
}
