import IR
import Runtime
import Tensor

/// The training step on a graph executor: the graph gives each micro-batch's loss and
/// gradients; summing, the global norm, clipping and AdamW run here in Swift, as PyTorch's
/// Trainer does them.
final class ExecutorTrainingStep: TrainingStep {
  private let graph: Graph
  private let executor: any GraphExecutor
  /// clip_grad_norm_'s limit; 0 does not clip.
  private let maxGradNorm: Double
  private(set) var weights: [String: Tensor]
  private(set) var optimizer: AdamW

  init(graph: Graph, executor: any GraphExecutor, optimizer: AdamW, maxGradNorm: Double, weights: [String: Tensor]) {
    self.graph = graph
    self.executor = executor
    self.optimizer = optimizer
    self.maxGradNorm = maxGradNorm
    self.weights = weights
  }

  func load(weights: [String: Tensor]) { self.weights = weights }

  func load(optimizer: AdamW) { self.optimizer = optimizer }

  func run(_ microBatches: [[String: Tensor]], learningRate: Double, gradientScale: Double) throws -> TrainingStepOutcome {
    var loss = 0.0
    var gradients: [String: Tensor] = [:]
    for inputs in microBatches {
      let outputs = try executor.run(graph, inputs: inputs, parameters: weights)
      var micro: [String: Tensor] = [:]
      for (name, tensor) in outputs where name.hasPrefix("grad.") { micro[String(name.dropFirst(5))] = tensor }
      loss += outputs["loss"]?.doubles.first ?? .nan
      accumulate(micro, into: &gradients)
    }
    // GradScaler.unscale_: multiply by 1/scale, exact for a power of two.
    if gradientScale != 1 {
      let inverse = Float(1 / gradientScale)
      gradients = gradients.mapValues { tensor in
        let unscaled = Tensor(uninitialized: .f32, tensor.shape)
        let (source, target) = (tensor.pointer(Float.self), unscaled.pointer(Float.self))
        for index in 0..<tensor.count { target[index] = source[index] * inverse }
        return unscaled
      }
    }
    let norm = globalNorm(gradients)
    guard loss.isFinite && norm.isFinite else { return TrainingStepOutcome(loss: loss, gradientNorm: norm, updated: false) }
    optimizer.update(&weights, gradients: clipped(gradients, norm: norm), learningRate: learningRate)
    return TrainingStepOutcome(loss: loss, gradientNorm: norm, updated: true)
  }

  /// Sums a micro-batch's gradients into the step's, in float32 as PyTorch's `.grad` does.
  private func accumulate(_ micro: [String: Tensor], into total: inout [String: Tensor]) {
    for (name, tensor) in micro {
      guard let sum = total[name] else {
        total[name] = tensor
        continue
      }
      let added = Tensor(uninitialized: .f32, sum.shape)
      let (left, right, target) = (sum.pointer(Float.self), tensor.pointer(Float.self), added.pointer(Float.self))
      for index in 0..<sum.count { target[index] = left[index] + right[index] }
      total[name] = added
    }
  }

  private func globalNorm(_ gradients: [String: Tensor]) -> Double {
    var sum = 0.0
    for tensor in gradients.values {
      let pointer = tensor.pointer(Float.self)
      for index in 0..<tensor.count { sum += Double(pointer[index]) * Double(pointer[index]) }
    }
    return sum.squareRoot()
  }

  /// torch.nn.utils.clip_grad_norm_: scale by max_norm / (norm + 1e-6) when that is below 1.
  private func clipped(_ gradients: [String: Tensor], norm: Double) -> [String: Tensor] {
    guard maxGradNorm > 0 else { return gradients }
    let coefficient = Float(maxGradNorm / (norm + 1e-6))
    guard coefficient < 1 else { return gradients }
    return gradients.mapValues { tensor in
      let scaled = Tensor(uninitialized: .f32, tensor.shape)
      let (source, target) = (tensor.pointer(Float.self), scaled.pointer(Float.self))
      for index in 0..<tensor.count { target[index] = source[index] * coefficient }
      return scaled
    }
  }
}
