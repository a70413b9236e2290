import IR

/// Builds Wav2Vec2ForCTC as IR, op for op as transformers computes it, with parameters named
/// by their Hugging Face state-dict keys.
///
/// Inputs: `input_values: f32[B, S]`, `attention_mask: i64[B, S]` when the feature extractor
/// returns one, `labels: i64[B, L]` (padding -100) when the loss is built, and in training
/// mode `dropout_seed: i64[]`, `mask_time_indices: bool[B, T]` (SpecAugment, computed by the
/// data pipeline, when mask_time_prob > 0) and `layer_keep: bool[layers]` (LayerDrop, when
/// layerdrop > 0). Outputs: `logits: f32[B, T, vocab]` and `loss: f32[]`.
public struct Wav2Vec2Graph {
  public struct Options: Sendable {
    /// Build the CTC loss from `labels`.
    public var withLoss = true
    /// Take `attention_mask` (large-lv60 style feature extractors do).
    public var usesAttentionMask: Bool
    /// Dropout and SpecAugment as in `model.train()`; eval semantics otherwise.
    public var training = false

    public init(withLoss: Bool = true, usesAttentionMask: Bool, training: Bool = false) {
      self.withLoss = withLoss
      self.usesAttentionMask = usesAttentionMask
      self.training = training
    }
  }

  public static func build(_ config: Wav2Vec2Configuration, options: Options, name: String = "wav2vec2_for_ctc") throws -> Graph {
    let problems = config.validationProblems()
    guard problems.isEmpty else { throw ModelError.invalidConfiguration(problems) }
    var graph = Wav2Vec2Graph(config: config, options: options, builder: GraphBuilder(name: name))
    return try graph.make()
  }

  let config: Wav2Vec2Configuration
  let options: Options
  var builder: GraphBuilder
  private var dropoutSeed: ValueID?
  private var dropoutStream = 0

  private init(config: Wav2Vec2Configuration, options: Options, builder: GraphBuilder) {
    self.config = config
    self.options = options
    self.builder = builder
  }

  private mutating func make() throws -> Graph {
    let batch = DimExpr.symbol("B")
    let samples = DimExpr.symbol("S")
    let inputValues = builder.input("input_values", TensorType(.f32, [batch, samples]))
    let attentionMask = options.usesAttentionMask ? builder.input("attention_mask", TensorType(.i64, [batch, samples])) : nil
    let labels = options.withLoss ? builder.input("labels", TensorType(.i64, [batch, .symbol("L")])) : nil
    if options.training { dropoutSeed = builder.input("dropout_seed", TensorType(.i64, [])) }

    // Feature encoder: [B, S] -> [B, C, T] -> [B, T, C].
    var hidden = try builder.reshape(inputValues, [batch, 1, samples], name: "samples")
    for layer in config.convDim.indices { hidden = try convolutionLayer(layer, hidden) }
    let frames = builder.type(of: hidden).shape[2]
    let extractFeatures = try builder.transpose(hidden, [0, 2, 1], name: "extract_features")

    // Input lengths in frames: the convolution arithmetic applied to the attention mask's sums,
    // or to S for every row without a mask (transformers uses ones_like(input_values)).
    let inputLengths = try frameLengths(attentionMask: attentionMask, inputValues: inputValues)
    let frameMask = try attentionMask.map { _ in try framePositionsBelow(inputLengths, frames: frames) }

    // Feature projection.
    var states = try layerNorm(extractFeatures, "wav2vec2.feature_projection.layer_norm", width: config.convDim.last!)
    states = try builder.linear(
      states, parameter("wav2vec2.feature_projection.projection.weight", [config.hiddenSize, config.convDim.last!]),
      parameter("wav2vec2.feature_projection.projection.bias", [config.hiddenSize]), name: "feature_projection")
    states = try dropout(states, config.featProjDropout)
    if options.training && config.applySpecAugment && config.maskTimeProb > 0 { states = try specAugment(states, frames: frames) }

    states = try encoder(states, frameMask: frameMask)

    states = try dropout(states, config.finalDropout)
    let logits = try builder.linear(
      states, parameter("lm_head.weight", [config.vocabSize, config.hiddenSize]), parameter("lm_head.bias", [config.vocabSize]), name: "logits")
    builder.output("logits", logits)
    if let labels {
      builder.output("loss", try ctcLoss(logits: logits, labels: labels, inputLengths: inputLengths))
    }
    return try builder.finish()
  }

