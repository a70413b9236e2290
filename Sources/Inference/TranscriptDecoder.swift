import Decoding
import Formats
import Models
import Runtime

/// How CTC outputs become text: greedy (Wav2Vec2CTCTokenizer.decode of the best class per
/// frame, the default) or pyctcdecode's beam search, with or without a word language model
/// (Wav2Vec2ProcessorWithLM's decoding).
public enum TranscriptDecoder: Sendable {
  case greedy
  case beamSearch(CTCBeamSearchDecoder, BeamSearchOptions)

  /// The transcript of each row of f32[B, T, classes] logits, over the frames that row's own
  /// audio yields (padding frames are not decoded).
  public func transcripts(logits: Tensor, sampleCounts: [Int], configuration: Wav2Vec2Configuration, tokenizer: CTCTokenizer) throws -> [String] {
    guard case .beamSearch(let decoder, let options) = self else {
      return GreedyDecoding.transcripts(logits: logits, sampleCounts: sampleCounts, configuration: configuration, tokenizer: tokenizer)
    }
    let (width, classes) = (logits.shape[1], logits.shape[2])
    let values = logits.floats
    return try sampleCounts.enumerated().map { row, samples in
      let frames = Swift.min(width, configuration.frameCount(samples: samples))
      let start = row * width * classes
      return try decoder.decode(logits: Array(values[start..<(start + frames * classes)]), options: options)
    }
  }

  /// One file's transcription from its logits, row-major [frames, classes]. Word times are
  /// `frame * samplesPerFrame / samplingRate`, from the best beam's word frames with beam search
  /// (as the pipeline's `return_timestamps="word"` with a decoder).
  public func transcription(
    path: String, logits: [Float], classes: Int, tokenizer: CTCTokenizer, samplesPerFrame: Int, samplingRate: Int, duration: Double,
    includesWords: Bool
  ) throws -> Transcription {
    switch self {
    case .greedy:
      let frames = logits.count / classes
      let ids = GreedyDecoding.frameIds(logits, shape: [1, frames, classes], row: 0, frames: frames)
      return Transcription(
        path: path, frameIds: ids, tokenizer: tokenizer, samplesPerFrame: samplesPerFrame, samplingRate: samplingRate, duration: duration,
        includesWords: includesWords)
    case .beamSearch(let decoder, let options):
      let best = try decoder.decodeBeams(logits: logits, options: options).first
      let words = best?.words.map {
        WordOffset(word: $0.word, start: $0.start, end: $0.end).timed(samplesPerFrame: samplesPerFrame, samplingRate: samplingRate)
      }
      return Transcription(path: path, text: best?.text ?? "", words: includesWords ? words ?? [] : nil, duration: duration)
    }
  }

  public var isBeamSearch: Bool {
    if case .beamSearch = self { return true }
    return false
  }
}
