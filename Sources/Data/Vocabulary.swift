import Formats

/// Vocabulary building and text encoding for character CTC models.
public enum Vocabulary {
  /// The guide's layout, in a deterministic order: the corpus's characters sorted by code point
  /// (space excluded), then `|` for the space, then `[UNK]`, then `[PAD]` (the blank) last.
  public static func blogLayout(from texts: [String]) -> CTCTokenizer {
    var characters = Set<String>()
    for text in texts { for character in text where character != " " { characters.insert(String(character)) } }
    characters.subtract(["|", "[UNK]", "[PAD]"])
    let ordered = characters.sorted { $0.unicodeScalars.map(\.value).lexicographicallyPrecedes($1.unicodeScalars.map(\.value)) }
      + ["|", "[UNK]", "[PAD]"]
    var tokenizer = CTCTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: ordered.enumerated().map { ($1, $0) }))
    tokenizer.padToken = "[PAD]"
    tokenizer.unknownToken = "[UNK]"
    return tokenizer
  }
}

extension CTCTokenizer {
  /// Token ids as Wav2Vec2CTCTokenizer makes them: spaces become the word delimiter, every other
  /// character is its own token, characters outside the vocabulary become the unknown token.
  /// Returns the characters that were unknown, so callers can report them.
  public func encode(_ text: String) -> (ids: [Int], unknown: [Character]) {
    let source = doLowerCase ? text.uppercased() : text
    let unknownId = vocabulary[unknownToken]
    var ids: [Int] = []
    var unknown: [Character] = []
    for character in source {
      let token = character == " " ? wordDelimiterToken : String(character)
      if let id = vocabulary[token] {
        ids.append(id)
      } else {
        unknown.append(character)
        if let unknownId { ids.append(unknownId) }
      }
    }
    return (ids, unknown)
  }

  /// The characters of the vocabulary that stand for themselves (not special tokens).
  public var characterSet: Set<Character> {
    Set(vocabulary.keys.filter { $0.count == 1 && $0 != wordDelimiterToken }.compactMap(\.first)).union([" "])
  }
}
