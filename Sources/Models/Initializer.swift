import IR
import RealModule
import Tensor

/// Fresh weights for a Wav2Vec2ForCTC graph, following transformers' `_init_weights`:
/// linear layers normal(0, 0.02) with zero bias, the feature projection and convolution biases
/// uniform(±1/√fan_in), convolutions Kaiming-normal, norms one and zero, the positional
/// convolution's direction uniform(±1/√fan_in) (nn.Conv1d's default: transformers' normal draw
/// does not reach a weight-normed convolution) with its gain set to the norm of the direction,
/// and `masked_spec_embed` uniform(0, 1). Deterministic in the seed.
public enum Initializer {
  public static func weights(for graph: Graph, config: Wav2Vec2Configuration, seed: UInt64) -> [String: Tensor] {
    var random = SeededRandom(seed: seed)
    var weights: [String: Tensor] = [:]
    var names = graph.parameters.map { graph.name(of: $0) }
    // transformers creates masked_spec_embed only when some masking probability is positive.
    if config.maskTimeProb > 0 && !names.contains("wav2vec2.masked_spec_embed") { names.append("wav2vec2.masked_spec_embed") }
    for name in names.sorted() {
      let shape = graph.parameter(named: name).map { graph.type(of: $0).shape.compactMap(\.constantValue) } ?? [config.hiddenSize]
      let count = shape.reduce(1, *)
      var values = [Float](repeating: 0, count: count)
      if name.hasSuffix("masked_spec_embed") {
        for index in 0..<count { values[index] = Float(random.uniform()) }
      } else if name.contains("layer_norm") {
        if name.hasSuffix(".weight") { values = [Float](repeating: 1, count: count) }
      } else if name.contains("pos_conv_embed") {
        continue  // Filled below, where g depends on v.
      } else if name.contains("feature_projection.projection") {
        let bound = 1 / Double(config.convDim.last!).squareRoot()
        for index in 0..<count { values[index] = Float(random.uniform(-bound, bound)) }
      } else if name.contains("conv_layers") {
        if name.hasSuffix(".weight") {
          let fanIn = Double(shape[1] * shape[2])
          let std = (2.0 / fanIn).squareRoot()
          for index in 0..<count { values[index] = Float(random.normal() * std) }
        } else {
          let layer = conventionalLayerIndex(name)
          let fanIn = Double((layer == 0 ? 1 : config.convDim[layer - 1]) * config.convKernel[layer])
          let bound = 1 / fanIn.squareRoot()
          for index in 0..<count { values[index] = Float(random.uniform(-bound, bound)) }
        }
      } else if name.hasSuffix(".weight") {
        for index in 0..<count { values[index] = Float(random.normal() * 0.02) }
      }
      weights[name] = Tensor(values, shape: shape)
    }
    // Positional convolution. transformers' `_init_weights` draws normal(0, 2/√(K·C)) into
    // `conv.weight`, but under weight norm that attribute is recomputed from g and v on every
    // access, so the draw is lost and the parameters keep nn.Conv1d's default initialisation
    // from before weight norm was applied: v ~ uniform(±1/√fan_in), fan_in = (C / groups)·K,
    // and g = ‖v‖ over (out, in) per tap. The bias is set to 0.
    let kernel = config.numConvPosEmbeddings
    let perGroup = config.hiddenSize / config.numConvPosEmbeddingGroups
    let bound = 1 / Double(perGroup * kernel).squareRoot()
    var direction = [Float](repeating: 0, count: config.hiddenSize * perGroup * kernel)
    for index in direction.indices { direction[index] = Float(random.uniform(-bound, bound)) }
    var gain = [Float](repeating: 0, count: kernel)
    for tap in 0..<kernel {
      var sum = 0.0
      for row in 0..<(config.hiddenSize * perGroup) { sum += Double(direction[row * kernel + tap] * direction[row * kernel + tap]) }
      gain[tap] = Float(sum.squareRoot())
    }
    let prefix = "wav2vec2.encoder.pos_conv_embed.conv"
    weights["\(prefix).parametrizations.weight.original0"] = Tensor(gain, shape: [1, 1, kernel])
    weights["\(prefix).parametrizations.weight.original1"] = Tensor(direction, shape: [config.hiddenSize, perGroup, kernel])
    weights["\(prefix).bias"] = Tensor([Float](repeating: 0, count: config.hiddenSize), shape: [config.hiddenSize])
    return weights
  }

  private static func conventionalLayerIndex(_ name: String) -> Int {
    let parts = name.split(separator: ".")
    guard let position = parts.firstIndex(of: "conv_layers"), position + 1 < parts.count, let index = Int(parts[position + 1]) else { return 0 }
    return index
  }
}

/// SplitMix64 with uniform and normal (Box–Muller) draws.
public struct SeededRandom: RandomNumberGenerator, Sendable {
  private var state: UInt64
  private var spare: Double?

  public init(seed: UInt64) { state = seed }

  public mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }

  /// Uniform in [low, high).
  public mutating func uniform(_ low: Double = 0, _ high: Double = 1) -> Double {
    low + (high - low) * Double(next() >> 11) * 0x1.0p-53
  }

  public mutating func normal() -> Double {
    if let value = spare {
      spare = nil
      return value
    }
    let u1 = max(uniform(), 1e-300)
    let u2 = uniform()
    let radius = (-2 * Double.log(u1)).squareRoot()
    spare = radius * Double.sin(2 * .pi * u2)
    return radius * Double.cos(2 * .pi * u2)
  }
}
