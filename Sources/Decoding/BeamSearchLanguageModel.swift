import Foundation

/// The weights of the language model in the beam search, pyctcdecode's `LanguageModel`
/// attributes (and `attrs.json` of a `Wav2Vec2ProcessorWithLM` folder).
public struct LanguageModelWeights: Equatable, Sendable {
  /// The language model's weight (shallow fusion).
  public var alpha = 0.5
  /// The bonus for each word.
  public var beta = 1.5
  /// Added (in log10 units, before alpha) to the score of a word the unigrams do not list, and
  /// (in natural-log units) to a partial word no unigram begins with.
  public var unknownScoreOffset = -10.0
  /// Score the first word after `<s>` and end the hypothesis with `</s>`.
  public var scoreBoundary = true

  public init(alpha: Double = 0.5, beta: Double = 1.5, unknownScoreOffset: Double = -10.0, scoreBoundary: Bool = true) {
    self.alpha = alpha
    self.beta = beta
    self.unknownScoreOffset = unknownScoreOffset
    self.scoreBoundary = scoreBoundary
  }
}

/// pyctcdecode's `LanguageModel`: an n-gram model, the known words (unigrams) and the weights,
/// giving each completed word a natural-log score for the beam search. A class for the same
/// reason as ``NGramLanguageModel``.
public final class BeamSearchLanguageModel: Sendable {
  public let ngrams: NGramLanguageModel
  public let weights: LanguageModelWeights
  /// Words of the unigram list that the n-gram model has, by the model's word index.
  let isKnownUnigram: [Bool]
  public let knownUnigramCount: Int
  /// Every prefix of a known unigram.
  let prefixes: CharacterTrie
  /// What building noticed that pyctcdecode warns about too.
  public let warnings: [String]

  /// kenlm returns log10 probabilities; pyctcdecode scores in natural logarithms.
  static let logBaseChangeFactor = 1.0 / log10(M_E)
  /// pyctcdecode's AVG_TOKEN_LEN: unknown partial words longer than this are penalised more.
  static let averageTokenLength = 6

  /// `unigrams` nil: the unigram list of the ARPA file, as `build_ctcdecoder` reads it (a
  /// `Wav2Vec2ProcessorWithLM` folder has its own, `unigrams.txt`). `alphabet` checks that the
  /// words are spelled with the model's characters.
  public init(ngrams: NGramLanguageModel, unigrams: [String]?, weights: LanguageModelWeights = LanguageModelWeights(), alphabet: CTCAlphabet? = nil) {
    self.ngrams = ngrams
    self.weights = weights
    var warnings: [String] = []
    var listed = unigrams ?? ngrams.arpaUnigrams
    if unigrams == nil && listed.isEmpty {
      // pyctcdecode refuses such a file ("No unigrams found in arpa file"); every 1-gram serves.
      listed = (1..<ngrams.vocabulary.count).map { ngrams.vocabulary.text(UInt32($0)) }
      warnings.append(
        "no 1-gram line of the ARPA file is a tab-separated probability, word and backoff, which is how pyctcdecode finds the known words (it refuses such a file): every 1-gram is taken as known"
      )
    }
    var known = [Bool](repeating: false, count: ngrams.vocabulary.count)
    var kept: [String] = []
    var seen = Set<[UInt8]>()
    for word in listed where seen.insert(Array(word.utf8)).inserted {
      let index = ngrams.vocabulary.index(of: word)
      guard index != WordVocabulary.unknown else { continue }
      known[Int(index)] = true
      kept.append(word)
    }
    isKnownUnigram = known
    knownUnigramCount = kept.count
    prefixes = CharacterTrie(kept)
    if !seen.isEmpty && Double(kept.count) / Double(seen.count) < 0.1 {
      warnings.append(
        "only \(String(format: "%.1f", 100 * Double(kept.count) / Double(seen.count))) % of the unigrams are in the language model: are the vocabulary and the language model meant for each other?"
      )
    }
    if let alphabet {
      // pyctcdecode's verify_alphabet_coverage: the characters of the unigrams against the labels.
      let labels = Set(alphabet.labels)
      let characters = Set(kept.flatMap { $0.unicodeScalars.map { String($0) } })
      let missing = characters.filter { !labels.contains($0) }
      if !characters.isEmpty && Double(missing.count) / Double(characters.count) > 0.2 {
        warnings.append(
          "the language model's words use characters the model's vocabulary does not have (\(missing.sorted().prefix(10).joined(separator: " "))): is one of them upper case and the other lower case?"
        )
      }
    }
    self.warnings = warnings
  }

  public var order: Int { ngrams.order }

  /// `get_start_state`.
  public var startState: NGramLanguageModel.State { weights.scoreBoundary ? ngrams.beginSentenceState : ngrams.nullContextState }

  /// `score(prev_state, word, is_last_word)`: alpha × (log10 p(word | state) [+ unknown offset]
  /// [+ log10 p(</s> | …)]) × ln 10 + beta, and the state after the word (before `</s>`).
  public func score(_ state: NGramLanguageModel.State, word: UInt32, isLastWord: Bool) -> (Double, NGramLanguageModel.State) {
    let (base, next) = ngrams.score(state, word: word)
    var score = Double(base.log10Probability)
    // (len(unigrams) > 0 and word not in unigrams) or word not in kenlm_model
    let isKnown = word != WordVocabulary.unknown && isKnownUnigram[Int(word)]
    if (knownUnigramCount > 0 && !isKnown) || word == WordVocabulary.unknown { score += weights.unknownScoreOffset }
    if isLastWord && weights.scoreBoundary { score = score + Double(ngrams.score(next, word: ngrams.endSentence).0.log10Probability) }
    return (weights.alpha * score * Self.logBaseChangeFactor + weights.beta, next)
  }

  /// `score_partial_token` for a partial word of `length` characters that reached `node` of the
  /// unigram prefixes (nil: no unigram begins with it).
  func partialScore(prefixNode node: UInt32?, length: Int) -> Double {
    var score = weights.unknownScoreOffset * (node == nil ? 1 : 0)
    if length > Self.averageTokenLength { score = score * Double(length) / Double(Self.averageTokenLength) }
    return score
  }
}
