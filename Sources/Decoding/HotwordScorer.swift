/// pyctcdecode's `HotwordScorer`: words whose appearance in a hypothesis adds `weight` to its
/// score each time, and whose beginnings earn part of it while a word is being spelled.
///
/// Hotwords are split into single words (pyctcdecode matches each word of a multi-word hotword
/// on its own). A text's score is `weight ×` the number of its words that are hotwords (what
/// the whole-word regular expression counts); a partial word that begins some hotword scores
/// `weight × its length / the length of the shortest hotword it begins`.
public struct HotwordScorer: Sendable {
  public let weight: Double
  let words: Set<[UInt8]>
  let trie: CharacterTrie

  public init(hotwords: [String], weight: Double) {
    self.weight = weight
    let unigrams = hotwords.flatMap { $0.split(whereSeparator: { $0.isWhitespace }).map(String.init) }
    words = Set(unigrams.map { Array($0.utf8) })
    trie = CharacterTrie(unigrams)
  }

  public var isEmpty: Bool { words.isEmpty }

  /// `score(text)` for a text whose words include `count` hotwords.
  func score(hotwordCount count: Int) -> Double { weight * Double(count) }

  func isHotword(_ bytes: [UInt8]) -> Bool { words.contains(bytes) }

  /// `score_partial_token` for a partial word that reached `node` of the trie, `length`
  /// characters long; 0 when it begins no hotword.
  func partialScore(node: UInt32?, length: Int) -> Double {
    guard let node, !trie.isEmpty else { return 0 }
    return weight * Double(length) / Double(trie.shortestWordBelow[Int(node)])
  }
}
