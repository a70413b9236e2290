/// The prefixes of a set of words, as pygtrie's `CharTrie.has_node` answers them in
/// pyctcdecode: a partial word is "in" the trie when some word starts with it.
///
/// Nodes are reached byte by byte (a code-point prefix of valid UTF-8 is a byte prefix ending on
/// a character boundary, so the answers are the same), and the decoder walks a growing partial
/// word one label at a time instead of from the root. Each node remembers the length in
/// characters of the shortest word below it, which the hotword score divides by.
struct CharacterTrie: Sendable {
  private var edges = IntegerHashMap()
  private(set) var shortestWordBelow: [Int] = [Int.max]
  private(set) var isWord: [Bool] = [false]

  static let root: UInt32 = 0

  init<Words: Sequence<String>>(_ words: Words) {
    for word in words { insert(word) }
  }

  var isEmpty: Bool { shortestWordBelow.count == 1 && !isWord[0] }

  private mutating func insert(_ word: String) {
    let length = word.unicodeScalars.count
    var node = Self.root
    shortestWordBelow[0] = min(shortestWordBelow[0], length)
    for byte in word.utf8 {
      let key = IntegerHashMap.key(node, UInt32(byte))
      if let next = edges.find(key) {
        node = next
      } else {
        let next = UInt32(shortestWordBelow.count)
        shortestWordBelow.append(length)
        isWord.append(false)
        edges.insert(key, next)
        node = next
      }
      shortestWordBelow[Int(node)] = min(shortestWordBelow[Int(node)], length)
    }
    isWord[Int(node)] = true
  }

  /// The node reached from `node` along `bytes`, or nil when no word continues that way.
  func walk<Bytes: Sequence<UInt8>>(from node: UInt32, _ bytes: Bytes) -> UInt32? {
    var current = node
    for byte in bytes {
      guard let next = edges.find(IntegerHashMap.key(current, UInt32(byte))) else { return nil }
      current = next
    }
    return current
  }
}
