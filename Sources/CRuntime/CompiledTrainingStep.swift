import CodegenC
import IR
import Tensor

/// A training graph's `asrc_train_step` with the state it updates: the weights, AdamW's moments
/// and the gradient sums of an accumulating step. One `run` is one optimizer step: a C call per
/// micro-batch, the last of which adds up, measures, clips and applies AdamW inside the library.
///
/// The weights keep value semantics although the library writes them in place. Each parameter's
/// memory is a `TensorStorage`; a trained parameter is updated in its own memory only when this
/// step holds the only reference to it. When anyone else holds it (the caller's `load(weights:)`
/// dictionary, or tensors returned by `weights` for a checkpoint or an evaluation), the update
/// writes fresh memory instead and those tensors keep the values they had. So nothing ever sees
/// its tensors change, and in a loop that takes no snapshots the update stays in place.
///
/// The moments live in buffers of this step for as long as it trains; they are copied out
/// (`moments()`) only for a checkpoint and in (`restoreMoments`) only when resuming.
public final class CompiledTrainingStep {
  /// torch.optim.AdamW's settings and clip_grad_norm_'s limit (0: no clipping).
  public struct Settings: Sendable {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    public var maxGradNorm: Double

    public init(beta1: Double, beta2: Double, epsilon: Double, weightDecay: Double, maxGradNorm: Double) {
      self.beta1 = beta1
      self.beta2 = beta2
      self.epsilon = epsilon
      self.weightDecay = weightDecay
      self.maxGradNorm = maxGradNorm
    }
  }

  /// What one optimizer step did.
  public struct Outcome: Sendable {
    /// The micro-batches' losses, summed.
    public var loss: Double
    /// The global L2 norm of the summed gradients, before clipping.
    public var gradientNorm: Double
    /// False when the loss or the norm was not finite: nothing changed.
    public var updated: Bool
  }

  public let model: CompiledModel
  public let settings: Settings
  /// The parameters AdamW updates (those with a `grad.X` output), in the library's order.
  public var trainedParameters: [String] { training.trained.map(\.name) }
  /// Steps taken (torch's per-parameter `step`): the next update corrects bias for step + 1.
  public private(set) var optimizerStep = 0

  private let training: CTrainingInterface
  private let trainStep: ModelLibrary.TrainStep
  /// Every parameter's memory, in the library's order (nil until `load(weights:)`).
  private var storages: [TensorStorage?]
  private let shapes: [[Int]]
  private let decays: [UInt8]
  private let firstMoments: [FloatBuffer]
  private let secondMoments: [FloatBuffer]
  /// Allocated on the first step that needs them (several micro-batches, or a gradient that
  /// is input or parameter memory).
  private var gradientSums: [FloatBuffer]?

  /// `decays` says which trained parameters take weight decay (AdamW.decays).
  public init(model: CompiledModel, settings: Settings, decays: (String) -> Bool) throws {
    guard let training = model.interface.training, let trainStep = model.library.trainStep else {
      throw CodegenCError.badArguments(
        "the graph has no training step: it needs a scalar f32 `loss` output and f32 `grad.<parameter>` outputs shaped as their parameters")
    }
    var shapes: [[Int]] = []
    for parameter in model.interface.parameters {
      let shape = parameter.type.shape.compactMap { $0.constantValue }
      guard shape.count == parameter.type.rank else {
        throw CodegenCError.badArguments("parameter %\(parameter.name) has a symbolic shape \(parameter.type): weights need fixed shapes")
      }
      shapes.append(shape)
    }
    self.model = model
    self.settings = settings
    self.training = training
    self.trainStep = trainStep
    self.shapes = shapes
    storages = Array(repeating: nil, count: shapes.count)
    self.decays = training.trained.map { decays($0.name) ? 1 : 0 }
    let counts = training.trained.map { shapes[$0.parameter].reduce(1, *) }
    firstMoments = counts.map(FloatBuffer.init(zeros:))
    secondMoments = counts.map(FloatBuffer.init(zeros:))
  }

  /// Takes every parameter's values (sharing their memory until the first update; see the
  /// type's note on ownership).
  public func load(weights: [String: Tensor]) throws {
    var loaded: [TensorStorage?] = []
    for (parameter, shape) in zip(model.interface.parameters, shapes) {
      guard let tensor = weights[parameter.name] else { throw CodegenCError.badArguments("parameter %\(parameter.name) has no value (missing from the weights)") }
      guard tensor.dtype == parameter.type.dtype, tensor.shape == shape else {
        throw CodegenCError.badArguments("parameter %\(parameter.name) is declared \(parameter.type) but got \(tensor.dtype)\(tensor.shape)")
      }
      loaded.append(tensor.storage)
    }
    storages = loaded
  }

  /// The current weights of every parameter. The tensors share this step's memory, so the
  /// next update writes fresh memory for each trained parameter while they are held.
  public var weights: [String: Tensor] {
    var result: [String: Tensor] = [:]
    for (index, parameter) in model.interface.parameters.enumerated() {
      guard let storage = storages[index] else { continue }
      result[parameter.name] = Tensor(dtype: parameter.type.dtype, shape: shapes[index], storage: storage)
    }
    return result
  }

  /// Copies of AdamW's state, by trained parameter name (for a checkpoint).
  public func moments() -> (step: Int, first: [String: [Float]], second: [String: [Float]]) {
    var first: [String: [Float]] = [:]
    var second: [String: [Float]] = [:]
    for (index, trained) in training.trained.enumerated() {
      first[trained.name] = firstMoments[index].values
      second[trained.name] = secondMoments[index].values
    }
    return (optimizerStep, first, second)
  }

