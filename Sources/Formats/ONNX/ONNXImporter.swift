import Foundation
import IR
import Models
import Tensor

/// Maps the weights of an ONNX export of Wav2Vec2ForCTC onto asrc's graph and infers the
/// configuration from the graph (or takes one).
///
/// Weights are found three ways, as the exporters write them (see Tests/Fixtures/onnx):
/// - by name, where the initializer keeps its Hugging Face key (convolutions, norms, biases);
/// - otherwise by the module path of the node that consumes it: the legacy exporter names
///   nodes by path (`/wav2vec2/encoder/layers.0/attention/q_proj/MatMul`), the dynamo exporter
///   keeps the path in the node's `pkg.torch.onnx.name_scopes` metadata;
/// - undoing what the exporters do on the way: MatMul weights are stored transposed, GroupNorm
///   affine parameters as [C, 1], and the positional convolution's weight norm is either kept
///   as ops over g and v or folded into one weight (then v = W and g = ‖W‖ per tap, which
///   reproduces W exactly).
public enum ONNXImporter {
  public struct Result {
    public var configuration: Wav2Vec2Configuration
    public var weights: [String: Tensor]
    public var usesAttentionMask: Bool
    public var notes: [String]
  }

  public static func importModel(_ model: ONNXModel, configuration given: Wav2Vec2Configuration?, padTokenId: Int?) throws(FormatError) -> Result {
    let path = model.path
    var notes: [String] = []
    let consumers = consumersByInput(model)
    var weights: [String: Tensor] = [:]
    var foldedPositionalWeight: Tensor?
    for name in model.initializerNames.sorted() {
      guard let tensor = model.tensors[name], tensor.dtype.isFloatingPoint, tensor.rank >= 1 else { continue }
      let value = tensor.dtype == .f32 ? tensor : converted(tensor)
      if isParameterName(name) {
        weights[renamedLegacy(name)] = value
        continue
      }
      for (node, input) in consumers[name] ?? [] {
        guard let scope = moduleScope(of: node) else { continue }
        switch (node.opType, input) {
        case ("MatMul", 1) where value.rank == 2:
          weights[scope + ".weight"] = transposed(value)
        case ("Gemm", 1) where value.rank == 2:
          weights[scope + ".weight"] = node.attributes["transB"]?.int == 1 ? value : transposed(value)
        case ("Gemm", 2):
          weights[scope + ".bias"] = value
        case ("Add", _) where value.rank == 1 && !scope.hasSuffix("layer_norm"):
          weights[scope + ".bias"] = value
        case ("Conv", 1) where scope.hasSuffix("pos_conv_embed.conv") && value.rank == 3 && value.shape[2] > 0:
          foldedPositionalWeight = value
        case ("Conv", 1):
          weights[scope + ".weight"] = value
        case ("Conv", 2):
          weights[scope + ".bias"] = value
        case ("LayerNormalization", 1):
          weights[scope + ".weight"] = value
        case ("LayerNormalization", 2):
          weights[scope + ".bias"] = value
        case ("Mul", _) where scope.hasSuffix("layer_norm"):
          weights[scope + ".weight"] = value.reshaped([value.count])
        case ("Add", _) where scope.hasSuffix("layer_norm"):
          weights[scope + ".bias"] = value.reshaped([value.count])
        default:
          continue
        }
      }
    }
    let positional = "wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight"
    if weights[positional + ".original1"] == nil, let folded = foldedPositionalWeight {
      let (direction, gain) = unfoldWeightNorm(folded)
      weights[positional + ".original1"] = direction
      weights[positional + ".original0"] = gain
      notes.append("the positional convolution's weight norm was folded by the exporter; recovered as v = W, g = ‖W‖ per tap")
    }
    guard weights["lm_head.weight"] != nil, weights.keys.contains(where: { $0.hasPrefix("wav2vec2.feature_extractor.conv_layers.") }) else {
      throw FormatError(path, "not a Wav2Vec2ForCTC graph: no lm_head or feature-encoder convolution weights were found (initializers named by Hugging Face keys or by the module paths of their nodes)")
    }
    let usesAttentionMask = model.inputNames.contains("attention_mask")
    var configuration: Wav2Vec2Configuration
    if let given {
      configuration = given
    } else {
      configuration = try inferConfiguration(model, weights: weights, consumers: consumers)
      notes.append("configuration inferred from the graph: \(configuration.numHiddenLayers) layers, hidden \(configuration.hiddenSize), \(configuration.numAttentionHeads) heads, feat_extract_norm \(configuration.featExtractNorm), stable layer norm \(configuration.doStableLayerNorm)")
    }
    if let padTokenId { configuration.padTokenId = padTokenId }
    if !model.inputNames.contains("input_values") {
      notes.append("the graph's inputs are \(model.inputNames.joined(separator: ", ")), not input_values")
    }
    return Result(configuration: configuration, weights: weights, usesAttentionMask: usesAttentionMask, notes: notes)
  }

