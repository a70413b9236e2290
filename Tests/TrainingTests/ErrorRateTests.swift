import Data
import Foundation
import Formats
import Tensor
import Testing
import Training

/// WER and CER against jiwer (tools/make_error_rate_reference.py): per pair (edit counts and
/// reference lengths), corpus rates over lists, empty references and hypotheses, punctuation,
/// repeated words, runs of whitespace; and the Evaluator on three clips whose greedy transcripts
/// transformers made.
@Suite struct ErrorRateTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  nonisolated(unsafe) static let expected = try! JSONSerialization.jsonObject(
    with: Data(contentsOf: fixtures.appendingPathComponent("error_rate/expected.json"))) as! [String: Any]

  struct Pair {
    var reference: String
    var hypothesis: String
    var words: [String: Any]
    var characters: [String: Any]
  }

  static var pairs: [Pair] {
    (expected["pairs"] as! [[String: Any]]).map {
      Pair(reference: $0["reference"] as! String, hypothesis: $0["hypothesis"] as! String, words: $0["words"] as! [String: Any],
           characters: $0["characters"] as! [String: Any])
    }
  }

  /// Counts are integers and must be equal; rates are the same integers divided, so equal to
  /// the last bit but for jiwer's float formatting (1e-12 relative).
  @Test func pairsMatchJiwer() {
    for (index, pair) in Self.pairs.enumerated() {
      let label = "pair \(index) \(pair.reference.debugDescription) / \(pair.hypothesis.debugDescription)"
      let (referenceWords, hypothesisWords) = (ErrorRate.words(pair.reference), ErrorRate.words(pair.hypothesis))
      #expect(referenceWords == pair.words["tokens"] as! [String], "\(label): words")
      #expect(editDistance(referenceWords, hypothesisWords) == pair.words["errors"] as! Int, "\(label): word errors")
      let (referenceCharacters, hypothesisCharacters) = (ErrorRate.characters(pair.reference), ErrorRate.characters(pair.hypothesis))
      #expect(referenceCharacters == pair.characters["tokens"] as! [String], "\(label): characters")
      #expect(editDistance(referenceCharacters, hypothesisCharacters) == pair.characters["errors"] as! Int, "\(label): character errors")
      var words = ErrorRate()
      words.add(reference: referenceWords, hypothesis: hypothesisWords)
      var characters = ErrorRate()
      characters.add(reference: referenceCharacters, hypothesis: hypothesisCharacters)
      #expect(abs(words.rate - (pair.words["rate"] as! Double)) <= 1e-12 * max(1, words.rate), "\(label): WER \(words.rate)")
      #expect(abs(characters.rate - (pair.characters["rate"] as! Double)) <= 1e-12 * max(1, characters.rate), "\(label): CER \(characters.rate)")
    }
  }

  /// jiwer.wer / jiwer.cer over lists: errors summed over pairs divided by reference lengths
  /// summed; with every reference empty, the number of insertions.
  @Test(arguments: ["all", "first_five", "with_empty_reference", "empty_references_only", "empty_reference_single", "empty_both",
                    "empty_hypotheses", "punctuation", "repeats", "whitespace"])
  func corpusRatesMatchJiwer(_ name: String) {
    let corpus = (Self.expected["corpus"] as! [String: [String: Any]])[name]!
    let pairs = Self.pairs
    var words = ErrorRate()
    var characters = ErrorRate()
    for index in corpus["indices"] as! [Int] {
      words.add(reference: ErrorRate.words(pairs[index].reference), hypothesis: ErrorRate.words(pairs[index].hypothesis))
      characters.add(reference: ErrorRate.characters(pairs[index].reference), hypothesis: ErrorRate.characters(pairs[index].hypothesis))
    }
    let (wer, cer) = (corpus["wer"] as! Double, corpus["cer"] as! Double)
    #expect(abs(words.rate - wer) <= 1e-12 * max(1, wer), "\(name): WER \(words.rate), jiwer \(wer)")
    #expect(abs(characters.rate - cer) <= 1e-12 * max(1, cer), "\(name): CER \(characters.rate), jiwer \(cer)")
  }

  /// The Evaluator on the three reference clips (batch size 1, so each clip is decoded as
  /// transformers decoded it alone): transcripts, per-utterance counts and corpus rates.
  @Test func evaluatorMatchesJiwer() throws {
    let eval = Self.expected["eval"] as! [String: Any]
    let references = eval["references"] as! [String: String]
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-eval-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let rows = references.keys.sorted().map { "\(Self.fixtures.appendingPathComponent("reference/audio/\($0).wav").path),\(references[$0]!)" }
    try (["path,text"] + rows).joined(separator: "\n").write(toFile: folder + "/eval.csv", atomically: true, encoding: .utf8)
    let model = try ModelDirectory.load(Self.fixtures.appendingPathComponent("reference/group_postln_evenpos").path)
    let dataset = Dataset.prepare(try CorpusReader.load(folder + "/eval.csv"), tokenizer: model.tokenizer, model: model.configuration)
    #expect(dataset.skipped.isEmpty, "\(dataset.skipped)")
    let result = try Evaluator(model: model).evaluate(dataset, weights: model.weights, batchSize: 1)
    let hypotheses = eval["hypotheses"] as! [String: String]
    let perUtterance = eval["per_utterance"] as! [String: [String: [String: Any]]]
    #expect(result.utterances.count == 3)
    for utterance in result.utterances {
      let name = ((utterance.path as NSString).lastPathComponent as NSString).deletingPathExtension
      #expect(utterance.reference == references[name])
      #expect(utterance.hypothesis == hypotheses[name], "\(name): transcript")
      let facts = perUtterance[name]!
      #expect(utterance.wordErrors == facts["words"]!["errors"] as! Int && utterance.words == facts["words"]!["reference_length"] as! Int, "\(name)")
      #expect(utterance.characterErrors == facts["characters"]!["errors"] as! Int && utterance.characters == facts["characters"]!["reference_length"] as! Int, "\(name)")
    }
    #expect(abs(result.wordErrorRate - (eval["wer"] as! Double)) <= 1e-12, "WER \(result.wordErrorRate)")
    #expect(abs(result.characterErrorRate - (eval["cer"] as! Double)) <= 1e-12, "CER \(result.characterErrorRate)")
  }
}
