import Decoding
import Foundation
import Testing

/// The beam search against pyctcdecode 0.5 on the demo model's logits for digits/TEST files,
/// with the 3-gram of the training transcripts, under each setting of the fixtures.
@Suite struct BeamSearchParityTests {
  static func decoder(_ setting: [String: Any]) throws -> CTCBeamSearchDecoder {
    let alphabet = CTCAlphabet(labels: LanguageModelFixtures.decoderLabels)
    guard setting["lm"] as! Bool else { return CTCBeamSearchDecoder(alphabet: alphabet) }
    let weights = LanguageModelWeights(
      alpha: (setting["alpha"] as! NSNumber).doubleValue, beta: (setting["beta"] as! NSNumber).doubleValue,
      unknownScoreOffset: (setting["unk_score_offset"] as! NSNumber).doubleValue, scoreBoundary: setting["score_boundary"] as! Bool)
    let ngrams = try ARPAReader.read(LanguageModelFixtures.path("digits.arpa"))
    return CTCBeamSearchDecoder(alphabet: alphabet, languageModel: BeamSearchLanguageModel(ngrams: ngrams, unigrams: nil, weights: weights))
  }

  static func options(_ setting: [String: Any]) -> BeamSearchOptions {
    BeamSearchOptions(
      beamWidth: (setting["beam_width"] as! NSNumber).intValue, pruneHistory: setting["prune_history"] as! Bool,
      hotwords: setting["hotwords"] as! [String], hotwordWeight: (setting["hotword_weight"] as! NSNumber).doubleValue)
  }

  /// The same transcript as pyctcdecode for every file (the acceptance bound is 95 %), the same
  /// top-beam scores within 1e-3 and word frames, and a word error rate no worse.
  @Test(arguments: LanguageModelFixtures.settingNames)
  func transcriptsEqualPyctcdecode(_ name: String) throws {
    let setting = LanguageModelFixtures.setting(name)
    let decoder = try Self.decoder(setting)
    let options = Self.options(setting)
    let files = LanguageModelFixtures.files
    let expected = LanguageModelFixtures.results(name)
    var texts: [String] = []
    var same = 0
    for (file, reference) in zip(files, expected) {
      let fileName = file["name"] as! String
      let beams = try decoder.decodeBeams(logits: try LanguageModelFixtures.logits(fileName), options: options)
      let best = try #require(beams.first)
      texts.append(best.text)
      guard best.text == reference["text"] as! String else { continue }
      same += 1
      #expect(beams.count == (reference["beams"] as! NSNumber).intValue, "\(name) \(fileName)")
      #expect(abs(best.logitScore - (reference["logit_score"] as! NSNumber).doubleValue) <= 1e-4, "\(name) \(fileName)")
      #expect(abs(best.score - (reference["lm_score"] as! NSNumber).doubleValue) <= 1e-4, "\(name) \(fileName)")
      let words = (reference["words"] as! [[Any]]).map { WordFrames(word: $0[0] as! String, start: ($0[1] as! NSNumber).intValue, end: ($0[2] as! NSNumber).intValue) }
      #expect(best.words == words, "\(name) \(fileName)")
    }
    #expect(Double(same) >= 0.95 * Double(files.count), "\(name): \(same) of \(files.count) transcripts equal pyctcdecode's")
    #expect(same == files.count, "\(name): \(same) of \(files.count) transcripts equal pyctcdecode's")
    let references = files.map { $0["reference"] as! String }
    let ours = wordErrorRate(texts, references)
    let theirs = wordErrorRate(expected.map { $0["text"] as! String }, references)
    #expect(ours <= theirs + 1e-12, "\(name): WER \(ours) against pyctcdecode's \(theirs)")
  }

  /// The language model lowers the word error rate of these logits against greedy decoding.
  @Test func languageModelBeatsGreedy() throws {
    let setting = LanguageModelFixtures.setting("lm_defaults")
    let decoder = try Self.decoder(setting)
    let files = LanguageModelFixtures.files
    let labels = LanguageModelFixtures.decoderLabels
    var greedy: [String] = []
    var beams: [String] = []
    for file in files {
      let logits = try LanguageModelFixtures.logits(file["name"] as! String)
      beams.append(try decoder.decode(logits: logits, options: Self.options(setting)))
      // The best class per frame, repeats merged, blanks dropped.
      var pieces: [String] = []
      var previous = -1
      for frame in 0..<(logits.count / labels.count) {
        let row = logits[(frame * labels.count)..<((frame + 1) * labels.count)]
        let best = row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }! - row.startIndex
        if best != previous { pieces.append(labels[best]) }
        previous = best
      }
      greedy.append(pieces.joined().split(separator: " ").joined(separator: " "))
    }
    #expect(greedy == files.map { $0["greedy"] as! String })
    let references = files.map { $0["reference"] as! String }
    let (greedyRate, beamRate) = (wordErrorRate(greedy, references), wordErrorRate(beams, references))
    #expect(beamRate < greedyRate - 0.2, "WER greedy \(greedyRate), beam search with the language model \(beamRate)")
  }

  /// The labels build_ctcdecoder makes of the demo vocabulary (sorted by id).
  @Test func alphabetFromTheVocabulary() throws {
    let tokens = LanguageModelFixtures.expected["labels"] as! [String]
    let alphabet = try CTCAlphabet(tokens: tokens, padToken: "[PAD]", wordDelimiterToken: "|")
    #expect(alphabet.labels == LanguageModelFixtures.decoderLabels)
    let facebook = ["<pad>", "<s>", "</s>", "<unk>", "|", "E", "T"]
    #expect(try CTCAlphabet(tokens: facebook, padToken: "<pad>", wordDelimiterToken: "|").labels == ["", "<s>", "</s>", "⁇", " ", "E", "T"])
    #expect(throws: DecodingError.self) { try CTCAlphabet(tokens: ["a", "##b", "<pad>"], padToken: "<pad>", wordDelimiterToken: "|") }
  }

  /// The iteration order of CPython's sets of candidate classes.
  @Test func pythonSetOrder() {
    for entry in LanguageModelFixtures.expected["set_orders"] as! [[String: Any]] {
      let ascending = (entry["ascending"] as! [NSNumber]).map(\.intValue)
      let extra = (entry["extra"] as! NSNumber).intValue
      #expect(PythonSetOrder.union(ascending, extra) == (entry["order"] as! [NSNumber]).map(\.intValue), "\(ascending) | {\(extra)}")
    }
  }
}
