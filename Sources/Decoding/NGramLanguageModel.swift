/// A backoff n-gram language model scored exactly as KenLM scores it (`kenlm.Model.BaseScore`,
/// `full_scores`, `score`): log10 probabilities and backoff weights stored as 32-bit floats and
/// summed in 32-bit floats in KenLM's order, so that the sums are the same floats.
///
/// The n-grams form a trie read from the predicted word leftwards: the node of `b c` is the
/// child of `c`'s node along `b`. Scoring `w` after the context `… a b` walks `w`, `b w`,
/// `a b w`, … as far as the model has entries, which finds the longest known n-gram ending in
/// `w`; KenLM's probing model walks the same way with hashes of the reversed words.
///
/// A class: the tables are large and immutable, and the decoder holds and passes them around
/// per scored word, which for a struct of arrays would retain every array each time.
public final class NGramLanguageModel: Sendable {
  /// The largest n of the file.
  public let order: Int
  public let vocabulary: WordVocabulary
  /// log10 probability and backoff weight per node. Nodes `0 ..< vocabulary.count` are the
  /// unigrams (node = word index); longer n-grams follow.
  let probabilities: [Float]
  let backoffs: [Float]
  /// (node, word to its left) → node of the longer n-gram.
  let children: IntegerHashMap
  /// The n-gram counts of the file's `\data\` section.
  public let counts: [Int]
  public let beginSentence: UInt32
  public let endSentence: UInt32
  /// pyctcdecode's unigram list for a model given as an ARPA file
  /// (`load_unigram_set_from_arpa`): the words of the 1-gram lines that split into exactly
  /// three fields at tabs, which is every 1-gram of the usual KenLM or SRILM file.
  public let arpaUnigrams: [String]
  /// What loading noticed but accepted (a missing `<unk>`).
  public let warnings: [String]

  init(
    order: Int, vocabulary: WordVocabulary, probabilities: [Float], backoffs: [Float], children: IntegerHashMap, counts: [Int],
    arpaUnigrams: [String], warnings: [String]
  ) {
    self.order = order
    self.vocabulary = vocabulary
    self.probabilities = probabilities
    self.backoffs = backoffs
    self.children = children
    self.counts = counts
    self.arpaUnigrams = arpaUnigrams
    self.warnings = warnings
    beginSentence = vocabulary.index(of: "<s>")
    endSentence = vocabulary.index(of: "</s>")
  }

  /// What precedes the next word: the most recent words first, each with the backoff weight of
  /// the n-gram that ends there (KenLM's `State`). At most `order - 1` words.
  public struct State: Hashable, Sendable {
    public var words: [UInt32]
    public var backoffs: [Float]

    public init(words: [UInt32] = [], backoffs: [Float] = []) {
      self.words = words
      self.backoffs = backoffs
    }
  }

  /// One word's score: `kenlm.FullScoreReturn`.
  public struct Score: Equatable, Sendable {
    /// log10 p(word | context).
    public var log10Probability: Float
    /// The length of the longest n-gram of the model that matched.
    public var ngramLength: Int
    /// The word is not in the vocabulary (scored as `<unk>`).
    public var isUnknown: Bool
  }

  /// The context at the start of a sentence (`BeginSentenceWrite`): `<s>`.
  public var beginSentenceState: State { State(words: [beginSentence], backoffs: [backoffs[Int(beginSentence)]]) }

  /// No context (`NullContextWrite`).
  public var nullContextState: State { State() }

  /// Whether the vocabulary has `word` (`word in kenlm.Model`: not mapped to `<unk>`).
  public func contains(_ word: String) -> Bool { vocabulary.index(of: word) != WordVocabulary.unknown }

  /// `BaseFullScore(in_state, word, out_state)`.
  public func score(_ state: State, word: UInt32) -> (Score, State) {
    var node = word
    var probability = probabilities[Int(node)]
    var length = 1
    var next = State(words: [word], backoffs: [backoffs[Int(node)]])
    for contextWord in state.words {
      if length == order { break }
      guard let longer = children.find(IntegerHashMap.key(node, contextWord)) else { break }
      node = longer
      probability = probabilities[Int(node)]
      length += 1
      if length < order {
        next.words.append(contextWord)
        next.backoffs.append(backoffs[Int(node)])
      }
    }
    // The backoffs of the contexts longer than the match, shortest first, as KenLM adds them.
    var total = probability
    if length - 1 < state.backoffs.count {
      for weight in state.backoffs[(length - 1)...] { total += weight }
    }
    return (Score(log10Probability: total, ngramLength: length, isUnknown: word == WordVocabulary.unknown), next)
  }

  public func score(_ state: State, word: String) -> (Score, State) { score(state, word: vocabulary.index(of: word)) }

  /// `full_scores(sentence, bos, eos)`: each whitespace-separated word's score, then `</s>`'s.
  public func fullScores(_ sentence: String, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> [Score] {
    var state = beginOfSentence ? beginSentenceState : nullContextState
    var scores: [Score] = []
    for word in sentence.split(whereSeparator: { $0.isWhitespace }) {
      let (score, next) = score(state, word: String(word))
      scores.append(score)
      state = next
    }
    if endOfSentence { scores.append(score(state, word: endSentence).0) }
    return scores
  }

  /// `score(sentence, bos, eos)`: log10 p(sentence), summed in a 32-bit float as KenLM does.
  public func log10Probability(_ sentence: String, beginOfSentence: Bool = true, endOfSentence: Bool = true) -> Float {
    var total: Float = 0
    for score in fullScores(sentence, beginOfSentence: beginOfSentence, endOfSentence: endOfSentence) { total += score.log10Probability }
    return total
  }
}
