/// The settings of one beam search, pyctcdecode's `decode` arguments with its defaults.
public struct BeamSearchOptions: Equatable, Sendable {
  /// Beams kept after each frame.
  public var beamWidth = 100
  /// Beams scoring this much (natural log) below the best are dropped.
  public var beamPruneLogProbability = -10.0
  /// Classes below this log probability in a frame are not tried, unless they are its best.
  public var tokenMinLogProbability = -5.0
  /// Keep only the best of the beams that agree on the last `order - 1` words, the partial word
  /// and the last class (`prune_history`): on in `BeamSearchDecoderCTC.decode`, off in
  /// `decode_beams`, which `Wav2Vec2ProcessorWithLM.batch_decode` and the ASR pipeline call.
  public var pruneHistory = true
  public var hotwords: [String] = []
  public var hotwordWeight = 10.0

  public init(
    beamWidth: Int = 100, beamPruneLogProbability: Double = -10.0, tokenMinLogProbability: Double = -5.0, pruneHistory: Bool = true,
    hotwords: [String] = [], hotwordWeight: Double = 10.0
  ) {
    self.beamWidth = beamWidth
    self.beamPruneLogProbability = beamPruneLogProbability
    self.tokenMinLogProbability = tokenMinLogProbability
    self.pruneHistory = pruneHistory
    self.hotwords = hotwords
    self.hotwordWeight = hotwordWeight
  }
}

/// A word of a decoded beam and the logits frames it spans (`end` exclusive), as pyctcdecode's
/// `(word, (start_frame, end_frame))`.
public struct WordFrames: Equatable, Sendable {
  public var word: String
  public var start: Int
  public var end: Int

  public init(word: String, start: Int, end: Int) {
    self.word = word
    self.start = start
    self.end = end
  }
}

/// One output beam of `decode_beams`: the text, its words' frames, the acoustic score and the
/// score with the language model (`logit_score` and `lm_score` in transformers' output).
public struct DecodedBeam: Equatable, Sendable {
  public var text: String
  public var words: [WordFrames]
  public var logitScore: Double
  public var score: Double
}

/// CTC prefix beam search over a character alphabet with an optional word n-gram language
/// model and hotwords: pyctcdecode's `BeamSearchDecoderCTC` (0.5), step for step, so that the
/// same logits, language model and settings give the same text.
///
/// At each frame every beam is extended by every class above `tokenMinLogProbability` (and the
/// best one): a blank or a repeated class keeps the text, the word delimiter closes the partial
/// word, any other label extends it. Beams that reach the same text, partial word and last class
/// are merged (their probabilities added). The language model scores each completed word
/// (cached per text), and partial words that no known word begins with pay the unknown offset.
/// Beams more than `beamPruneLogProbability` below the best are dropped and the best
/// `beamWidth` kept. After the last frame the partial words are closed and scored with `</s>`.
public struct CTCBeamSearchDecoder: Sendable {
  public let alphabet: CTCAlphabet
  public var languageModel: BeamSearchLanguageModel?

  public init(alphabet: CTCAlphabet, languageModel: BeamSearchLanguageModel? = nil) {
    self.alphabet = alphabet
    self.languageModel = languageModel
  }

  /// The best beam's text (`BeamSearchDecoderCTC.decode`). `logits` are row-major
  /// [frames, alphabet.labels.count] (logits, log probabilities or probabilities).
  public func decode(logits: [Float], options: BeamSearchOptions = BeamSearchOptions()) throws(DecodingError) -> String {
    try decodeBeams(logits: logits, options: options).first?.text ?? ""
  }

  /// Every output beam, best first (`decode_beams`).
  public func decodeBeams(logits: [Float], options: BeamSearchOptions = BeamSearchOptions()) throws(DecodingError) -> [DecodedBeam] {
    let classes = alphabet.labels.count
    guard classes > 0, logits.count % classes == 0 else {
      throw DecodingError(
        "the logits have \(logits.count) values, not whole frames of the alphabet's \(classes) labels: the model's outputs and the decoder's alphabet do not match")
    }
    guard options.beamWidth > 0 else { throw DecodingError("the beam width must be positive, not \(options.beamWidth)") }
    var search = BeamSearch(alphabet: alphabet, languageModel: languageModel, options: options)
    return search.run(LogProbabilities.of(logits: logits, classes: classes), classes: classes)
  }
}
