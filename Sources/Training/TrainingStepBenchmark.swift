import CRuntime
import Data
import Foundation
import Formats
import IR
import Models
import Passes
import Runtime

/// Times full training steps (graph run, gradient norm, clipping, AdamW) on random audio and labels.
public enum TrainingStepBenchmark {
  public static func run(
    model: ModelDirectory, batch: Int, samples: Int, labelLength: Int, steps: Int, random: inout SeededRandom, profile: OpProfile?,
    passes: [Pass] = [], frozenParameters: FrozenParameters = FrozenParameters(), backend: Backend = .interp, precision: LowPrecision? = nil,
    built: (_ differentiated: Graph, _ final: Graph) throws -> Void = { _, _ in }
  ) throws -> (seconds: [Double], profile: String?) {
    let config = model.configuration
    let forward = try Wav2Vec2Graph.build(config, options: .init(usesAttentionMask: model.featureExtractor.returnAttentionMask, training: true))
    // `passes` run on the training graph (after autodiff), e.g. the fusion passes.
    let trainable = frozenParameters.trainable
    // Mixed precision as the trainer builds it; f16's loss scale is 1 here (timing only).
    let scaled = precision == .fp16
    let differentiated = try PassManager(
      passes: (scaled ? [scaleLoss] : []) + [autodiff(loss: scaled ? "scaled_loss" : "loss", trainable: trainable)] + (precision.map { [mixedPrecision($0)] } ?? [])
    ).run(forward).graph
    let graph = try PassManager(passes: passes).run(differentiated).graph
    try built(differentiated, graph)
    var weights = model.weights
    if graph.parameter(named: "wav2vec2.masked_spec_embed") != nil, weights["wav2vec2.masked_spec_embed"] == nil {
      weights["wav2vec2.masked_spec_embed"] = Tensor([Float](repeating: 0.5, count: config.hiddenSize), shape: [config.hiddenSize])
    }
    let clips = (0..<batch).map { _ in (0..<samples).map { _ in Float(random.normal() * 0.1) } }
    let extractor = FeatureExtractor(settings: model.featureExtractor)
    let padded = extractor.paddedBatch(clips)
    let nonBlank = (0..<config.vocabSize).filter { $0 != config.padTokenId }
    let labels = (0..<(batch * labelLength)).map { _ in Int64(nonBlank[Int(random.next() % UInt64(nonBlank.count))]) }
    var inputs = ["input_values": padded.inputValues, "labels": Tensor(labels, shape: [batch, labelLength])]
    if let mask = padded.attentionMask, graph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    if graph.input(named: "dropout_seed") != nil { inputs["dropout_seed"] = .scalar(Int64(7)) }
    if graph.input(named: "loss_scale") != nil { inputs["loss_scale"] = Tensor([Float(1)], shape: []) }
    let frames = config.frameCount(samples: samples)
    if graph.input(named: "mask_time_indices") != nil {
      let mask = SpecAugment.timeMask(
        frameLengths: Array(repeating: frames, count: batch), frames: frames, probability: config.maskTimeProb, spanLength: config.maskTimeLength,
        minimumSpans: config.maskTimeMinMasks, random: &random)
      inputs["mask_time_indices"] = Tensor(mask, shape: [batch, frames])
    }
    if graph.input(named: "layer_keep") != nil { inputs["layer_keep"] = Tensor([Bool](repeating: true, count: config.numHiddenLayers), shape: [config.numHiddenLayers]) }
    let optimizer = AdamW(weightDecay: 0.005)
    let clock = ContinuousClock()
    // The backend's whole step (with the C backend, forward, backward, norm, clipping and AdamW in
    // one library call). Per-op times are the interpreter's: with a profile, the interpreter runs
    // the timed steps.
    let backendStep = try makeTrainingStep(graph: graph, backend: backend, optimizer: optimizer, maxGradNorm: 1.0, weights: weights)
    let profiledStep = profile.map { ExecutorTrainingStep(graph: graph, executor: Interpreter(profile: $0), optimizer: optimizer, maxGradNorm: 1.0, weights: weights) }
    // The steps hold the weights now; without this reference the C step updates them in place.
    weights = [:]
    var timings: [Double] = []
    for step in 0...steps {
      let runner = step >= 1 ? profiledStep ?? backendStep : backendStep
      let elapsed = try clock.measure { _ = try runner.run([inputs], learningRate: 1e-5, gradientScale: 1) }
      if step > 0 { timings.append(elapsed.seconds) }
    }
    return (timings, profile?.report)
  }
}
