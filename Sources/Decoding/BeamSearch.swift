import Foundation

/// One run of the beam search over one utterance (`_decode_logits`), with the tables that make
/// pyctcdecode's string-keyed bookkeeping cheap: partial words and texts are interned, so that
/// comparing or hashing them is comparing numbers. A struct, not a class: the run mutates it
/// millions of times, and a class's stored properties pay for dynamic exclusivity checks.
struct BeamSearch {
  let languageModel: BeamSearchLanguageModel?
  let options: BeamSearchOptions
  let hotwords: HotwordScorer
  /// Per label: the first label with the same text (labels are compared as strings).
  let labelClass: [Int32]
  let blankClass: Int32
  let spaceClass: Int32
  var strings: PartialWords
  var texts = Texts()
  var frameLists = FrameLists()
  /// pyctcdecode's `cached_lm_scores[(text, False)]`, by text.
  var scores: [CachedScore?] = []
  /// `cached_lm_scores[(text, True)]`.
  var finalScores: [Int32: Double] = [:]
  /// Per text: the text of its last `order - 1` words, what `_prune_history` compares (-1: not
  /// yet known).
  var histories: [Int32] = []
  /// The candidate classes of a frame in CPython's set order, by the classes above the
  /// threshold followed by the best class (frames repeat the same few sets).
  var candidateOrders: [[Int]: [Int]] = [:]
  var mergeTable = TripleTable()

  struct CachedScore {
    /// With the hotword score of the text.
    var score: Double
    var raw: Double
    var state: NGramLanguageModel.State
  }

  /// pyctcdecode's `Beam` tuple: (text, next_word, word_part, last_char, text_frames,
  /// part_frames, logit_score). `nextWord` is a word closed by the delimiter and not yet scored.
  struct Beam {
    var text: Int32
    var nextWord: Int32
    var wordPart: Int32
    /// -1: none (the start, and after the last frame).
    var lastClass: Int32
    var frames: Int32
    var partStart: Int32
    var partEnd: Int32
    var logitScore: Double
  }

  init(alphabet: CTCAlphabet, languageModel: BeamSearchLanguageModel?, options: BeamSearchOptions) {
    self.languageModel = languageModel
    self.options = options
    hotwords = HotwordScorer(hotwords: options.hotwords.map { $0.trimmingCharacters(in: .whitespaces) }, weight: options.hotwordWeight)
    var firstIndex: [[UInt8]: Int32] = [:]
    labelClass = alphabet.labels.enumerated().map { index, label in
      if let first = firstIndex[Array(label.utf8)] { return first }
      firstIndex[Array(label.utf8)] = Int32(index)
      return Int32(index)
    }
    blankClass = firstIndex[[]] ?? -1
    spaceClass = firstIndex[[UInt8(ascii: " ")]] ?? -1
    strings = PartialWords(labels: alphabet.labels, languageModel: languageModel, hotwords: hotwords)
    scores = [CachedScore(score: 0, raw: 0, state: languageModel?.startState ?? NGramLanguageModel.State())]
  }

