import Decoding
import Formats

/// A word of a transcript with the logits frames it spans (`end` exclusive), as
/// Wav2Vec2CTCTokenizer's `word_offsets`: the same value as the beam search's words.
public typealias WordOffset = WordFrames

/// A word with start and end in seconds: the pipeline's `return_timestamps="word"` chunks,
/// `offset * inputs_to_logits_ratio / sampling_rate`.
public struct TimedWord: Equatable, Sendable {
  public var word: String
  public var start: Double
  public var end: Double

  public init(word: String, start: Double, end: Double) {
    self.word = word
    self.start = start
    self.end = end
  }
}

extension CTCTokenizer {
  /// Word offsets of a frame-level id sequence exactly as `decode(ids, output_word_offsets=True)`:
  /// repeats grouped, each group's frames `[start, end)`, blanks dropped, the word delimiter
  /// replaced by its character, and consecutive non-delimiter characters joined into words
  /// (`_compute_offsets` and `_get_word_offsets`). Characters keep their case even when the
  /// tokenizer lower-cases its text, as transformers' offsets do.
  public func wordOffsets(_ ids: [Int]) -> [WordOffset] {
    var characters: [(text: String, start: Int, end: Int)] = []
    var previous: String?
    for (frame, id) in ids.enumerated() {
      let token = tokens[id] ?? unknownToken
      if token == previous {
        // The same group: a character's group was appended when it began.
        if token != padToken { characters[characters.count - 1].end = frame + 1 }
      } else if token != padToken {
        characters.append((token == wordDelimiterToken ? replaceWordDelimiterCharacter : token, frame, frame + 1))
      }
      previous = token
    }
    var words: [WordOffset] = []
    var current: WordOffset?
    for character in characters {
      if character.text == replaceWordDelimiterCharacter {
        if let word = current { words.append(word) }
        current = nil
      } else if current == nil {
        current = WordOffset(word: character.text, start: character.start, end: character.end)
      } else {
        current!.word += character.text
        current!.end = character.end
      }
    }
    if let word = current { words.append(word) }
    return words
  }
}

extension WordOffset {
  /// Seconds from frames: `frame * framesToSamples / samplingRate`.
  public func timed(samplesPerFrame: Int, samplingRate: Int) -> TimedWord {
    TimedWord(
      word: word, start: Double(start * samplesPerFrame) / Double(samplingRate), end: Double(end * samplesPerFrame) / Double(samplingRate))
  }
}
