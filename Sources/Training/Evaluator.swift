import CRuntime
import Data
import Foundation
import Formats
import IR
import Inference
import Models
import Passes
import Runtime

/// Evaluation as the guide's compute_metrics: the loss over the data, transcripts (greedy unless
/// ``decoder`` says otherwise), and WER / CER against the normalised references.
public struct Evaluator {
  public struct UtteranceResult: Sendable {
    public var id: String
    public var path: String
    public var reference: String
    public var hypothesis: String
    public var wordErrors: Int
    public var words: Int
    public var characterErrors: Int
    public var characters: Int

    public var json: [String: Any] {
      ["id": id, "path": path, "reference": reference, "hypothesis": hypothesis, "word_errors": wordErrors, "words": words,
       "character_errors": characterErrors, "characters": characters]
    }
  }

  public struct Result: Sendable {
    public var loss: Double
    public var wordErrorRate: Double
    public var characterErrorRate: Double
    public var seconds: Double
    public var utterances: [UtteranceResult]
    public var skipped: [SkippedEntry]
  }

  /// How clips of different lengths may share a batch.
  public enum Batching: Sendable {
    /// Only clips of the same length share a batch when the model takes no attention mask: its
    /// group norm and convolutions see zero padding, so padded clips would score differently
    /// from the same clips alone (transformers' documentation warns of it). Models with an
    /// attention mask batch freely. Metrics then do not depend on the batch size.
    case independentOfBatchSize
    /// Pad every batch as the guide's collator does (each row still decoded over its own frames).
    case padded
  }

  /// The evaluation graph: forward pass and loss with eval semantics (no dropout, no masking).
  public let graph: Graph
  public let configuration: Wav2Vec2Configuration
  public let tokenizer: CTCTokenizer
  public let collator: Collator
  public let batching: Batching
  /// What runs the evaluation graph.
  public let executor: any GraphExecutor
  /// How logits become transcripts (greedy, as the guide's compute_metrics, unless set).
  public var decoder: TranscriptDecoder = .greedy

  public init(model: ModelDirectory, batching: Batching = .independentOfBatchSize, backend: Backend = .interp) {
    self.init(model: model, graph: model.graph, batching: batching, backend: backend)
  }

  /// Evaluates with the matrix products and convolutions in bf16 or f16 (the mixed-precision
  /// pass); the loss stays f32.
  public init(model: ModelDirectory, batching: Batching = .independentOfBatchSize, backend: Backend = .interp, precision: LowPrecision) throws {
    self.init(model: model, graph: try PassManager(passes: [mixedPrecision(precision)]).run(model.graph).graph, batching: batching, backend: backend)
  }

  private init(model: ModelDirectory, graph: Graph, batching: Batching, backend: Backend) {
    self.batching = batching
    executor = backend.executor
    self.graph = graph
    configuration = model.configuration
    tokenizer = model.tokenizer
    collator = Collator(featureExtractor: FeatureExtractor(settings: model.featureExtractor))
  }

