import Decoding
import Foundation
import TestSupport
import Testing

/// ARPA files read as KenLM reads them: the same log10 scores as `kenlm.Model.full_scores` and
/// `score`, and malformed files refused with the line and the reason.
@Suite struct ARPAReaderTests {
  static let models = ["digits.arpa", "sentences.arpa", "pruned_suffix.arpa"]

  /// Every word's log10 probability, matched n-gram length and unknown flag, and each
  /// sentence's total, with and without sentence boundaries, as kenlm gives them.
  @Test(arguments: models)
  func scoresEqualKenLM(_ file: String) throws {
    let model = try ARPAReader.read(LanguageModelFixtures.path(file))
    let cases = (LanguageModelFixtures.expected["kenlm_scores"] as! [String: Any])[file] as! [[String: Any]]
    #expect(!cases.isEmpty)
    for entry in cases {
      let sentence = entry["sentence"] as! String
      let (bos, eos) = (entry["bos"] as! Bool, entry["eos"] as! Bool)
      let expected = entry["full_scores"] as! [[Any]]
      let scores = model.fullScores(sentence, beginOfSentence: bos, endOfSentence: eos)
      try #require(scores.count == expected.count, "\(file): \"\(sentence)\" bos \(bos) eos \(eos)")
      for (score, reference) in zip(scores, expected) {
        #expect(abs(Double(score.log10Probability) - (reference[0] as! NSNumber).doubleValue) <= 1e-4, "\(file): \"\(sentence)\" bos \(bos) eos \(eos)")
        #expect(score.ngramLength == (reference[1] as! NSNumber).intValue, "\(file): \"\(sentence)\" bos \(bos) eos \(eos)")
        #expect(score.isUnknown == (reference[2] as! Bool), "\(file): \"\(sentence)\"")
      }
      let total = model.log10Probability(sentence, beginOfSentence: bos, endOfSentence: eos)
      #expect(abs(Double(total) - (entry["score"] as! NSNumber).doubleValue) <= 1e-4, "\(file): \"\(sentence)\" bos \(bos) eos \(eos)")
    }
  }

  /// `word in model` as kenlm answers it (<unk> and <UNK> are not in the vocabulary, "" neither).
  @Test func vocabularyMembershipEqualsKenLM() throws {
    for (file, words) in LanguageModelFixtures.expected["kenlm_contains"] as! [String: [String: Bool]] {
      let model = try ARPAReader.read(LanguageModelFixtures.path(file))
      for (word, contained) in words { #expect(model.contains(word) == contained, "\(file): \(word)") }
    }
  }

  /// The file's order and counts, and pyctcdecode's unigram list (the 1-grams with a backoff).
  @Test func countsAndUnigrams() throws {
    let model = try ARPAReader.read(LanguageModelFixtures.path("digits.arpa"))
    #expect(model.order == 3)
    #expect(model.counts == [14, 143, 1389])
    #expect(Set(model.arpaUnigrams) == Set(["<unk>", "<s>", "</s>", "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "oh"]))
    #expect(model.warnings.isEmpty)
  }

  /// Each malformed file (KenLM refuses every one) is refused with its file, line and reason.
  @Test func malformedFilesNameTheLineAndTheReason() throws {
    let cases = LanguageModelFixtures.expected["malformed"] as! [[String: Any]]
    #expect(cases.count >= 10)
    for entry in cases {
      let path = LanguageModelFixtures.path("malformed/" + (entry["file"] as! String))
      let reason = entry["reason"] as! String
      let error = #expect(throws: LanguageModelError.self) { try ARPAReader.read(path) }
      #expect(error?.path == path)
      #expect(error?.line == (entry["line"] as? NSNumber)?.intValue, "\(entry["file"]!): \(error.map { "\($0)" } ?? "")")
      #expect(error?.reason.contains(reason) == true, "\(entry["file"]!): \(error.map { "\($0)" } ?? "") should say \(reason)")
      if let line = error?.line { #expect(error!.description.hasPrefix("\(path): line \(line): ")) }
    }
  }

  /// A KenLM binary model is refused with what to do instead.
  @Test func binaryModelIsRefusedWithAdvice() throws {
    let path = LanguageModelFixtures.path("small.binary")
    let error = #expect(throws: LanguageModelError.self) { try ARPAReader.read(path) }
    #expect(error?.line == nil)
    #expect(error?.reason.contains("KenLM binary") == true)
    #expect(error?.reason.contains("ARPA") == true)
    #expect(error?.reason.contains("lmplz") == true)
  }

  @Test func otherFilesAreRefused() throws {
    try withTemporaryFolder { folder in
      let gzip = folder + "/lm.arpa.gz"
      try Data([0x1f, 0x8b, 0x08, 0x00]).write(to: URL(fileURLWithPath: gzip))
      #expect(throws: LanguageModelError(gzip, "is gzip-compressed: decompress it first (gunzip -k \(gzip))")) { try ARPAReader.read(gzip) }
      let text = folder + "/notes.txt"
      try Data("# a comment\n\nhello world\n".utf8).write(to: URL(fileURLWithPath: text))
      let error = #expect(throws: LanguageModelError.self) { try ARPAReader.read(text) }
      #expect(error?.line == 3)
      #expect(error?.reason.contains("expected \\data\\") == true)
      #expect(throws: LanguageModelError(folder + "/missing.arpa", "no such file")) { try ARPAReader.read(folder + "/missing.arpa") }
    }
  }

  /// Spaces may separate the fields; a missing <unk> is supplied at log10 probability -100 with
  /// a warning, as KenLM does; missing <s> is an error on the 1-grams' header line.
  @Test func toleratedAndRequiredDetails() throws {
    let spaced = "\\data\\\nngram 1=3\nngram 2=1\n\n\\1-grams:\n-99 <s> -0.5\n-0.5 </s>\n-0.3 a -0.2\n\n\\2-grams:\n-0.1 <s> a\n\n\\end\\\n"
    let model = try ARPAReader.parse(Data(spaced.utf8), path: "spaced.arpa")
    #expect(model.warnings.count == 1)
    let scores = model.fullScores("a b")
    #expect(scores.map(\.log10Probability) == [-0.1, -100 + -0.2, -0.5])
    #expect(scores.map(\.isUnknown) == [false, true, false])
    let noStart = "\\data\\\nngram 1=2\n\n\\1-grams:\n-0.5\t</s>\n-0.3\ta\n\n\\end\\\n"
    let error = #expect(throws: LanguageModelError.self) { try ARPAReader.parse(Data(noStart.utf8), path: "nostart.arpa") }
    #expect(error?.line == 4)
    #expect(error?.reason.contains("no <s>") == true)
  }
}
