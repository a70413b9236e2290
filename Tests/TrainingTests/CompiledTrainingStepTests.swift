import CRuntime
import Data
import Formats
import IR
import Models
import Passes
import Runtime
import Tensor
import Testing
@testable import Training

/// The C backend's training step (`asrc_train_step`: gradient sums, norm, clipping and AdamW in
/// the library) against the same graph run by the C backend with the optimizer in Swift.
@Suite struct CompiledTrainingStepTests {
  let model: ModelDirectory
  let graph: Graph
  let optimizer = AdamW(weightDecay: 0.005)

  init() throws {
    model = try ModelDirectory.load(TrainerParityTests.root.appendingPathComponent("initial").path)
    let forward = try Wav2Vec2Graph.build(model.configuration, options: .init(usesAttentionMask: model.featureExtractor.returnAttentionMask, training: true))
    graph = try PassManager(passes: [autodiff(trainable: { _ in true })]).run(forward).graph
  }

  /// Random audio and labels for two clips of different lengths, and the graph's other inputs.
  func inputs(seed: UInt64) -> [String: Tensor] {
    var random = SeededRandom(seed: seed)
    let config = model.configuration
    let clips = [8000, 6400].map { count in (0..<count).map { _ in Float(random.normal() * 0.1) } }
    let padded = FeatureExtractor(settings: model.featureExtractor).paddedBatch(clips)
    let nonBlank = (0..<config.vocabSize).filter { $0 != config.padTokenId }
    let labels = (0..<(2 * 4)).map { _ in Int64(nonBlank[Int(random.next() % UInt64(nonBlank.count))]) }
    var inputs = ["input_values": padded.inputValues, "labels": Tensor(labels, shape: [2, 4])]
    if let mask = padded.attentionMask, graph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
    if graph.input(named: "dropout_seed") != nil { inputs["dropout_seed"] = .scalar(Int64(seed)) }
    let frames = config.frameCount(samples: 8000)
    if graph.input(named: "mask_time_indices") != nil { inputs["mask_time_indices"] = Tensor([Bool](repeating: false, count: 2 * frames), shape: [2, frames]) }
    if graph.input(named: "layer_keep") != nil { inputs["layer_keep"] = Tensor([Bool](repeating: true, count: config.numHiddenLayers), shape: [config.numHiddenLayers]) }
    return inputs
  }

  /// The names whose values differ in any bit (or are missing on one side), sorted.
  func differing(_ a: [String: [Float]], _ b: [String: [Float]]) -> [String] {
    Set(a.keys).union(b.keys).filter { a[$0]?.map(\.bitPattern) != b[$0]?.map(\.bitPattern) }.sorted()
  }

  func differing(_ a: [String: Tensor], _ b: [String: Tensor]) -> [String] { differing(a.mapValues(\.floats), b.mapValues(\.floats)) }

  /// Three steps of two micro-batches each, clipped (the norms are about 50, the limit 1) and
  /// with weight decay: the library's update is AdamW.update's, operation for operation, so the
  /// weights and moments come out bit for bit the same. (The norms' summation orders differ,
  /// by double rounding; the clipping coefficient, rounded to float, does not see it.)
  @Test func updatesMatchTheSwiftOptimizerBitForBit() throws {
    let compiled = try makeTrainingStep(graph: graph, backend: .c, optimizer: optimizer, maxGradNorm: 1.0, weights: model.weights)
    let swift = ExecutorTrainingStep(graph: graph, executor: Backend.c.executor, optimizer: optimizer, maxGradNorm: 1.0, weights: model.weights)
    #expect(compiled is CompiledTrainingStepRunner)
    for step in 0..<3 {
      let batches = [inputs(seed: UInt64(2 * step)), inputs(seed: UInt64(2 * step + 1))]
      let rate = 1e-3 * Double(step + 1)
      let (ours, reference) = (try compiled.run(batches, learningRate: rate), try swift.run(batches, learningRate: rate))
      #expect(ours.updated && reference.updated)
      #expect(ours.loss == reference.loss, "step \(step + 1) loss")
      #expect(abs(ours.gradientNorm - reference.gradientNorm) <= 1e-12 * reference.gradientNorm, "step \(step + 1): norm \(ours.gradientNorm) vs \(reference.gradientNorm)")
      #expect(reference.gradientNorm > 1, "the step is not clipped")
    }
    let weights = differing(compiled.weights, swift.weights)
    #expect(weights.isEmpty, "\(weights.count) weight tensors differ: \(weights.prefix(3))")
    let (a, b) = (compiled.optimizer, swift.optimizer)
    #expect(a.step == 3 && b.step == 3)
    let moments = differing(a.firstMoments, b.firstMoments) + differing(a.secondMoments, b.secondMoments)
    #expect(moments.isEmpty, "\(moments.count) moments differ: \(moments.prefix(3))")
    #expect(Set(a.firstMoments.keys) == Set(graph.parameters.map { graph.name(of: $0) }))
  }

