import Tensor

/// torch.optim.AdamW as the Trainer sets it up: decoupled weight decay on every parameter
/// except biases and normalisation weights (transformers' `get_decay_parameter_names`), bias
/// correction, eps added after the square root.
public struct AdamW: Sendable {
  public var beta1: Double
  public var beta2: Double
  public var epsilon: Double
  public var weightDecay: Double
  /// Steps taken so far (torch's per-parameter `step`, equal for all parameters here).
  public private(set) var step = 0
  /// First and second moments, by parameter name (float32, as torch keeps them for float32 weights).
  public private(set) var firstMoments: [String: [Float]] = [:]
  public private(set) var secondMoments: [String: [Float]] = [:]

  public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0) {
    self.beta1 = beta1
    self.beta2 = beta2
    self.epsilon = epsilon
    self.weightDecay = weightDecay
  }

  /// transformers' rule: no decay for names matching bias, layernorm, rmsnorm, `.norm.`, `_norm.`.
  public static func decays(_ name: String) -> Bool {
    let lower = name.lowercased()
    if lower.contains("bias") || lower.contains("layernorm") || lower.contains("rmsnorm") { return false }
    let components = lower.split(separator: ".", omittingEmptySubsequences: false)
    if components.contains("norm") { return false }
    if components.contains(where: { $0.hasSuffix("_norm") }) { return false }
    return true
  }

  /// One update of every parameter that has a gradient, at learning rate `lr`.
  public mutating func update(_ parameters: inout [String: Tensor], gradients: [String: Tensor], learningRate lr: Double) {
    step += 1
    let correction1 = 1 - pow(beta1, Double(step))
    let correction2Root = (1 - pow(beta2, Double(step))).squareRoot()
    let stepSize = Float(lr / correction1)
    let (b1, b2) = (Float(beta1), Float(beta2))
    let eps = Float(epsilon)
    for (name, gradient) in gradients.sorted(by: { $0.key < $1.key }) {
      guard let weights = parameters[name] else { continue }
      let count = weights.count
      var m = firstMoments[name] ?? [Float](repeating: 0, count: count)
      var v = secondMoments[name] ?? [Float](repeating: 0, count: count)
      let decay = Float(1 - lr * (Self.decays(name) ? weightDecay : 0))
      // Fresh storage: tensors are values, and the old weights may still be referenced.
      let updated = Tensor(uninitialized: .f32, weights.shape)
      let (w, g, out) = (weights.pointer(Float.self), gradient.pointer(Float.self), updated.pointer(Float.self))
      let rootCorrection = Float(correction2Root)
      m.withUnsafeMutableBufferPointer { m in
        v.withUnsafeMutableBufferPointer { v in
          for index in 0..<count {
            let grad = g[index]
            m[index] += (grad - m[index]) * (1 - b1)
            v[index] = v[index] * b2 + (1 - b2) * grad * grad
            let denominator = v[index].squareRoot() / rootCorrection + eps
            out[index] = w[index] * decay - stepSize * m[index] / denominator
          }
        }
      }
      firstMoments[name] = m
      secondMoments[name] = v
      parameters[name] = updated
    }
  }

  /// Restores the state saved in a checkpoint.
  public mutating func restore(step: Int, first: [String: [Float]], second: [String: [Float]]) {
    self.step = step
    firstMoments = first
    secondMoments = second
  }
}

#if canImport(Glibc)
  import Glibc
#endif
