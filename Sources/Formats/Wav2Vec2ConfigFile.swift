import Foundation
import Models

/// Reads a Hugging Face `config.json` into a ``Wav2Vec2Configuration``.
///
/// Fields that define the architecture are required; a field with a value asrc cannot build
/// (another activation, adapters, another model type) is an error naming the field. Keys asrc
/// does not know are returned as warnings rather than refused: real checkpoints carry many
/// generic `PretrainedConfig` keys.
public enum Wav2Vec2ConfigFile {
  public struct Result {
    public var configuration: Wav2Vec2Configuration
    public var ignoredFields: [String]
  }

  static let requiredFields = [
    "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "conv_dim", "conv_kernel", "conv_stride",
    "feat_extract_norm", "num_conv_pos_embeddings", "num_conv_pos_embedding_groups", "vocab_size", "pad_token_id",
  ]

  /// Keys of Wav2Vec2Config and PretrainedConfig that asrc reads or knows to be irrelevant to Wav2Vec2ForCTC.
  static let knownFields: Set<String> = [
    "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "conv_dim", "conv_kernel", "conv_stride", "conv_bias",
    "feat_extract_norm", "do_stable_layer_norm", "num_conv_pos_embeddings", "num_conv_pos_embedding_groups", "layer_norm_eps", "vocab_size",
    "pad_token_id", "ctc_loss_reduction", "ctc_zero_infinity", "hidden_dropout", "activation_dropout", "attention_dropout", "feat_proj_dropout",
    "final_dropout", "layerdrop", "mask_time_prob", "mask_time_length", "mask_time_min_masks", "apply_spec_augment", "hidden_act",
    "feat_extract_activation", "num_feat_extract_layers", "add_adapter", "adapter_attn_dim", "model_type", "architectures",
    "mask_feature_prob", "mask_feature_length", "mask_feature_min_masks", "hidden_dropout_prob", "feat_extract_dropout", "dropout",
    "feat_quantizer_dropout", "initializer_range", "num_codevectors_per_group", "num_codevector_groups", "contrastive_logits_temperature",
    "num_negatives", "codevector_dim", "proj_codevector_dim", "diversity_loss_weight", "use_weighted_layer_sum", "classifier_proj_size",
    "tdnn_dim", "tdnn_kernel", "tdnn_dilation", "xvector_output_dim", "output_hidden_size", "adapter_kernel_size", "adapter_stride",
    "num_adapter_layers", "bos_token_id", "eos_token_id", "dtype", "torch_dtype", "transformers_version", "_name_or_path", "id2label",
    "label2id", "gradient_checkpointing", "do_stable_layer_norm", "feat_extract_dropout", "return_dict", "output_hidden_states",
    "output_attentions", "use_cache", "tie_word_embeddings", "is_encoder_decoder", "problem_type", "chunk_size_feed_forward",
    "torchscript", "pruned_heads", "architectures", "finetuning_task", "tokenizer_class", "prefix", "task_specific_params",
  ]

  public static func read(_ path: String) throws(FormatError) -> Result {
    let json = try FileIO.json(path)
    return try parse(json, path: path)
  }

  /// A config.json's bytes; `path` names the file in errors.
  public static func parse(_ bytes: Data, path: String) throws(FormatError) -> Result {
    try parse(try FileIO.jsonObject(bytes, path: path), path: path)
  }

