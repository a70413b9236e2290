import Data
import Foundation
import Formats
import Inference
import TestSupport
import Testing
import Training

/// Evaluation scores each clip as it scores alone, whatever the batch size: for a model without
/// an attention mask (group norm), zero padding would change its outputs.
@Suite struct EvaluatorBatchingTests {
  let scratch = ScratchSpace()
  static let trainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/trainer")
  static let stableModel = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/reference/layer_stable_oddpos").path

  @Test func metricsDoNotDependOnTheBatchSizeAndMatchTranscribe() throws {
    // The trainer fixture's group-norm model (no attention mask) on its six clips of six lengths,
    // each listed twice, so that equal-length clips share batches of 4 and 6.
    let model = try ModelDirectory.load(Self.trainer.appendingPathComponent("initial").path)
    #expect(!model.featureExtractor.returnAttentionMask)
    let rows = try String(contentsOfFile: Self.trainer.appendingPathComponent("train.csv").path, encoding: .utf8)
      .split(separator: "\n").dropFirst().map { Self.trainer.path + "/" + $0 }
    let manifest = scratch.folder("asrc-batching") + "/twice.csv"
    try (["path,text"] + rows + rows).joined(separator: "\n").write(toFile: manifest, atomically: false, encoding: .utf8)
    let dataset = Dataset.prepare(try CorpusReader.load(manifest), tokenizer: model.tokenizer, model: model.configuration)
    #expect(dataset.items.count == 12 && Set(dataset.items.map(\.sampleCount)).count == 6)
    let evaluator = Evaluator(model: model)
    let results = try [1, 4, 6].map { try evaluator.evaluate(dataset, weights: model.weights, batchSize: $0) }
    for result in results.dropFirst() {
      #expect(result.utterances.map(\.hypothesis) == results[0].utterances.map(\.hypothesis))
      #expect(result.utterances.map(\.path) == dataset.items.map(\.utterance.audioPath), "results leave the data's order")
      #expect(result.wordErrorRate == results[0].wordErrorRate && result.characterErrorRate == results[0].characterErrorRate)
      // Equal clips in one batch share one float32 batch mean: measured 2.5e-8 relative.
      #expect(abs(result.loss - results[0].loss) <= 1e-7 * abs(results[0].loss))
    }
    // What asrc transcribe prints for each file alone.
    let recognizer = try Recognizer(model: model)
    for utterance in results[2].utterances {
      let samples = try recognizer.loadAudio(utterance.path)
      let alone = recognizer.transcripts(logits: try recognizer.logits([samples]), sampleCounts: [samples.count])[0]
      #expect(utterance.hypothesis == alone, "\(utterance.path): eval says \"\(utterance.hypothesis)\", transcribe \"\(alone)\"")
    }
  }

  @Test func onlyEqualLengthsShareABatchWithoutAnAttentionMask() throws {
    let lengths = [5, 3, 5, 5, 3, 7]
    let group = try ModelDirectory.load(Self.trainer.appendingPathComponent("initial").path)
    #expect(Evaluator(model: group).batches(lengths: lengths, batchSize: 2) == [[0, 2], [3], [1, 4], [5]])
    #expect(Evaluator(model: group, batching: .padded).batches(lengths: lengths, batchSize: 2) == [[0, 1], [2, 3], [4, 5]])
    // A model that takes an attention mask masks its padding: it batches freely.
    let masked = try ModelDirectory.load(Self.stableModel)
    #expect(Evaluator(model: masked).batches(lengths: lengths, batchSize: 2) == [[0, 1], [2, 3], [4, 5]])
  }

  /// Every utterance of an evaluation set is scored: a character the model cannot produce is an
  /// error, not a reason to leave the utterance out.
  @Test func charactersOutsideTheVocabularyCountAsErrors() throws {
    let folder = scratch.folder("asrc-oov")
    let audio = Self.trainer.appendingPathComponent("audio")
    try "path,text\n\(audio.path)/a.wav,hi there\n\(audio.path)/b.wav,x½y\n".write(toFile: folder + "/eval.csv", atomically: false, encoding: .utf8)
    let model = try ModelDirectory.load(Self.trainer.appendingPathComponent("initial").path)
    let corpus = try CorpusReader.load(folder + "/eval.csv")
    #expect(Dataset.prepare(corpus, tokenizer: model.tokenizer, model: model.configuration).items.count == 1, "training skips it")
    let dataset = Dataset.prepare(corpus, tokenizer: model.tokenizer, model: model.configuration, options: .evaluation)
    let result = try Evaluator(model: model).evaluate(dataset, weights: model.weights, batchSize: 2)
    #expect(result.utterances.count == 2)
    let oov = try #require(result.utterances.first { $0.reference == "x½y" })
    #expect(!oov.hypothesis.contains("½") && oov.characterErrors >= 1 && oov.characters == 3)
  }
}