  mutating func run(_ logProbabilities: [Float], classes: Int) -> [DecodedBeam] {
    var beams = [Beam(text: Texts.empty, nextWord: 0, wordPart: 0, lastClass: -1, frames: -1, partStart: -1, partEnd: -1, logitScore: 0)]
    var extended: [Beam] = []
    let threshold = Float(options.tokenMinLogProbability)
    let frames = logProbabilities.count / classes
    for frame in 0..<frames {
      let row = logProbabilities[(frame * classes)..<((frame + 1) * classes)]
      var best = row.startIndex
      for index in row.indices where row[index] > row[best] { best = index }
      let candidates = candidateOrder(row.indices.filter { row[$0] >= threshold }.map { $0 - row.startIndex }, best - row.startIndex)
      extended.removeAll(keepingCapacity: true)
      for index in candidates {
        let probability = Double(row[row.startIndex + index])
        let label = labelClass[index]
        let end = Int32(frame + 1)
        for beam in beams {
          var next = beam
          next.lastClass = label
          next.logitScore = beam.logitScore + probability
          if label == blankClass || beam.lastClass == label {
            if label != blankClass { next.partEnd = end }
          } else if label == spaceClass {
            next.nextWord = beam.wordPart
            next.wordPart = 0
            if beam.wordPart != 0 { next.frames = frameLists.appending(beam.frames, beam.partStart, beam.partEnd) }
            (next.partStart, next.partEnd) = (-1, -1)
          } else {
            next.wordPart = strings.appending(beam.wordPart, label: index)
            if beam.partStart < 0 { next.partStart = Int32(frame) }
            next.partEnd = end
          }
          extended.append(next)
        }
      }
      beams = prune(score(merge(extended), isFinal: false), keepingHistory: options.pruneHistory)
    }
    // Close every partial word and score the texts to the end of the sentence.
    let closed = beams.map { beam -> Beam in
      var last = beam
      last.nextWord = beam.wordPart
      last.wordPart = 0
      last.lastClass = -1
      if beam.wordPart != 0 { last.frames = frameLists.appending(beam.frames, beam.partStart, beam.partEnd) }
      (last.partStart, last.partEnd) = (-1, -1)
      return last
    }
    return trim(score(merge(closed), isFinal: true)).map { beam, score in
      let words = texts.words(beam.text)
      let frames = frameLists.frames(beam.frames)
      let strings = words.map { String(decoding: self.strings.bytes[Int($0)], as: UTF8.self) }
      return DecodedBeam(
        text: strings.joined(separator: " "),
        words: zip(strings, frames).map { WordFrames(word: $0, start: Int($1.start), end: Int($1.end)) },
        logitScore: beam.logitScore, score: score)
    }
  }

  /// `_merge_beams`: one beam per (text with the next word, partial word, last class), in
  /// first-seen order, with the probabilities of all of them added. The fields (how the text
  /// splits into text and next word, the word frames) are the last one's: pyctcdecode
  /// overwrites the dictionary entry.
  mutating func merge(_ beams: [Beam]) -> [Beam] {
    var merged: [Beam] = []
    merged.reserveCapacity(beams.count)
    mergeTable.removeAll(keepingRoomFor: beams.count)
    for beam in beams {
      let text = texts.appending(beam.text, beam.nextWord, strings: &strings)
      if let place = mergeTable.value(for: text, beam.wordPart, beam.lastClass, insertingIfAbsent: Int32(merged.count)).map(Int.init) {
        let score = Self.logSum(merged[place].logitScore, beam.logitScore)
        merged[place] = beam
        merged[place].logitScore = score
      } else {
        merged.append(beam)
      }
    }
    return merged
  }

  /// `_get_lm_beams`: the next word moves into the text, and each beam gets its total score.
  mutating func score(_ beams: [Beam], isFinal: Bool) -> [(Beam, Double)] {
    beams.map { beam in
      let text = texts.appending(beam.text, beam.nextWord, strings: &strings)
      var scored = beam
      scored.text = text
      scored.nextWord = 0
      guard let languageModel else {
        let total = beam.logitScore + hotwords.score(hotwordCount: texts.hotwordCount[Int(text)]) + partialScore(beam.wordPart)
        return (scored, total)
      }
      var languageScore = isFinal ? finalScore(beam, text: text, languageModel) : cachedScore(beam, text: text, languageModel)
      if beam.wordPart != 0 { languageScore += partialScore(beam.wordPart) }
      return (scored, beam.logitScore + languageScore)
    }
  }

  mutating func cachedScore(_ beam: Beam, text: Int32, _ languageModel: BeamSearchLanguageModel) -> Double {
    if Int(text) < scores.count, let cached = scores[Int(text)] { return cached.score }
    let previous = scores[Int(beam.text)]!
    let (score, state) = languageModel.score(previous.state, word: strings.wordIndex(beam.nextWord), isLastWord: false)
    let raw = previous.raw + score
    let entry = CachedScore(score: raw + hotwords.score(hotwordCount: texts.hotwordCount[Int(text)]), raw: raw, state: state)
    if scores.count <= Int(text) { scores += Array(repeating: nil, count: Int(text) + 1 - scores.count) }
    scores[Int(text)] = entry
    return entry.score
  }