  public static func parse(_ json: [String: Any], path: String) throws(FormatError) -> Result {
    let fields = JSONFields(json: json, path: path)
    if let modelType = json["model_type"] as? String, modelType != "wav2vec2" {
      throw FormatError(path, "model_type is \"\(modelType)\"; asrc builds wav2vec2 models only")
    }
    let missing = requiredFields.filter { json[$0] == nil || json[$0] is NSNull }
    if !missing.isEmpty { throw FormatError(path, "missing required field\(missing.count > 1 ? "s" : "") \(missing.joined(separator: ", "))") }
    var config = Wav2Vec2Configuration()
    config.hiddenSize = try fields.int("hidden_size")
    config.numHiddenLayers = try fields.int("num_hidden_layers")
    config.numAttentionHeads = try fields.int("num_attention_heads")
    config.intermediateSize = try fields.int("intermediate_size")
    config.convDim = try fields.ints("conv_dim")
    config.convKernel = try fields.ints("conv_kernel")
    config.convStride = try fields.ints("conv_stride")
    config.convBias = try fields.bool("conv_bias", default: config.convBias)
    config.featExtractNorm = try fields.string("feat_extract_norm")
    config.doStableLayerNorm = try fields.bool("do_stable_layer_norm", default: config.doStableLayerNorm)
    config.numConvPosEmbeddings = try fields.int("num_conv_pos_embeddings")
    config.numConvPosEmbeddingGroups = try fields.int("num_conv_pos_embedding_groups")
    config.layerNormEps = try fields.double("layer_norm_eps", default: config.layerNormEps)
    config.vocabSize = try fields.int("vocab_size")
    config.padTokenId = try fields.int("pad_token_id")
    config.ctcLossReduction = try fields.string("ctc_loss_reduction", default: config.ctcLossReduction)
    config.ctcZeroInfinity = try fields.bool("ctc_zero_infinity", default: config.ctcZeroInfinity)
    config.hiddenDropout = try fields.double("hidden_dropout", default: config.hiddenDropout)
    config.activationDropout = try fields.double("activation_dropout", default: config.activationDropout)
    config.attentionDropout = try fields.double("attention_dropout", default: config.attentionDropout)
    config.featProjDropout = try fields.double("feat_proj_dropout", default: config.featProjDropout)
    config.finalDropout = try fields.double("final_dropout", default: config.finalDropout)
    config.layerdrop = try fields.double("layerdrop", default: config.layerdrop)
    config.maskTimeProb = try fields.double("mask_time_prob", default: config.maskTimeProb)
    config.maskTimeLength = try fields.int("mask_time_length", default: config.maskTimeLength)
    config.maskTimeMinMasks = try fields.int("mask_time_min_masks", default: config.maskTimeMinMasks)
    config.applySpecAugment = try fields.bool("apply_spec_augment", default: config.applySpecAugment)

    for field in ["hidden_act", "feat_extract_activation"] {
      let activation = try fields.string(field, default: "gelu")
      if activation != "gelu" { throw FormatError(path, "\(field) is \"\(activation)\"; asrc implements \"gelu\" only") }
    }
    if try fields.bool("add_adapter", default: false) { throw FormatError(path, "add_adapter is true; adapter layers are not supported") }
    if let adapter = json["adapter_attn_dim"], !(adapter is NSNull) { throw FormatError(path, "adapter_attn_dim is set; attention adapters are not supported") }
    let layers = try fields.int("num_feat_extract_layers", default: config.convDim.count)
    if layers != config.convDim.count {
      throw FormatError(path, "num_feat_extract_layers is \(layers) but conv_dim has \(config.convDim.count) entries")
    }
    let problems = config.validationProblems()
    if !problems.isEmpty { throw FormatError(path, problems.joined(separator: "; ")) }
    return Result(configuration: config, ignoredFields: json.keys.filter { !knownFields.contains($0) }.sorted())
  }