  /// Weights handed in or out never change: the library writes fresh memory while anyone else
  /// holds a tensor, and the parameter's own memory (in place) once nobody does.
  @Test func weightsKeepValueSemanticsAndUpdateInPlace() throws {
    let step = try makeTrainingStep(graph: graph, backend: .c, optimizer: optimizer, maxGradNorm: 1.0, weights: model.weights)
    let initial = model.weights.mapValues(\.floats)
    _ = try step.run([inputs(seed: 1)], learningRate: 1e-3)
    #expect(differing(model.weights.mapValues(\.floats), initial).isEmpty, "the weights handed in changed")
    let snapshot = step.weights
    let taken = snapshot.mapValues(\.floats)
    #expect(!differing(taken, initial).isEmpty, "the step changed no weight")
    _ = try step.run([inputs(seed: 2)], learningRate: 1e-3)
    #expect(differing(snapshot.mapValues(\.floats), taken).isEmpty, "a snapshot changed under the next step")
    // Nothing holds the weights now: the next steps write where the weights already are.
    let name = "lm_head.weight"
    let before = address(step, name)
    _ = try step.run([inputs(seed: 3)], learningRate: 1e-3)
    _ = try step.run([inputs(seed: 4)], learningRate: 1e-3)
    #expect(address(step, name) == before, "the update was not in place")
  }

  /// Where a parameter's values are (the tensors of `weights` are gone when this returns).
  func address(_ step: any TrainingStep, _ name: String) -> UnsafeMutableRawPointer? { step.weights[name]?.storage.data }

  /// A step whose loss is not finite changes nothing: weights, moments and step count stay.
  @Test func aNonFiniteStepChangesNothing() throws {
    let step = try makeTrainingStep(graph: graph, backend: .c, optimizer: optimizer, maxGradNorm: 0, weights: model.weights)
    // An absurd learning rate makes the next loss non-finite.
    #expect(try step.run([inputs(seed: 1)], learningRate: 1e30).updated)
    let (weights, moments) = (step.weights, step.optimizer.secondMoments)
    let outcome = try step.run([inputs(seed: 2), inputs(seed: 3)], learningRate: 1e-3)
    #expect(!outcome.updated)
    #expect(!outcome.loss.isFinite || !outcome.gradientNorm.isFinite)
    #expect(differing(step.weights, weights).isEmpty)
    #expect(differing(step.optimizer.secondMoments, moments).isEmpty)
    #expect(step.optimizer.step == 1)
  }

  /// Moments restored from an AdamW value (a checkpoint) are the ones the next update uses.
  @Test func restoredMomentsContinueTheRun() throws {
    let straight = try makeTrainingStep(graph: graph, backend: .c, optimizer: optimizer, maxGradNorm: 1.0, weights: model.weights)
    _ = try straight.run([inputs(seed: 1)], learningRate: 1e-3)
    let (savedWeights, savedOptimizer) = (straight.weights, straight.optimizer)
    _ = try straight.run([inputs(seed: 2)], learningRate: 1e-3)
    let resumed = try makeTrainingStep(graph: graph, backend: .c, optimizer: optimizer, maxGradNorm: 1.0, weights: model.weights)
    try resumed.load(weights: savedWeights)
    try resumed.load(optimizer: savedOptimizer)
    _ = try resumed.run([inputs(seed: 2)], learningRate: 1e-3)
    #expect(differing(resumed.weights, straight.weights).isEmpty)
  }
}
