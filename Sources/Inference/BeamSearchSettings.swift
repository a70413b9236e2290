import Decoding
import Foundation
import Formats

/// What a command asks of the decoding: which language model (an ARPA file, the model folder's,
/// or none), its weights (nil: the folder's attrs.json, else pyctcdecode's defaults) and the
/// search settings. Greedy decoding unless a language model is there or a beam search is asked for.
public struct BeamSearchSettings: Sendable {
  /// An ARPA file to use instead of the model folder's language model.
  public var languageModelPath: String?
  /// Use the language model of a `Wav2Vec2ProcessorWithLM` model folder when there is one.
  public var usesFolderLanguageModel = true
  /// Search with beams even without a language model.
  public var requestsBeamSearch = false
  public var alpha: Double?
  public var beta: Double?
  public var unknownScoreOffset: Double?
  public var scoreBoundary: Bool?
  public var options = BeamSearchOptions()

  public init() {}

  /// Whether any language-model weight was given.
  public var setsWeights: Bool { alpha != nil || beta != nil || unknownScoreOffset != nil || scoreBoundary != nil }

  /// The decoder for `model`; `note` hears what was loaded (and how long it took), `warn` what
  /// pyctcdecode would warn about.
  public func decoder(for model: ModelDirectory, note: (String) -> Void = { _ in }, warn: (String) -> Void = { _ in }) throws -> TranscriptDecoder {
    let folderModel = usesFolderLanguageModel ? model.decoderFiles?.languageModel : nil
    guard languageModelPath != nil || folderModel != nil || requestsBeamSearch else {
      if setsWeights {
        throw DecodingError("--alpha, --beta, --unk-score-offset and --score-boundary weigh a language model: give one with --lm FILE.arpa")
      }
      return .greedy
    }
    let alphabet = try Self.alphabet(for: model, warn: warn)
    var languageModel: BeamSearchLanguageModel?
    if let path = languageModelPath ?? folderModel?.modelPath {
      let clock = ContinuousClock()
      let start = clock.now
      let ngrams: NGramLanguageModel
      do { ngrams = try ARPAReader.read(path) } catch {
        if folderModel != nil && languageModelPath == nil {
          throw DecodingError("\(error)\n(this is the model folder's language model: --no-lm decodes without it, --lm FILE.arpa with another)")
        }
        throw error
      }
      for warning in ngrams.warnings { warn(warning) }
      var weights = LanguageModelWeights()
      var unigrams: [String]?
      if languageModelPath == nil, let folderModel {
        weights = LanguageModelWeights(
          alpha: folderModel.alpha, beta: folderModel.beta, unknownScoreOffset: folderModel.unknownScoreOffset, scoreBoundary: folderModel.scoreBoundary)
        unigrams = try folderModel.unigrams()
      }
      weights.alpha = alpha ?? weights.alpha
      weights.beta = beta ?? weights.beta
      weights.unknownScoreOffset = unknownScoreOffset ?? weights.unknownScoreOffset
      weights.scoreBoundary = scoreBoundary ?? weights.scoreBoundary
      let built = BeamSearchLanguageModel(ngrams: ngrams, unigrams: unigrams, weights: weights, alphabet: alphabet)
      for warning in built.warnings { warn("\(path): \(warning)") }
      languageModel = built
      let seconds = (clock.now - start) / .seconds(1)
      note(
        "language model \(path): order \(ngrams.order), \(ngrams.counts.map(String.init).joined(separator: "/")) n-grams, \(built.knownUnigramCount) known words, loaded in \(String(format: "%.1f", seconds)) s; alpha \(weights.alpha), beta \(weights.beta), unknown-word offset \(weights.unknownScoreOffset)\(weights.scoreBoundary ? "" : ", no sentence boundaries")"
      )
    } else if setsWeights {
      throw DecodingError("--alpha, --beta, --unk-score-offset and --score-boundary weigh a language model, and this decoding has none")
    }
    return .beamSearch(CTCBeamSearchDecoder(alphabet: alphabet, languageModel: languageModel), options)
  }

  /// The folder's alphabet.json, else the tokenizer's tokens in id order as `build_ctcdecoder`
  /// gets them; one label per output class of the model.
  ///
  /// transformers insists that the alphabet has every token of the tokenizer, added ones (`<s>`,
  /// `</s>`) included, while pyctcdecode insists that it has one label per class: a folder
  /// made for a model whose head is narrower than its tokenizer satisfies only the first.
  /// Labels beyond the model's classes are left out with a warning, since the model cannot
  /// emit them.
  public static func alphabet(for model: ModelDirectory, warn: (String) -> Void = { _ in }) throws -> CTCAlphabet {
    let classes = model.configuration.vocabSize
    if let path = model.decoderFiles?.alphabetPath {
      var alphabet = try CTCAlphabet.read(path)
      guard alphabet.labels.count >= classes else {
        throw DecodingError("\(path): the alphabet has \(alphabet.labels.count) labels, the model \(classes) output classes: there must be one label per class")
      }
      if alphabet.labels.count > classes {
        let extra = alphabet.labels[classes...]
        warn(
          "\(path): \(extra.count) label\(extra.count == 1 ? "" : "s") beyond the model's \(classes) output classes (\(extra.joined(separator: " "))) left out: the model cannot emit them"
        )
        alphabet.labels.removeLast(extra.count)
      }
      return alphabet
    }
    return try alphabet(tokenizer: model.tokenizer, classes: classes)
  }

  /// The labels of a tokenizer's tokens 0 ..< `classes` (the transformers documentation's
  /// `sorted(vocab, key=id)`), as `build_ctcdecoder` normalises them. Tokens added beyond the
  /// model's classes (`<s>` and `</s>` in added_tokens.json) are left out: the model cannot
  /// emit them, and pyctcdecode would refuse logits narrower than its labels.
  public static func alphabet(tokenizer: CTCTokenizer, classes: Int) throws -> CTCAlphabet {
    let missing = (0..<classes).filter { tokenizer.tokens[$0] == nil }
    guard missing.isEmpty else {
      throw DecodingError(
        "the vocabulary has no token for output class\(missing.count == 1 ? "" : "es") \(missing.prefix(5).map(String.init).joined(separator: ", "))\(missing.count > 5 ? ", …" : "") of the model's \(classes): beam search needs a label for every class (or an alphabet.json with \(classes) labels in the model folder)"
      )
    }
    return try CTCAlphabet(
      tokens: (0..<classes).map { tokenizer.tokens[$0]! }, padToken: tokenizer.padToken, wordDelimiterToken: tokenizer.wordDelimiterToken)
  }
}