  mutating func finalScore(_ beam: Beam, text: Int32, _ languageModel: BeamSearchLanguageModel) -> Double {
    if let cached = finalScores[text] { return cached }
    let previous = scores[Int(beam.text)]!
    let (score, _) = languageModel.score(previous.state, word: strings.wordIndex(beam.nextWord), isLastWord: true)
    let total = previous.raw + score + hotwords.score(hotwordCount: texts.hotwordCount[Int(text)])
    finalScores[text] = total
    return total
  }

  /// The score of a partial word: the hotwords' when it begins one, else the language model's
  /// (without a language model, the hotwords' alone).
  mutating func partialScore(_ part: Int32) -> Double {
    if let cached = strings.partialScores[Int(part)] { return cached }
    let length = strings.lengths[Int(part)]
    let hotwordNode = strings.hotwordNodes[Int(part)]
    let score: Double
    if let languageModel, hotwordNode == nil || hotwords.isEmpty {
      score = languageModel.partialScore(prefixNode: strings.prefixNodes[Int(part)], length: length)
    } else {
      score = hotwords.partialScore(node: hotwordNode, length: length)
    }
    strings.partialScores[Int(part)] = score
    return score
  }

  /// Drops the beams far below the best and keeps the best `beamWidth`, best first; equal
  /// scores keep their order (`heapq.nlargest`).
  func trim(_ scored: [(Beam, Double)]) -> [(Beam, Double)] {
    guard let best = scored.map(\.1).max() else { return [] }
    let floor = best + options.beamPruneLogProbability
    let kept = scored.enumerated().filter { $0.element.1 >= floor }
    let ranked = kept.sorted { $0.element.1 > $1.element.1 || ($0.element.1 == $1.element.1 && $0.offset < $1.offset) }
    return ranked.prefix(options.beamWidth).map(\.element)
  }

  /// `trim`, then `_prune_history` when asked.
  mutating func prune(_ scored: [(Beam, Double)], keepingHistory pruning: Bool) -> [Beam] {
    let trimmed = trim(scored)
    guard pruning else { return trimmed.map(\.0) }
    mergeTable.removeAll(keepingRoomFor: trimmed.count)
    var kept: [Beam] = []
    for (beam, _) in trimmed where mergeTable.value(for: history(beam.text), beam.wordPart, beam.lastClass, insertingIfAbsent: 0) == nil {
      kept.append(beam)
    }
    return kept
  }

  /// The text of the last `order - 1` words of `text` (at least one), interned like any text.
  mutating func history(_ text: Int32) -> Int32 {
    if Int(text) < histories.count, histories[Int(text)] >= 0 { return histories[Int(text)] }
    var suffix = Texts.empty
    for word in texts.lastWords(text, max(1, (languageModel?.order ?? 1) - 1)) { suffix = texts.appending(suffix, word, strings: &strings) }
    if histories.count <= Int(text) { histories += Array(repeating: -1, count: Int(text) + 1 - histories.count) }
    histories[Int(text)] = suffix
    return suffix
  }

  /// ``PythonSetOrder/union(_:_:)``, remembered.
  mutating func candidateOrder(_ ascending: [Int], _ best: Int) -> [Int] {
    let key = ascending + [best]
    if let known = candidateOrders[key] { return known }
    let order = PythonSetOrder.union(ascending, best)
    candidateOrders[key] = order
    return order
  }

  /// `_sum_log_scores`: log(exp(a) + exp(b)), in pyctcdecode's arithmetic.
  static func logSum(_ a: Double, _ b: Double) -> Double {
    a >= b ? a + Foundation.log(1 + Foundation.exp(b - a)) : b + Foundation.log(1 + Foundation.exp(a - b))
  }
}

/// Interned partial words (and the words they become): id 0 is the empty string. Each carries
/// its length in characters, its place in the unigram-prefix and hotword tries, and caches.
struct PartialWords {
  var bytes: [[UInt8]] = [[]]
  var lengths: [Int] = [0]
  var prefixNodes: [UInt32?]
  var hotwordNodes: [UInt32?]
  var partialScores: [Double?] = [nil]
  /// The language model's index of the word, filled when it is first scored.
  var wordIndices: [UInt32] = [UInt32.max]
  var isHotword: [Bool]
  private var children = IntegerHashMap()
  private var byContent: [[UInt8]: Int32] = [[]: 0]
  let labelBytes: [[UInt8]]
  let labelLengths: [Int]
  let languageModel: BeamSearchLanguageModel?
  let hotwords: HotwordScorer

