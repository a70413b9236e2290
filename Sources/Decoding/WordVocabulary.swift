/// The words of a language model, each a byte string with an index, as KenLM's vocabulary:
/// index 0 is `<unk>` (also spelled `<UNK>`), and every word the model does not list maps to it.
///
/// Words are compared as bytes, as KenLM hashes them: two spellings of one character (composed
/// and decomposed accents) are different words, as they are to KenLM and to pyctcdecode.
/// The bytes live in one pool and are looked up without allocating, since a large model has
/// hundreds of thousands of words and every n-gram line looks up each of its words.
public struct WordVocabulary: Sendable {
  private var pool: [UInt8] = []
  private var starts: [Int] = [0]
  /// Slot → word index + 1 (0: empty).
  private var slots: [Int32]
  private var hashes: [UInt64]
  private var mask: Int

  /// The number of words, `<unk>` included.
  public var count: Int { starts.count }

  public static let unknown: UInt32 = 0

  init(capacity: Int) {
    var size = 16
    while size * 7 < capacity * 10 { size *= 2 }
    slots = Array(repeating: 0, count: size)
    hashes = Array(repeating: 0, count: size)
    mask = size - 1
    // Index 0 is <unk> whether or not the file lists it; its bytes are never looked up.
    starts = [0]
  }

  /// The bytes of word `index` (empty for `<unk>`).
  public func bytes(_ index: UInt32) -> ArraySlice<UInt8> {
    let i = Int(index)
    guard i > 0 else { return Array("<unk>".utf8)[...] }
    return pool[starts[i - 1]..<starts[i]]
  }

  /// The word's text (invalid UTF-8 repaired), for messages.
  public func text(_ index: UInt32) -> String { String(decoding: bytes(index), as: UTF8.self) }

  public func index(of word: String) -> UInt32 {
    var word = word
    return word.withUTF8 { index(of: UnsafeRawBufferPointer($0)) }
  }

  /// The index of a word given as bytes, `<unk>`'s (0) when the vocabulary does not have it.
  public func index(of word: UnsafeRawBufferPointer) -> UInt32 {
    if Self.isUnknownSpelling(word) { return Self.unknown }
    let hash = Self.hash(word)
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { return Self.unknown }
      if hashes[slot] == hash && equals(Int(entry), word) { return UInt32(entry) }
      slot = (slot + 1) & mask
    }
  }

  /// Adds a word and returns its index; `inserted` is false when it was already there.
  mutating func insert(_ word: UnsafeRawBufferPointer) -> (index: UInt32, inserted: Bool) {
    if Self.isUnknownSpelling(word) { return (Self.unknown, true) }
    if (count + 1) * 10 > slots.count * 7 { grow() }
    let hash = Self.hash(word)
    var slot = Int(truncatingIfNeeded: hash) & mask
    while true {
      let entry = slots[slot]
      if entry == 0 { break }
      if hashes[slot] == hash && equals(Int(entry), word) { return (UInt32(entry), false) }
      slot = (slot + 1) & mask
    }
    pool.append(contentsOf: word)
    starts.append(pool.count)
    let index = starts.count - 1
    slots[slot] = Int32(index)
    hashes[slot] = hash
    return (UInt32(index), true)
  }

  private func equals(_ index: Int, _ word: UnsafeRawBufferPointer) -> Bool {
    let (start, end) = (starts[index - 1], starts[index])
    guard end - start == word.count else { return false }
    return pool.withUnsafeBufferPointer { pool in
      for offset in 0..<word.count where pool[start + offset] != word[offset] { return false }
      return true
    }
  }

  private mutating func grow() {
    let size = slots.count * 2
    let (oldSlots, oldHashes) = (slots, hashes)
    slots = Array(repeating: 0, count: size)
    hashes = Array(repeating: 0, count: size)
    mask = size - 1
    for (entry, hash) in zip(oldSlots, oldHashes) where entry != 0 {
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot] != 0 { slot = (slot + 1) & mask }
      slots[slot] = entry
      hashes[slot] = hash
    }
  }

  /// KenLM maps both spellings of the unknown word to index 0.
  static func isUnknownSpelling(_ word: UnsafeRawBufferPointer) -> Bool {
    guard word.count == 5, word[0] == UInt8(ascii: "<"), word[4] == UInt8(ascii: ">") else { return false }
    let (u, n, k) = (word[1], word[2], word[3])
    return (u == UInt8(ascii: "u") && n == UInt8(ascii: "n") && k == UInt8(ascii: "k"))
      || (u == UInt8(ascii: "U") && n == UInt8(ascii: "N") && k == UInt8(ascii: "K"))
  }

  /// FNV-1a, then a final mix so that the low bits (the slot) depend on every byte.
  static func hash(_ word: UnsafeRawBufferPointer) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in word {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    hash ^= hash >> 33
    hash &*= 0xff51_afd7_ed55_8ccd
    hash ^= hash >> 33
    return hash
  }
}
