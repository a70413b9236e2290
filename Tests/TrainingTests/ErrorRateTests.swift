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

  /// Counts are integers and must be equal; rates are the same integers divided (or, with every
  /// reference empty, the count itself). Foundation's JSON parser on Linux reads the fixture's
  /// shortest-repr decimals up to 2 ulps off (measured), so rates are compared within 1e-15
  /// relative (about 4 ulps).
  /// Equal but for the JSON parser's last-bit error (see pairsMatchJiwer).
  func same(_ ours: Double, _ jiwer: Double) -> Bool { abs(ours - jiwer) <= 1e-15 * max(abs(jiwer), 1e-300) || ours == jiwer }

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
      #expect(same(words.rate, pair.words["rate"] as! Double), "\(label): WER \(words.rate)")
      #expect(same(characters.rate, pair.characters["rate"] as! Double), "\(label): CER \(characters.rate)")
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
    #expect(same(words.rate, wer), "\(name): WER \(words.rate), jiwer \(wer)")
    #expect(same(characters.rate, cer), "\(name): CER \(characters.rate), jiwer \(cer)")
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
    #expect(same(result.wordErrorRate, eval["wer"] as! Double), "WER \(result.wordErrorRate)")
    #expect(same(result.characterErrorRate, eval["cer"] as! Double), "CER \(result.characterErrorRate)")
  }
}