  /// Restores AdamW's state (resuming); a trained parameter without saved moments starts at
  /// zero, as AdamW does for a parameter it has not seen.
  public func restoreMoments(step: Int, first: [String: [Float]], second: [String: [Float]]) throws {
    for (index, trained) in training.trained.enumerated() {
      for (buffer, saved, kind) in [(firstMoments[index], first[trained.name], "first"), (secondMoments[index], second[trained.name], "second")] {
        guard let saved else {
          buffer.fill(with: [])
          continue
        }
        guard saved.count == buffer.count else {
          throw CodegenCError.badArguments("the saved \(kind) moment of \(trained.name) has \(saved.count) values, the parameter \(buffer.count)")
        }
        buffer.fill(with: saved)
      }
    }
    optimizerStep = step
  }

  /// One optimizer step over `microBatches` (the graph's inputs for each): forward and backward
  /// per micro-batch, then on the last one the norm, the finiteness check, clipping and AdamW at
  /// `learningRate`.
  /// `gradientScale` is the f16 loss scale the gradients carry (a power of two, 1 without
  /// scaling): the norm, clipping and the update see the gradients divided by it.
  public func run(_ microBatches: [[String: Tensor]], learningRate: Double, gradientScale: Double = 1) throws -> Outcome {
    guard !microBatches.isEmpty else { throw CodegenCError.badArguments("a training step needs at least one micro-batch") }
    guard storages.allSatisfy({ $0 != nil }) else { throw CodegenCError.badArguments("no weights were loaded into the training step") }
    let step = optimizerStep + 1
    if gradientSums == nil && (microBatches.count > 1 || training.trained.contains(where: \.gradientIsShared)) {
      gradientSums = firstMoments.map { FloatBuffer(uninitialized: $0.count) }
    }
    // Where each trained parameter's new values go, decided before any tensor of this call
    // holds the memory: in place when only this step references it, else fresh memory.
    var fresh: [Int: TensorStorage] = [:]
    var updatedPointers: [UnsafeMutablePointer<Float>?] = []
    for trained in training.trained {
      let index = trained.parameter
      if isKnownUniquelyReferenced(&storages[index]!) {
        updatedPointers.append(storages[index]!.data.assumingMemoryBound(to: Float.self))
      } else {
        let storage = TensorStorage(byteCount: storages[index]!.byteCount)
        fresh[index] = storage
        updatedPointers.append(storage.data.assumingMemoryBound(to: Float.self))
      }
    }
    let sums = gradientSums?.map { Optional($0.pointer) } ?? Array(repeating: nil, count: training.trained.count)
    let firsts = firstMoments.map { Optional($0.pointer) }
    let seconds = secondMoments.map { Optional($0.pointer) }
    let parameters = weights
    var outcome = Outcome(loss: 0, gradientNorm: .nan, updated: false)
    for (position, inputs) in microBatches.enumerated() {
      let call = try model.prepare(inputs: inputs, parameters: parameters)
      var outputPointers = [UnsafeMutableRawPointer?](repeating: nil, count: model.interface.outputs.count)
      var message = [CChar](repeating: 0, count: 1024)
      var (loss, norm, updated) = (0.0, 0.0, Int32(0))
      let (first, last) = (Int32(position == 0 ? 1 : 0), Int32(position == microBatches.count - 1 ? 1 : 0))
      let status = model.withArena(bytes: call.arenaBytes) { arena in
        call.withPointers { sizes, inputs, parameters, offsets in
          outputPointers.withUnsafeMutableBufferPointer { outputs in
            message.withUnsafeMutableBufferPointer { message in
              trainStep(
                sizes, inputs, parameters, arena, offsets, outputs.baseAddress, sums, firsts, seconds, updatedPointers, decays,
                first, last, Int64(step), learningRate, settings.beta1, settings.beta2, settings.epsilon, settings.weightDecay, settings.maxGradNorm,
                gradientScale, outcome.loss, &loss, &norm, &updated, message.baseAddress, message.count)
            }
          }
        }
      }
      guard status == 0 else { throw CodegenCError.runtime(CompiledModel.text(message)) }
      outcome.loss = loss
      if last == 1 { (outcome.gradientNorm, outcome.updated) = (norm, updated != 0) }
    }
    if outcome.updated {
      for (index, storage) in fresh { storages[index] = storage }
      optimizerStep = step
    }
    return outcome
  }
}

extension CBackend {
  /// The training step of a training graph (cleaned up and fused as `model(for:)` does), with
  /// fresh moments and no weights yet.
  public func trainingStep(for graph: Graph, settings: CompiledTrainingStep.Settings, decays: (String) -> Bool) throws -> CompiledTrainingStep {
    try CompiledTrainingStep(model: model(for: graph), settings: settings, decays: decays)
  }
}

/// Float memory owned by a training step (moments, gradient sums), read and written by C.
private final class FloatBuffer {
  let pointer: UnsafeMutablePointer<Float>
  let count: Int

  init(uninitialized count: Int) {
    self.count = count
    pointer = .allocate(capacity: Swift.max(count, 1))
  }

  convenience init(zeros count: Int) {
    self.init(uninitialized: count)
    pointer.initialize(repeating: 0, count: count)
  }

  var values: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

  /// Copies `values` in; an empty array fills with zeros.
  func fill(with values: [Float]) {
    if values.isEmpty { pointer.update(repeating: 0, count: count) } else { values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: count) } }
  }

  deinit { pointer.deallocate() }
}
