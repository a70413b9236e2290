import Data
import Foundation
import Formats
import Testing

/// Normalisation, encoding and decoding against transformers' Wav2Vec2CTCTokenizer on the
/// guide's recipe (tools/make_audio_fixtures.py).
@Suite struct TokenizerFixtureTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/tokenizer")

  func cases() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: Self.root.appendingPathComponent("cases.json"))) as! [String: Any]
  }

  @Test func encodingAndDecodingMatchTransformers() throws {
    let tokenizer = try CTCTokenizer.read(folder: Self.root.path)
    // The guide's normalisation alone (asrc's extra whitespace and punctuation clean-up off).
    var guide = TextNormalizer()
    guide.collapseWhitespace = false
    guide.stripPunctuationOutsideVocabulary = false
    for entry in try cases()["cases"] as! [[String: Any]] {
      let raw = entry["raw"] as! String
      let normalized = guide.normalize(raw)
      #expect(normalized == entry["normalized"] as! String, "normalising \(raw)")
      let (ids, _) = tokenizer.encode(normalized)
      #expect(ids == entry["input_ids"] as! [Int], "encoding \(normalized)")
      #expect(tokenizer.decode(ids) == entry["decoded"] as! String, "decoding \(normalized)")
    }
    for entry in try cases()["ctc_cases"] as! [[String: Any]] {
      let ids = entry["ids"] as! [Int]
      #expect(tokenizer.decode(ids) == entry["decode"] as! String, "\(entry["what"] ?? ids)")
    }
  }

  /// asrc's default normalisation also collapses runs of spaces (no doubled delimiters) and
  /// drops punctuation the vocabulary lacks; characters it cannot place are reported.
  @Test func defaultNormalisationCleansUp() throws {
    let tokenizer = try CTCTokenizer.read(folder: Self.root.path)
    let text = TextNormalizer().normalize("  Hello,   (World)! ", vocabulary: tokenizer.characterSet)
    #expect(text == "hello world")
    #expect(tokenizer.encode("naïve").unknown == ["ï"])
    let vocabulary = Vocabulary.blogLayout(from: ["she had", "your dark suit"])
    #expect(vocabulary.vocabulary.sorted { $0.value < $1.value }.map(\.key) == ["a", "d", "e", "h", "i", "k", "o", "r", "s", "t", "u", "y", "|", "[UNK]", "[PAD]"])
    #expect(vocabulary.padId == 14)
  }
}