  // MARK: Feature encoder

  private mutating func convolutionLayer(_ index: Int, _ x: ValueID) throws -> ValueID {
    let prefix = "wav2vec2.feature_extractor.conv_layers.\(index)"
    let inChannels = index == 0 ? 1 : config.convDim[index - 1]
    let outChannels = config.convDim[index]
    let weight = parameter("\(prefix).conv.weight", [outChannels, inChannels, config.convKernel[index]])
    let bias = config.convBias ? parameter("\(prefix).conv.bias", [outChannels]) : nil
    var y = try builder.conv1d(x, weight, bias, stride: config.convStride[index], name: "conv_layers.\(index).conv")
    if config.featExtractNorm == "layer" {
      y = try builder.transpose(y, [0, 2, 1])
      y = try layerNorm(y, "\(prefix).layer_norm", width: outChannels, eps: 1e-5)
      y = try builder.transpose(y, [0, 2, 1])
    } else if index == 0 {
      y = try builder.groupNorm(
        y, parameter("\(prefix).layer_norm.weight", [outChannels]), parameter("\(prefix).layer_norm.bias", [outChannels]),
        groups: outChannels, eps: 1e-5)
    }
    return try builder.unary(.gelu, y, name: "conv_layers.\(index).output")
  }

  /// `_get_feat_extract_output_lengths`: L = floor((L - k) / s) + 1 for every convolution.
  private mutating func frameLengths(attentionMask: ValueID?, inputValues: ValueID) throws -> ValueID {
    var lengths: ValueID
    if let attentionMask {
      lengths = try builder.reduce(.reduceSum, attentionMask, axes: [1])
    } else {
      let total = try builder.apply(.dimSize, [inputValues], ["axis": .int(1)])
      lengths = try builder.apply(.broadcastTo, [total], ["shape": .dims([builder.type(of: inputValues).shape[0]])])
    }
    for (kernel, stride) in zip(config.convKernel, config.convStride) {
      lengths = try builder.sub(lengths, try builder.constant(Double(kernel), .i64))
      lengths = try builder.binary(.floorDiv, lengths, try builder.constant(Double(stride), .i64))
      lengths = try builder.add(lengths, try builder.constant(1, .i64))
    }
    return try builder.apply(.maximum, [lengths, try builder.constant(0, .i64)], name: "input_lengths")
  }

  /// frame_mask[b, t] = t < lengths[b] (transformers' `_get_feature_vector_attention_mask`).
  private mutating func framePositionsBelow(_ lengths: ValueID, frames: DimExpr) throws -> ValueID {
    let batch = builder.type(of: lengths).shape[0]
    let positions = try builder.apply(.iota, [], ["dtype": .dtype(.i64), "shape": .dims([batch, frames]), "axis": .int(1)])
    let column = try builder.reshape(lengths, [batch, 1])
    return try builder.binary(.lt, positions, column, name: "frame_mask")
  }

  // MARK: Encoder

  private mutating func encoder(_ x: ValueID, frameMask: ValueID?) throws -> ValueID {
    let type = builder.type(of: x)
    let (batch, frames) = (type.shape[0], type.shape[1])
    var states = x
    var additiveMask: ValueID?
    if let frameMask {
      // hidden_states[~mask] = 0, then an additive mask of finfo(f32).min over the keys.
      let maskColumn = try builder.reshape(frameMask, [batch, frames, 1])
      states = try builder.apply(.select, [maskColumn, states, try builder.constant(0, .f32)])
      let keys = try builder.reshape(frameMask, [batch, 1, 1, frames])
      additiveMask = try builder.apply(
        .select, [keys, try builder.constant(0, .f32), try builder.constant(-Double(Float.greatestFiniteMagnitude), .f32)], name: "attention_bias")
    }
    let position = try positionalEmbedding(states)
    states = try builder.add(states, position)
    if !config.doStableLayerNorm { states = try layerNorm(states, "wav2vec2.encoder.layer_norm", width: config.hiddenSize) }
    states = try dropout(states, config.hiddenDropout)
    // LayerDrop: in training, `layer_keep[i]` false skips layer i (its input passes through).
    let keep = options.training && config.layerdrop > 0
      ? builder.input("layer_keep", TensorType(.bool, [DimExpr(config.numHiddenLayers)])) : nil
    for layer in 0..<config.numHiddenLayers {
      let output = try encoderLayer(layer, states, additiveMask: additiveMask)
      if let keep {
        let flag = try builder.reshape(try builder.slice(keep, axis: 0, start: DimExpr(layer), end: DimExpr(layer + 1)), [])
        states = try builder.apply(.select, [flag, output, states])
      } else {
        states = output
      }
    }
    if config.doStableLayerNorm { states = try layerNorm(states, "wav2vec2.encoder.layer_norm", width: config.hiddenSize) }
    return states
  }

