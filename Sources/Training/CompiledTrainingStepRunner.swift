import CRuntime
import IR
import Tensor

/// The training step inside the C backend's library (`CompiledTrainingStep`: one C call per
/// micro-batch, AdamW in the last), seen as the Trainer's `TrainingStep`: the model folder's
/// weights and an `AdamW` value in and out.
final class CompiledTrainingStepRunner: TrainingStep {
  private let step: CompiledTrainingStep
  private let parameterNames: Set<String>
  /// Weights of the model folder the graph does not read: carried along unchanged.
  private var unreadWeights: [String: Tensor] = [:]
  /// The optimizer's settings, and the moments of restored parameters this graph does not
  /// train (a checkpoint keeps them, as AdamW does).
  private var untrained: AdamW

  /// `model` is a training graph's library (from the C cache, or a compiled step folder).
  init(model: CompiledModel, optimizer: AdamW, maxGradNorm: Double, weights: [String: Tensor]) throws {
    let settings = CompiledTrainingStep.Settings(
      beta1: optimizer.beta1, beta2: optimizer.beta2, epsilon: optimizer.epsilon, weightDecay: optimizer.weightDecay, maxGradNorm: maxGradNorm)
    step = try CompiledTrainingStep(model: model, settings: settings, decays: AdamW.decays)
    parameterNames = Set(model.interface.parameters.map(\.name))
    untrained = optimizer
    try load(weights: weights)
    try load(optimizer: optimizer)
  }

  func run(_ microBatches: [[String: Tensor]], learningRate: Double, gradientScale: Double) throws -> TrainingStepOutcome {
    let outcome = try step.run(microBatches, learningRate: learningRate, gradientScale: gradientScale)
    return TrainingStepOutcome(loss: outcome.loss, gradientNorm: outcome.gradientNorm, updated: outcome.updated)
  }

  var weights: [String: Tensor] { unreadWeights.merging(step.weights) { _, trained in trained } }

  func load(weights: [String: Tensor]) throws {
    try step.load(weights: weights)
    unreadWeights = weights.filter { !parameterNames.contains($0.key) }
  }

  var optimizer: AdamW {
    let (count, first, second) = step.moments()
    var optimizer = untrained
    optimizer.restore(
      step: count, first: untrained.firstMoments.merging(first) { _, trained in trained },
      second: untrained.secondMoments.merging(second) { _, trained in trained })
    return optimizer
  }

  func load(optimizer: AdamW) throws {
    let trained = Set(step.trainedParameters)
    untrained = optimizer
    untrained.restore(
      step: optimizer.step, first: optimizer.firstMoments.filter { !trained.contains($0.key) }, second: optimizer.secondMoments.filter { !trained.contains($0.key) })
    try step.restoreMoments(step: optimizer.step, first: optimizer.firstMoments, second: optimizer.secondMoments)
  }
}