  /// The config.json asrc writes: the fields it reads, in transformers' spelling, so that
  /// `Wav2Vec2ForCTC.from_pretrained` builds the same model.
  public static func json(_ config: Wav2Vec2Configuration, extra: [String: Any] = [:]) -> [String: Any] {
    var json: [String: Any] = [
      "model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"],
      "hidden_size": config.hiddenSize, "num_hidden_layers": config.numHiddenLayers, "num_attention_heads": config.numAttentionHeads,
      "intermediate_size": config.intermediateSize, "conv_dim": config.convDim, "conv_kernel": config.convKernel, "conv_stride": config.convStride,
      "conv_bias": config.convBias, "feat_extract_norm": config.featExtractNorm, "do_stable_layer_norm": config.doStableLayerNorm,
      "num_conv_pos_embeddings": config.numConvPosEmbeddings, "num_conv_pos_embedding_groups": config.numConvPosEmbeddingGroups,
      "num_feat_extract_layers": config.convDim.count, "layer_norm_eps": config.layerNormEps, "vocab_size": config.vocabSize,
      "pad_token_id": config.padTokenId, "ctc_loss_reduction": config.ctcLossReduction, "ctc_zero_infinity": config.ctcZeroInfinity,
      "hidden_dropout": config.hiddenDropout, "activation_dropout": config.activationDropout, "attention_dropout": config.attentionDropout,
      "feat_proj_dropout": config.featProjDropout, "final_dropout": config.finalDropout, "layerdrop": config.layerdrop,
      "mask_time_prob": config.maskTimeProb, "mask_time_length": config.maskTimeLength, "mask_time_min_masks": config.maskTimeMinMasks,
      "apply_spec_augment": config.applySpecAugment, "hidden_act": "gelu", "feat_extract_activation": "gelu",
    ]
    for (key, value) in extra where json[key] == nil { json[key] = value }
    return json
  }
}

/// Typed access to JSON fields with errors that name the file and field.
struct JSONFields {
  let json: [String: Any]
  let path: String

  func int(_ key: String, default fallback: Int? = nil) throws(FormatError) -> Int {
    guard let value = json[key], !(value is NSNull) else {
      if let fallback { return fallback }
      throw FormatError(path, "missing field \(key)")
    }
    if let number = value as? NSNumber, !isJSONBoolean(value), let integer = exactInteger(number) { return integer }
    throw FormatError(path, "field \(key) must be an integer, found \(value)")
  }

  func ints(_ key: String) throws(FormatError) -> [Int] {
    guard let values = json[key] as? [Any] else { throw FormatError(path, "field \(key) must be a list of integers") }
    var result: [Int] = []
    for value in values {
      guard let number = value as? NSNumber, !isJSONBoolean(value), let integer = exactInteger(number) else {
        throw FormatError(path, "field \(key) must be a list of integers, found \(value)")
      }
      result.append(integer)
    }
    return result
  }

  func double(_ key: String, default fallback: Double) throws(FormatError) -> Double {
    guard let value = json[key], !(value is NSNull) else { return fallback }
    guard let number = value as? NSNumber, !isJSONBoolean(value) else { throw FormatError(path, "field \(key) must be a number, found \(value)") }
    return number.doubleValue
  }

  func bool(_ key: String, default fallback: Bool) throws(FormatError) -> Bool {
    guard let value = json[key], !(value is NSNull) else { return fallback }
    guard isJSONBoolean(value), let flag = value as? Bool else { throw FormatError(path, "field \(key) must be true or false, found \(value)") }
    return flag
  }

  func string(_ key: String, default fallback: String? = nil) throws(FormatError) -> String {
    guard let value = json[key], !(value is NSNull) else {
      if let fallback { return fallback }
      throw FormatError(path, "missing field \(key)")
    }
    guard let text = value as? String else { throw FormatError(path, "field \(key) must be a string, found \(value)") }
    return text
  }
}

/// The integer a JSON number holds exactly; nil for fractions and for magnitudes beyond Int
/// (`intValue` would wrap them into another, plausible-looking number).
func exactInteger(_ number: NSNumber) -> Int? {
  let double = number.doubleValue
  if abs(double) < 9_007_199_254_740_992 { return Int(exactly: double) }
  return Int(number.stringValue)
}

/// Whether a JSONSerialization value is true or false (Foundation bridges booleans and numbers
/// both ways, so `is Bool` cannot tell them apart on Linux).
func isJSONBoolean(_ value: Any) -> Bool {
  guard let number = value as? NSNumber else { return false }
  return String(describing: type(of: number)).contains("Boolean") || String(cString: number.objCType) == "c"
}