  /// Grouped convolution over time with a weight-normed kernel (weight_norm dim=2: the norm runs
  /// over output and input channels for each tap), then same-padding trim and GELU.
  private mutating func positionalEmbedding(_ x: ValueID) throws -> ValueID {
    let prefix = "wav2vec2.encoder.pos_conv_embed.conv"
    let kernel = config.numConvPosEmbeddings
    let perGroup = config.hiddenSize / config.numConvPosEmbeddingGroups
    let g = parameter("\(prefix).parametrizations.weight.original0", [1, 1, kernel])
    let v = parameter("\(prefix).parametrizations.weight.original1", [config.hiddenSize, perGroup, kernel])
    let norm = try builder.unary(.sqrt, try builder.reduce(.reduceSum, try builder.mul(v, v), axes: [0, 1], keepdims: true))
    let weight = try builder.mul(g, try builder.div(v, norm), name: "pos_conv_embed.weight")
    let bias = parameter("\(prefix).bias", [config.hiddenSize])
    var y = try builder.transpose(x, [0, 2, 1])
    y = try builder.conv1d(y, weight, bias, padding: kernel / 2, groups: config.numConvPosEmbeddingGroups, name: "pos_conv_embed.conv")
    if kernel % 2 == 0 {
      let length = builder.type(of: y).shape[2]
      y = try builder.slice(y, axis: 2, start: 0, end: length - 1)
    }
    y = try builder.unary(.gelu, y)
    return try builder.transpose(y, [0, 2, 1], name: "pos_conv_embed.output")
  }

  private mutating func encoderLayer(_ index: Int, _ x: ValueID, additiveMask: ValueID?) throws -> ValueID {
    let prefix = "wav2vec2.encoder.layers.\(index)"
    let width = config.hiddenSize
    if config.doStableLayerNorm {
      var attended = try layerNorm(x, "\(prefix).layer_norm", width: width)
      attended = try attention(attended, prefix: "\(prefix).attention", additiveMask: additiveMask)
      attended = try dropout(attended, config.hiddenDropout)
      let residual = try builder.add(x, attended)
      let normed = try layerNorm(residual, "\(prefix).final_layer_norm", width: width)
      return try builder.add(residual, try feedForward(normed, prefix: "\(prefix).feed_forward"), name: "layers.\(index).output")
    }
    var attended = try attention(x, prefix: "\(prefix).attention", additiveMask: additiveMask)
    attended = try dropout(attended, config.hiddenDropout)
    var states = try layerNorm(try builder.add(x, attended), "\(prefix).layer_norm", width: width)
    states = try builder.add(states, try feedForward(states, prefix: "\(prefix).feed_forward"))
    return try layerNorm(states, "\(prefix).final_layer_norm", width: width, name: "layers.\(index).output")
  }

  private mutating func attention(_ x: ValueID, prefix: String, additiveMask: ValueID?) throws -> ValueID {
    let type = builder.type(of: x)
    let (batch, frames) = (type.shape[0], type.shape[1])
    let (heads, headDim) = (config.numAttentionHeads, config.headDim)
    func projection(_ name: String, _ input: ValueID, _ graph: inout Wav2Vec2Graph) throws -> ValueID {
      try graph.builder.linear(
        input, graph.parameter("\(prefix).\(name).weight", [graph.config.hiddenSize, graph.config.hiddenSize]),
        graph.parameter("\(prefix).\(name).bias", [graph.config.hiddenSize]))
    }
    func splitHeads(_ value: ValueID, _ graph: inout Wav2Vec2Graph) throws -> ValueID {
      let split = try graph.builder.reshape(value, [batch, frames, DimExpr(heads), DimExpr(headDim)])
      return try graph.builder.transpose(split, [0, 2, 1, 3])
    }
    let scale = try builder.constant(1 / Double(headDim).squareRoot(), .f32)
    let query = try splitHeads(try builder.mul(try projection("q_proj", x, &self), scale), &self)
    let key = try splitHeads(try projection("k_proj", x, &self), &self)
    let value = try splitHeads(try projection("v_proj", x, &self), &self)
    var scores = try builder.matmul(query, try builder.transpose(key, [0, 1, 3, 2]))
    if let additiveMask { scores = try builder.add(scores, additiveMask) }
    var weights = try builder.softmax(scores, axis: -1)
    weights = try dropout(weights, config.attentionDropout)
    let context = try builder.transpose(try builder.matmul(weights, value), [0, 2, 1, 3])
    let merged = try builder.reshape(context, [batch, frames, DimExpr(config.hiddenSize)])
    return try projection("out_proj", merged, &self)
  }