  /// Throws ``UnusableDataError`` when no utterance could be evaluated (none passed the
  /// dataset's checks, or none of their audio decoded): WER and CER over nothing are undefined.
  public func evaluate(_ dataset: Dataset, weights: [String: Tensor], batchSize: Int, progress: ((Int, Int) -> Void)? = nil) throws -> Result {
    guard !dataset.items.isEmpty else { throw UnusableDataError(data: dataset.corpus.root, purpose: "evaluation", skipped: dataset.skipped) }
    let clock = ContinuousClock()
    let start = clock.now
    let batches = batches(lengths: dataset.items.map(\.sampleCount), batchSize: batchSize)
    let loader = BatchLoader(dataset: dataset, collator: collator, batches: batches, prefetch: 2)
    var weightedLoss = 0.0
    var counted = 0
    var words = ErrorRate()
    var characters = ErrorRate()
    var utterances: [UtteranceResult] = []
    var skipped: [SkippedEntry] = []
    var done = 0
    while let batch = loader.next() {
      skipped += batch.skipped
      done += 1
      progress?(done, batches.count)
      guard !batch.items.isEmpty else { continue }
      var inputs = ["input_values": batch.inputValues, "labels": batch.labels]
      if let mask = batch.attentionMask, graph.input(named: "attention_mask") != nil { inputs["attention_mask"] = mask }
      let outputs = try executor.run(graph, inputs: inputs, parameters: weights)
      if let loss = outputs["loss"]?.doubles.first, loss.isFinite {
        weightedLoss += loss * Double(batch.items.count)
        counted += batch.items.count
      }
      guard let logits = outputs["logits"] else { continue }
      let hypotheses = try decoder.transcripts(logits: logits, sampleCounts: batch.items.map(\.sampleCount), configuration: configuration, tokenizer: tokenizer)
      for (item, hypothesis) in zip(batch.items, hypotheses) {
        let reference = item.utterance.text
        let (referenceWords, hypothesisWords) = (ErrorRate.words(reference), ErrorRate.words(hypothesis))
        let (referenceCharacters, hypothesisCharacters) = (ErrorRate.characters(reference), ErrorRate.characters(hypothesis))
        words.add(reference: referenceWords, hypothesis: hypothesisWords)
        characters.add(reference: referenceCharacters, hypothesis: hypothesisCharacters)
        utterances.append(UtteranceResult(
          id: item.utterance.id, path: item.utterance.audioPath, reference: reference, hypothesis: hypothesis,
          wordErrors: editDistance(referenceWords, hypothesisWords), words: referenceWords.count,
          characterErrors: editDistance(referenceCharacters, hypothesisCharacters), characters: referenceCharacters.count))
      }
    }
    // Per-utterance results in the data's order, whatever the batching.
    // An utterance listed twice takes the earliest place not yet taken.
    var places: [String: [Int]] = [:]
    for (index, item) in dataset.items.enumerated() { places[item.utterance.id + "\u{0}" + item.utterance.audioPath, default: []].append(index) }
    let placed = utterances.map { utterance -> (Int, UtteranceResult) in
      let key = utterance.id + "\u{0}" + utterance.path
      let place = places[key]?.first ?? Int.max
      if places[key]?.isEmpty == false { places[key]!.removeFirst() }
      return (place, utterance)
    }
    utterances = placed.sorted { $0.0 < $1.0 }.map(\.1)
    // Every item's audio may still have failed to decode: WER and CER over nothing are undefined.
    guard !utterances.isEmpty else {
      throw UnusableDataError(data: dataset.corpus.root, purpose: "evaluation", skipped: dataset.skipped + skipped)
    }
    let wordErrorRate = words.rate
    let characterErrorRate = characters.rate
    let elapsed = clock.now - start
    return Result(
      loss: counted > 0 ? weightedLoss / Double(counted) : .nan, wordErrorRate: wordErrorRate, characterErrorRate: characterErrorRate,
      seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18, utterances: utterances, skipped: skipped)
  }

  /// The batches, in data order; with `.independentOfBatchSize` for a model without an attention
  /// mask, each batch holds clips of one length (taken in order of first appearance).
  public func batches(lengths: [Int], batchSize: Int) -> [[Int]] {
    let order = Array(lengths.indices)
    guard batching == .independentOfBatchSize, graph.input(named: "attention_mask") == nil else {
      return Sampler.batches(order, batchSize: batchSize)
    }
    var groups: [Int: [Int]] = [:]
    var firstSeen: [Int] = []
    for index in order {
      if groups[lengths[index]] == nil { firstSeen.append(lengths[index]) }
      groups[lengths[index], default: []].append(index)
    }
    return firstSeen.flatMap { Sampler.batches(groups[$0]!, batchSize: batchSize) }
  }
}