  init(labels: [String], languageModel: BeamSearchLanguageModel?, hotwords: HotwordScorer) {
    labelBytes = labels.map { Array($0.utf8) }
    labelLengths = labels.map { $0.unicodeScalars.count }
    self.languageModel = languageModel
    self.hotwords = hotwords
    prefixNodes = [CharacterTrie.root]
    hotwordNodes = [CharacterTrie.root]
    isHotword = [false]
  }

  /// `word_part + char`.
  mutating func appending(_ part: Int32, label: Int) -> Int32 {
    let key = IntegerHashMap.key(UInt32(part), UInt32(label))
    if let known = children.find(key) { return Int32(known) }
    let content = bytes[Int(part)] + labelBytes[label]
    let id: Int32
    if let same = byContent[content] {
      // Another spelling of the same text through multi-character labels.
      id = same
    } else {
      id = Int32(bytes.count)
      byContent[content] = id
      bytes.append(content)
      lengths.append(lengths[Int(part)] + labelLengths[label])
      prefixNodes.append(prefixNodes[Int(part)].flatMap { languageModel?.prefixes.walk(from: $0, labelBytes[label]) })
      hotwordNodes.append(hotwordNodes[Int(part)].flatMap { hotwords.trie.walk(from: $0, labelBytes[label]) })
      partialScores.append(nil)
      wordIndices.append(UInt32.max)
      isHotword.append(hotwords.isHotword(content))
    }
    children.insert(key, UInt32(id))
    return id
  }

  mutating func wordIndex(_ word: Int32) -> UInt32 {
    if wordIndices[Int(word)] == UInt32.max {
      wordIndices[Int(word)] = bytes[Int(word)].withUnsafeBytes { languageModel?.ngrams.vocabulary.index(of: $0) ?? WordVocabulary.unknown }
    }
    return wordIndices[Int(word)]
  }
}

/// Interned texts: a trie of words, id 0 the empty text, each node a text one word longer than
/// its parent, with the number of hotwords among its words.
struct Texts {
  static let empty: Int32 = 0
  var parents: [Int32] = [-1]
  var lastWord: [Int32] = [0]
  var hotwordCount: [Int] = [0]
  private var children = IntegerHashMap()

  /// `_merge_tokens(text, word)`: the text with one more word, or the same text for "".
  mutating func appending(_ text: Int32, _ word: Int32, strings: inout PartialWords) -> Int32 {
    guard word != 0 else { return text }
    let key = IntegerHashMap.key(UInt32(text), UInt32(word))
    if let known = children.find(key) { return Int32(known) }
    let id = Int32(parents.count)
    parents.append(text)
    lastWord.append(word)
    hotwordCount.append(hotwordCount[Int(text)] + (strings.isHotword[Int(word)] ? 1 : 0))
    children.insert(key, UInt32(id))
    return id
  }

  func words(_ text: Int32) -> [Int32] { lastWords(text, Int.max) }

  /// `text.split()[-count:]`.
  func lastWords(_ text: Int32, _ count: Int) -> [Int32] {
    var words: [Int32] = []
    var node = text
    while node != Self.empty && words.count < count {
      words.append(lastWord[Int(node)])
      node = parents[Int(node)]
    }
    return words.reversed()
  }
}

/// The frames of each beam's words as shared lists (a beam's list is its parent's plus a word).
struct FrameLists {
  var parents: [Int32] = []
  var starts: [Int32] = []
  var ends: [Int32] = []

  mutating func appending(_ list: Int32, _ start: Int32, _ end: Int32) -> Int32 {
    parents.append(list)
    starts.append(start)
    ends.append(end)
    return Int32(parents.count - 1)
  }

  func frames(_ list: Int32) -> [(start: Int32, end: Int32)] {
    var result: [(start: Int32, end: Int32)] = []
    var node = list
    while node >= 0 {
      result.append((starts[Int(node)], ends[Int(node)]))
      node = parents[Int(node)]
    }
    return result.reversed()
  }
}
