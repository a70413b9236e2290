import Formats

/// One file's result: the text (Wav2Vec2CTCTokenizer.decode of the frame ids) and, when asked,
/// its words with start and end in seconds.
public struct Transcription: Equatable, Sendable {
  public var path: String
  public var text: String
  public var words: [TimedWord]?
  /// The audio's length in seconds (the end of a cue that has no word timings).
  public var duration: Double

  public init(path: String, text: String, words: [TimedWord]? = nil, duration: Double) {
    self.path = path
    self.text = text
    self.words = words
    self.duration = duration
  }

  /// Decodes per-frame class ids; word times are `frame * samplesPerFrame / samplingRate`, as the
  /// pipeline's `return_timestamps="word"`.
  public init(
    path: String, frameIds: [Int], tokenizer: CTCTokenizer, samplesPerFrame: Int, samplingRate: Int, duration: Double, includesWords: Bool
  ) {
    self.init(
      path: path, text: tokenizer.decode(frameIds),
      words: includesWords
        ? tokenizer.wordOffsets(frameIds).map { $0.timed(samplesPerFrame: samplesPerFrame, samplingRate: samplingRate) } : nil,
      duration: duration)
  }
}
