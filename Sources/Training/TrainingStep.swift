import CRuntime
import IR
import Runtime
import Tensor

/// One optimizer step and the state it changes: the micro-batches' forward and backward, their
/// losses and gradients summed, the global gradient norm, a skip when the loss or the norm is
/// not finite, clipping, and AdamW. Between steps it holds the weights and the optimizer's
/// state, which the Trainer reads for checkpoints and evaluations and replaces when resuming.
///
/// ``ExecutorTrainingStep`` runs the graph on any executor and the optimizer in Swift (the
/// interpreter's path, the reference); ``CompiledTrainingStepRunner`` runs all of it in the C
/// backend's library, one call per micro-batch.
protocol TrainingStep: AnyObject {
  /// `microBatches` are the training graph's inputs, one dictionary per micro-batch (at least one).
  /// `gradientScale` is the f16 loss scale the gradients carry (a power of two; 1 without loss
  /// scaling): the norm, clipping and AdamW see the gradients divided by it.
  func run(_ microBatches: [[String: Tensor]], learningRate: Double, gradientScale: Double) throws -> TrainingStepOutcome
  /// Every weight of the model, current; the tensors never change afterwards.
  var weights: [String: Tensor] { get }
  func load(weights: [String: Tensor]) throws
  /// AdamW with its current moments and step count.
  var optimizer: AdamW { get }
  func load(optimizer: AdamW) throws
}

/// What one optimizer step did.
struct TrainingStepOutcome {
  /// The micro-batches' losses, summed (the Trainer does not divide them for Wav2Vec2ForCTC).
  var loss: Double
  /// The global L2 norm of the summed gradients, before clipping.
  var gradientNorm: Double
  /// False when the step was skipped (the loss or the norm was not finite).
  var updated: Bool
}

/// The backend's training step for a graph: the C backend's library (after its cleanup and
/// fusion) with the optimizer inside, or the interpreter with AdamW in Swift.
func makeTrainingStep(graph: Graph, backend: Backend, optimizer: AdamW, maxGradNorm: Double, weights: [String: Tensor]) throws -> any TrainingStep {
  if let compiled = backend.compiled {
    return try CompiledTrainingStepRunner(model: compiled.model(for: graph), optimizer: optimizer, maxGradNorm: maxGradNorm, weights: weights)
  }
  return ExecutorTrainingStep(graph: graph, executor: backend.executor, optimizer: optimizer, maxGradNorm: maxGradNorm, weights: weights)
}

extension TrainingStep {
  /// A step without loss scaling.
  func run(_ microBatches: [[String: Tensor]], learningRate: Double) throws -> TrainingStepOutcome {
    try run(microBatches, learningRate: learningRate, gradientScale: 1)
  }
}
