/// The fields of a Hugging Face `Wav2Vec2Config` that shape Wav2Vec2ForCTC, with
/// transformers' defaults (those of facebook/wav2vec2-base).
public struct Wav2Vec2Configuration: Equatable, Sendable {
  public var hiddenSize = 768
  public var numHiddenLayers = 12
  public var numAttentionHeads = 12
  public var intermediateSize = 3072
  public var convDim = [512, 512, 512, 512, 512, 512, 512]
  public var convKernel = [10, 3, 3, 3, 3, 2, 2]
  public var convStride = [5, 2, 2, 2, 2, 2, 2]
  public var convBias = false
  /// "group" (GroupNorm on the first convolution only) or "layer" (LayerNorm after every convolution).
  public var featExtractNorm = "group"
  /// Pre-LN transformer layers with a final encoder LayerNorm (large-lv60), instead of post-LN.
  public var doStableLayerNorm = false
  public var numConvPosEmbeddings = 128
  public var numConvPosEmbeddingGroups = 16
  public var layerNormEps = 1e-5
  public var vocabSize = 32
  /// The CTC blank.
  public var padTokenId = 0
  public var ctcLossReduction = "sum"
  public var ctcZeroInfinity = false
  public var hiddenDropout = 0.1
  public var activationDropout = 0.1
  public var attentionDropout = 0.1
  public var featProjDropout = 0.0
  public var finalDropout = 0.1
  public var layerdrop = 0.1
  public var maskTimeProb = 0.05
  public var maskTimeLength = 10
  public var maskTimeMinMasks = 2
  public var applySpecAugment = true

  public init() {}

  /// facebook/wav2vec2-base.
  public static let base = Wav2Vec2Configuration()

  /// facebook/wav2vec2-large-lv60.
  public static let largeLV60: Wav2Vec2Configuration = {
    var config = Wav2Vec2Configuration()
    config.hiddenSize = 1024
    config.numHiddenLayers = 24
    config.numAttentionHeads = 16
    config.intermediateSize = 4096
    config.featExtractNorm = "layer"
    config.doStableLayerNorm = true
    config.convBias = true
    return config
  }()

  public var headDim: Int { hiddenSize / numAttentionHeads }

  /// transformers' default for the feature extractor: layer-norm feature encoders take an
  /// attention mask, group-norm ones do not (padding would change their statistics).
  public var defaultReturnsAttentionMask: Bool { featExtractNorm == "layer" }

  /// Total stride and receptive field of the convolution stack, in samples.
  public var receptiveField: Int {
    var field = 1
    var jump = 1
    for (kernel, stride) in zip(convKernel, convStride) {
      field += (kernel - 1) * jump
      jump *= stride
    }
    return field
  }

  /// Frames the convolution stack makes from `samples` samples (0 when too short).
  public func frameCount(samples: Int) -> Int {
    var length = samples
    for (kernel, stride) in zip(convKernel, convStride) {
      if length < kernel { return 0 }
      length = (length - kernel) / stride + 1
    }
    return length
  }

  /// Reasons the configuration cannot describe a Wav2Vec2ForCTC model, if any.
  public func validationProblems() -> [String] {
    var problems: [String] = []
    if convDim.isEmpty { problems.append("conv_dim is empty") }
    if convDim.count != convKernel.count || convDim.count != convStride.count {
      problems.append("conv_dim, conv_kernel and conv_stride have different lengths (\(convDim.count), \(convKernel.count), \(convStride.count))")
    }
    if (convDim + convKernel + convStride).contains(where: { $0 <= 0 }) { problems.append("conv_dim, conv_kernel and conv_stride must be positive") }
    if featExtractNorm != "group" && featExtractNorm != "layer" { problems.append("feat_extract_norm is \"\(featExtractNorm)\", expected \"group\" or \"layer\"") }
    if hiddenSize <= 0 || numHiddenLayers < 0 || intermediateSize <= 0 { problems.append("hidden_size, num_hidden_layers and intermediate_size must be positive") }
    if numAttentionHeads <= 0 || hiddenSize % numAttentionHeads != 0 {
      problems.append("hidden_size \(hiddenSize) is not divisible by num_attention_heads \(numAttentionHeads)")
    }
    if numConvPosEmbeddings <= 0 { problems.append("num_conv_pos_embeddings must be positive") }
    if numConvPosEmbeddingGroups <= 0 || hiddenSize % numConvPosEmbeddingGroups != 0 {
      problems.append("hidden_size \(hiddenSize) is not divisible by num_conv_pos_embedding_groups \(numConvPosEmbeddingGroups)")
    }
    if vocabSize <= 0 { problems.append("vocab_size must be positive") }
    if padTokenId < 0 || padTokenId >= vocabSize { problems.append("pad_token_id \(padTokenId) (the CTC blank) is outside the vocabulary of \(vocabSize)") }
    if ctcLossReduction != "mean" && ctcLossReduction != "sum" { problems.append("ctc_loss_reduction is \"\(ctcLossReduction)\", expected \"mean\" or \"sum\"") }
    if !(layerNormEps > 0) { problems.append("layer_norm_eps must be positive") }
    for (name, p) in [("hidden_dropout", hiddenDropout), ("activation_dropout", activationDropout), ("attention_dropout", attentionDropout),
      ("feat_proj_dropout", featProjDropout), ("final_dropout", finalDropout), ("layerdrop", layerdrop), ("mask_time_prob", maskTimeProb)]
    where !(p >= 0 && p < 1) {
      problems.append("\(name) is \(p), expected a probability in [0, 1)")
    }
    return problems
  }
}