  // MARK: Names and scopes

  static func isParameterName(_ name: String) -> Bool {
    (name.hasPrefix("wav2vec2.") || name.hasPrefix("lm_head.")) && !name.contains("/")
  }

  static func renamedLegacy(_ name: String) -> String {
    name.replacingOccurrences(of: "pos_conv_embed.conv.weight_g", with: "pos_conv_embed.conv.parametrizations.weight.original0")
      .replacingOccurrences(of: "pos_conv_embed.conv.weight_v", with: "pos_conv_embed.conv.parametrizations.weight.original1")
  }

  /// The module path of a node: from the legacy exporter's node name, or from the dynamo
  /// exporter's `pkg.torch.onnx.name_scopes` metadata (a Python list whose second-to-last entry
  /// is the module path).
  static func moduleScope(of node: ONNXModel.Node) -> String? {
    if let scopes = node.metadata["pkg.torch.onnx.name_scopes"] {
      let entries = scopes.split(separator: "'", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
      if entries.count >= 2 { return entries[entries.count - 2] }
    }
    guard node.name.hasPrefix("/") else { return nil }
    let components = node.name.split(separator: "/").dropLast()
    return components.isEmpty ? nil : components.joined(separator: ".")
  }

  static func consumersByInput(_ model: ONNXModel) -> [String: [(ONNXModel.Node, Int)]] {
    var consumers: [String: [(ONNXModel.Node, Int)]] = [:]
    for node in model.nodes {
      for (index, input) in node.inputs.enumerated() where !input.isEmpty { consumers[input, default: []].append((node, index)) }
    }
    return consumers
  }

  // MARK: Configuration

  static func inferConfiguration(_ model: ONNXModel, weights: [String: Tensor], consumers: [String: [(ONNXModel.Node, Int)]]) throws(FormatError) -> Wav2Vec2Configuration {
    let path = model.path
    var config = Wav2Vec2Configuration()
    guard let head = weights["lm_head.weight"], head.rank == 2 else { throw FormatError(path, "no lm_head.weight") }
    config.vocabSize = head.shape[0]
    config.hiddenSize = head.shape[1]
    // Convolutions: weights, kernels and strides from the Conv nodes by scope.
    var convolutions: [Int: ONNXModel.Node] = [:]
    var positionalConv: ONNXModel.Node?
    for node in model.nodes where node.opType == "Conv" {
      guard let scope = moduleScope(of: node) else { continue }
      if scope.hasSuffix("pos_conv_embed.conv") { positionalConv = node }
      let parts = scope.split(separator: ".")
      if let position = parts.firstIndex(of: "conv_layers"), position + 1 < parts.count, let index = Int(parts[position + 1]) {
        convolutions[index] = node
      }
    }
    let layerCount = convolutions.count
    guard layerCount > 0, (0..<layerCount).allSatisfy({ convolutions[$0] != nil }) else {
      throw FormatError(path, "cannot find the feature encoder's convolutions (conv_layers.0 … in node scopes); pass --config")
    }
    config.convDim = []
    config.convKernel = []
    config.convStride = []
    for index in 0..<layerCount {
      let node = convolutions[index]!
      guard let weight = weights["wav2vec2.feature_extractor.conv_layers.\(index).conv.weight"], weight.rank == 3 else {
        throw FormatError(path, "missing weight wav2vec2.feature_extractor.conv_layers.\(index).conv.weight")
      }
      config.convDim.append(weight.shape[0])
      config.convKernel.append(node.attributes["kernel_shape"]?.ints?.first ?? weight.shape[2])
      config.convStride.append(node.attributes["strides"]?.ints?.first ?? 1)
    }
    config.convBias = weights["wav2vec2.feature_extractor.conv_layers.0.conv.bias"] != nil
    config.featExtractNorm = weights["wav2vec2.feature_extractor.conv_layers.1.layer_norm.weight"] != nil ? "layer" : "group"
    let layerIndices = weights.keys.compactMap { key -> Int? in
      guard key.hasPrefix("wav2vec2.encoder.layers.") else { return nil }
      return Int(key.dropFirst("wav2vec2.encoder.layers.".count).prefix { $0 != "." })
    }
    config.numHiddenLayers = (layerIndices.max() ?? -1) + 1
    if let intermediate = weights["wav2vec2.encoder.layers.0.feed_forward.intermediate_dense.weight"] { config.intermediateSize = intermediate.shape[0] }
    if let positionalConv {
      config.numConvPosEmbeddings = positionalConv.attributes["kernel_shape"]?.ints?.first ?? config.numConvPosEmbeddings
      config.numConvPosEmbeddingGroups = positionalConv.attributes["group"]?.int ?? config.numConvPosEmbeddingGroups
    } else if let direction = weights["wav2vec2.encoder.pos_conv_embed.conv.parametrizations.weight.original1"], direction.rank == 3 {
      config.numConvPosEmbeddings = direction.shape[2]
      config.numConvPosEmbeddingGroups = config.hiddenSize / Swift.max(direction.shape[1], 1)
    }
    if let epsilon = model.nodes.first(where: { $0.opType == "LayerNormalization" })?.attributes["epsilon"]?.float {
      // Stored as float32 (9.9999997e-06 for 1e-5): keep six significant digits.
      config.layerNormEps = Double(String(format: "%.6g", epsilon)) ?? epsilon
    }
    config.doStableLayerNorm = try isStable(model, consumers: consumers)
    config.numAttentionHeads = try attentionHeads(model, hidden: config.hiddenSize)
    config.padTokenId = 0
    let problems = config.validationProblems()
    if !problems.isEmpty { throw FormatError(path, "inferred an invalid configuration (\(problems.joined(separator: "; "))); pass --config") }
    return config
  }

  /// Pre-LN (stable) layers feed q_proj from the layer's own layer_norm.
  static func isStable(_ model: ONNXModel, consumers: [String: [(ONNXModel.Node, Int)]]) throws(FormatError) -> Bool {
    var producers: [String: ONNXModel.Node] = [:]
    for node in model.nodes { for output in node.outputs { producers[output] = node } }
    guard let query = model.nodes.first(where: { $0.opType == "MatMul" && moduleScope(of: $0) == "wav2vec2.encoder.layers.0.attention.q_proj" }),
      let input = query.inputs.first
    else { throw FormatError(model.path, "cannot find layer 0's q_proj MatMul; pass --config") }
    var current = producers[input]
    // Look through casts and reshapes between the norm and the projection.
    for _ in 0..<4 {
      guard let node = current else { break }
      if node.opType == "LayerNormalization" { return moduleScope(of: node) == "wav2vec2.encoder.layers.0.layer_norm" }
      current = node.inputs.first.flatMap { producers[$0] }
    }
    return false
  }

  /// The head count from the constants that shape q, k and v into heads: the most frequent
  /// positive divisor of the hidden size among the integers feeding layer 0's attention
  /// reshapes is the head dimension.
  static func attentionHeads(_ model: ONNXModel, hidden: Int) throws(FormatError) -> Int {
    var producers: [String: ONNXModel.Node] = [:]
    for node in model.nodes { for output in node.outputs { producers[output] = node } }
    var counts: [Int: Int] = [:]
    func constants(_ name: String) -> [Int] {
      if let tensor = model.tensors[name], tensor.dtype == .i64 || tensor.dtype == .i32, tensor.count <= 8 { return tensor.int64s.map { Int($0) } }
      guard let node = producers[name], node.opType == "Concat" else { return [] }
      return node.inputs.flatMap { input -> [Int] in
        guard let tensor = model.tensors[input], tensor.dtype == .i64 || tensor.dtype == .i32, tensor.count == 1 else { return [] }
        return tensor.int64s.map { Int($0) }
      }
    }
    for node in model.nodes where node.opType == "Reshape" {
      guard let scope = moduleScope(of: node), scope.contains("layers.0.attention"), node.inputs.count > 1 else { continue }
      for value in constants(node.inputs[1]) where value > 1 && value < hidden && hidden % value == 0 { counts[value, default: 0] += 1 }
    }
    guard let headDim = counts.max(by: { $0.value < $1.value || ($0.value == $1.value && $0.key < $1.key) })?.key else {
      if hidden % 64 == 0 { return hidden / 64 }
      throw FormatError(model.path, "cannot read the number of attention heads from the graph; pass --config")
    }
    return hidden / headDim
  }

  // MARK: Tensor helpers

  static func transposed(_ matrix: Tensor) -> Tensor {
    let (rows, columns) = (matrix.shape[0], matrix.shape[1])
    let result = Tensor(uninitialized: .f32, [columns, rows])
    let (source, target) = (matrix.pointer(Float.self), result.pointer(Float.self))
    for row in 0..<rows { for column in 0..<columns { target[column * rows + row] = source[row * columns + column] } }
    return result
  }

  static func converted(_ tensor: Tensor) -> Tensor { Tensor(tensor.floats, shape: tensor.shape) }

  /// v = W, g[k] = ‖W[:, :, k]‖, so that g · v / ‖v‖ = W (W of rank 3 with taps).
  static func unfoldWeightNorm(_ weight: Tensor) -> (direction: Tensor, gain: Tensor) {
    let kernel = weight.shape[2]
    let rows = weight.count / kernel
    let values = weight.pointer(Float.self)
    var gain = [Float](repeating: 0, count: kernel)
    for tap in 0..<kernel {
      var sum = 0.0
      for row in 0..<rows { sum += Double(values[row * kernel + tap]) * Double(values[row * kernel + tap]) }
      gain[tap] = Float(sum.squareRoot())
    }
    return (weight, Tensor(gain, shape: [1, 1, kernel]))
  }
}
