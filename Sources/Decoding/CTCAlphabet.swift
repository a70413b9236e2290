import Foundation

/// The labels of the logits' classes as pyctcdecode's decoder sees them: `""` for the CTC
/// blank, `" "` for the word delimiter, `"⁇"` for the unknown token, and the characters as they
/// are (a multi-character token such as `<s>` stays one label, as in pyctcdecode).
public struct CTCAlphabet: Equatable, Sendable {
  public var labels: [String]

  /// pyctcdecode's representation of the unknown token.
  public static let unknownLabel = "⁇"

  public init(labels: [String]) { self.labels = labels }

  /// An alphabet from a tokenizer's tokens in id order, as `build_ctcdecoder` builds it from
  /// the labels transformers' documentation passes (the vocabulary sorted by id):
  /// `Alphabet.build_alphabet` turns `|` into a space (when the vocabulary has no space), a
  /// `<pad>`/`[PAD]`-style token into the blank and a `<unk>`/`[UNK]`-style token into `⁇`.
  /// The tokenizer's own pad and word-delimiter tokens are the blank and the space whatever
  /// their spelling, which is what `Wav2Vec2ProcessorWithLM` checks the alphabet against.
  public init(tokens: [String], padToken: String, wordDelimiterToken: String) throws(DecodingError) {
    if let duplicate = Self.firstDuplicate(tokens) { throw DecodingError("the vocabulary has the token \(duplicate) twice") }
    if tokens.contains(where: { $0.hasPrefix("##") || $0.hasPrefix("▁") }) {
      throw DecodingError("the vocabulary looks like BPE (tokens starting with ## or ▁); beam search supports character vocabularies only")
    }
    let hasSpace = tokens.contains(" ")
    labels = tokens.map { token in
      if token == padToken || Self.matches(token, "pad") { return "" }
      if (token == wordDelimiterToken || token == "|") && !hasSpace { return " " }
      if Self.matches(token, "unk") { return Self.unknownLabel }
      return token
    }
    if let duplicate = Self.firstDuplicate(labels) {
      throw DecodingError("two tokens of the vocabulary become the same decoder label \"\(duplicate)\"")
    }
  }

  /// `^[<\[]name[>\]]$`, case-insensitive (pyctcdecode's BLANK_TOKEN_PTN and UNK_TOKEN_PTN).
  static func matches(_ token: String, _ name: String) -> Bool {
    guard token.count == name.count + 2, let first = token.first, let last = token.last else { return false }
    return "<[".contains(first) && ">]".contains(last) && token.dropFirst().dropLast().lowercased() == name
  }

  static func firstDuplicate(_ items: [String]) -> String? {
    var seen = Set<[UInt8]>()
    for item in items where !seen.insert(Array(item.utf8)).inserted { return item }
    return nil
  }

  /// `alphabet.json` as `BeamSearchDecoderCTC.save_to_dir` writes it: `{"labels": [...],
  /// "is_bpe": false}`; the labels are used as they are (`Alphabet.loads`).
  public static func read(_ path: String) throws(DecodingError) -> CTCAlphabet {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      throw DecodingError("\(path): cannot read the decoder's alphabet: \(error.localizedDescription)")
    }
    guard let json = object as? [String: Any], let labels = json["labels"] as? [String] else {
      throw DecodingError("\(path): expected a JSON object with \"labels\", a list of strings (pyctcdecode's alphabet.json)")
    }
    if json["is_bpe"] as? Bool == true {
      throw DecodingError("\(path): the alphabet is BPE (\"is_bpe\": true); beam search supports character alphabets only")
    }
    return CTCAlphabet(labels: labels)
  }
}

/// A decoder that cannot be built or run as asked.
public struct DecodingError: Error, CustomStringConvertible, Equatable, Sendable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
  public var description: String { reason }
}