  private mutating func feedForward(_ x: ValueID, prefix: String) throws -> ValueID {
    let (width, inner) = (config.hiddenSize, config.intermediateSize)
    var y = try builder.linear(
      x, parameter("\(prefix).intermediate_dense.weight", [inner, width]), parameter("\(prefix).intermediate_dense.bias", [inner]))
    y = try builder.unary(.gelu, y)
    y = try dropout(y, config.activationDropout)
    y = try builder.linear(y, parameter("\(prefix).output_dense.weight", [width, inner]), parameter("\(prefix).output_dense.bias", [width]))
    return try dropout(y, config.hiddenDropout)
  }

  // MARK: Loss

  /// transformers' ForCTCLoss: log_softmax in f32; label ids below 0 (padding) and equal to the
  /// blank are not targets (5.x); the configured reduction and zero_infinity.
  private mutating func ctcLoss(logits: ValueID, labels: ValueID, inputLengths: ValueID) throws -> ValueID {
    let logProbs = try builder.logSoftmax(logits, axis: -1, name: "log_probs")
    let isBlank = try builder.binary(.eq, labels, try builder.constant(Double(config.padTokenId), .i64))
    let targets = try builder.apply(.select, [isBlank, try builder.constant(-100, .i64), labels], name: "ctc_targets")
    return try builder.apply(
      .ctcLoss, [logProbs, inputLengths, targets],
      ["blank": .int(config.padTokenId), "reduction": .string(config.ctcLossReduction), "zero_infinity": .bool(config.ctcZeroInfinity)],
      name: "loss")
  }

  // MARK: Training-only pieces

  private mutating func dropout(_ x: ValueID, _ p: Double) throws -> ValueID {
    guard options.training, p > 0, let seed = dropoutSeed else { return x }
    dropoutStream += 1
    let mask = try builder.apply(.dropoutMask, [x, seed], ["p": .float(p), "stream": .int(dropoutStream)])
    return try builder.mul(x, mask)
  }

  /// SpecAugment time masking: masked frames take `masked_spec_embed`.
  private mutating func specAugment(_ x: ValueID, frames: DimExpr) throws -> ValueID {
    let batch = builder.type(of: x).shape[0]
    let embed = parameter("wav2vec2.masked_spec_embed", [config.hiddenSize])
    let maskIndices = builder.input("mask_time_indices", TensorType(.bool, [batch, frames]))
    let column = try builder.reshape(maskIndices, [batch, frames, 1])
    return try builder.apply(.select, [column, embed, x], name: "spec_augmented")
  }

  // MARK: Helpers

  private mutating func parameter(_ name: String, _ shape: [Int]) -> ValueID {
    if let existing = builder.graph.parameter(named: name) { return existing }
    return builder.parameter(name, TensorType(.f32, shape.map { DimExpr($0) }))
  }

  private mutating func layerNorm(_ x: ValueID, _ prefix: String, width: Int, eps: Double? = nil, name: String? = nil) throws -> ValueID {
    try builder.layerNorm(x, parameter("\(prefix).weight", [width]), parameter("\(prefix).bias", [width]), eps: eps ?? config.layerNormEps, name: name)
  }
}

public enum ModelError: Error, CustomStringConvertible {
  case invalidConfiguration([String])

  public var description: String {
    switch self {
    case .invalidConfiguration(let problems): "invalid Wav2Vec2 configuration: " + problems.joined(separator: "; ")
    }
  }
}

extension Wav2Vec2Configuration {
  /// Parameters `freeze_feature_encoder` leaves out of training: the convolution stack.
  public static func isFeatureEncoderParameter(_ name: String) -> Bool {
    name.hasPrefix(FrozenParameters.featureEncoderModule + ".")
  }
}
