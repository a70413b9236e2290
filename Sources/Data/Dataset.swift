import Audio
import Foundation
import Formats
import Models

/// A corpus made ready for a model: transcripts normalised and tokenized, durations read from
/// the audio headers, and every entry that cannot train checked out with its reason.
public struct Dataset: Sendable {
  public struct Item: Sendable, Hashable {
    public var utterance: Utterance
    public var labels: [Int]
    /// Samples at 16 kHz (from the header: frames × 16000 / rate, rounded as soxr does).
    public var sampleCount: Int
    public var seconds: Double { Double(sampleCount) / 16000 }
  }

  public struct Options: Sendable {
    public var normalizer = TextNormalizer()
    public var minimumSeconds: Double?
    public var maximumSeconds: Double?
    /// Keep utterances with characters outside the vocabulary, encoding them as the unknown
    /// token (transformers' behaviour); by default they are skipped and reported.
    public var mapUnknownCharacters = false
    /// Keep utterances whose transcript CTC cannot align to the audio (their loss is infinite).
    public var keepUnalignable = false
    /// The speed perturbation training will apply (`--speed-perturb`): an utterance too short
    /// for CTC at some of these factors trains at the others and is listed in `speedLimited`;
    /// one too short at all of them is skipped.
    public var speedFactors: [Double] = []
    public init() {}

    /// For evaluation: every utterance whose audio the model can run is scored against its
    /// reference as written, so characters the model cannot produce count as errors rather
    /// than leaving the hard part of a test set out.
    public static var evaluation: Options {
      var options = Options()
      options.mapUnknownCharacters = true
      options.keepUnalignable = true
      return options
    }
  }

  public var items: [Item]
  public var skipped: [SkippedEntry]
  /// Utterances kept that cannot train at some of `Options.speedFactors`, and why.
  public var speedLimited: [SkippedEntry] = []
  public var corpus: Corpus
  /// Every character outside the vocabulary, with how many times it occurs, in the transcripts
  /// kept (mapped to the unknown token) and skipped alike.
  public var unknownCharacters: [Character: Int] = [:]

  public var totalSeconds: Double { items.reduce(0) { $0 + $1.seconds } }

  /// Checks every utterance: readable audio header, non-zero length, long enough for the
  /// model's receptive field, duration filters, vocabulary, and whether CTC can align the
  /// labels to the frames the audio yields (labels plus one blank between repeated characters).
  public static func prepare(_ corpus: Corpus, tokenizer: CTCTokenizer, model: Wav2Vec2Configuration, options: Options = Options()) -> Dataset {
    var items: [Item] = []
    var skipped = corpus.skipped
    var speedLimited: [SkippedEntry] = []
    var unknownCharacters: [Character: Int] = [:]
    let characters = tokenizer.characterSet
    for utterance in corpus.utterances {
      let path = utterance.audioPath
      let info: AudioInfo
      do { info = try AudioFile.info(path) } catch {
        skipped.append(SkippedEntry(path: path, reason: error.reason))
        continue
      }
      let samples = Int((Double(info.frames) * 16000 / Double(info.sampleRate)).rounded(.up))
      let seconds = Double(samples) / 16000
      if let minimum = options.minimumSeconds, seconds < minimum {
        skipped.append(SkippedEntry(path: path, reason: "shorter than --min-duration (\(format(seconds)) s < \(format(minimum)) s)"))
        continue
      }
      if let maximum = options.maximumSeconds, seconds > maximum {
        skipped.append(SkippedEntry(path: path, reason: "longer than --max-duration (\(format(seconds)) s > \(format(maximum)) s)"))
        continue
      }
      if samples < model.receptiveField {
        skipped.append(SkippedEntry(path: path, reason: "audio shorter than the model's receptive field (\(samples) samples < \(model.receptiveField))"))
        continue
      }
      let text = options.normalizer.normalize(utterance.text, vocabulary: characters)
      guard !text.isEmpty else {
        skipped.append(SkippedEntry(path: path, reason: "empty transcript after normalisation (\"\(utterance.text)\")"))
        continue
      }
      let (ids, unknown) = tokenizer.encode(text)
      for character in unknown { unknownCharacters[character, default: 0] += 1 }
      if !unknown.isEmpty && !options.mapUnknownCharacters {
        let shown = Set(unknown).sorted().map { "'\($0)'" }.joined(separator: ", ")
        skipped.append(SkippedEntry(path: path, reason: "characters outside the vocabulary: \(shown)"))
        continue
      }
      let frames = model.frameCount(samples: samples)
      let needed = framesNeeded(ids)
      if needed > frames && !options.keepUnalignable {
        skipped.append(SkippedEntry(path: path, reason: "transcript too long for the audio: CTC needs \(needed) frames, the audio yields \(frames)"))
        continue
      }
      // Speed perturbation shortens clips (factors above 1): each factor's clip is checked as
      // the clip itself was, as ESPnet filters each perturbed copy of its data.
      let speedProblems = options.speedFactors.compactMap { SpeedPerturbation.problem(factor: $0, samples: samples, labels: ids, model: model) }
      if !speedProblems.isEmpty {
        let entry = SkippedEntry(path: path, reason: speedProblems.joined(separator: "; "))
        guard speedProblems.count < options.speedFactors.count else {
          skipped.append(SkippedEntry(path: path, reason: "too short at every --speed-perturb factor: " + entry.reason))
          continue
        }
        speedLimited.append(entry)
      }
      var prepared = utterance
      prepared.text = text
      items.append(Item(utterance: prepared, labels: ids, sampleCount: samples))
    }
    return Dataset(items: items, skipped: skipped, speedLimited: speedLimited, corpus: corpus, unknownCharacters: unknownCharacters)
  }

  /// The frames CTC needs to align `labels`: one per label, plus a blank between repeats.
  public static func framesNeeded(_ labels: [Int]) -> Int {
    labels.count + zip(labels, labels.dropFirst()).filter { $0 == $1 }.count
  }

  /// "1,000 utterances, 0.62 h; skipped 3: …"
  public var summary: String {
    let hours = totalSeconds / 3600
    var text = "\(corpus.root) (\(corpus.layout.rawValue)): \(items.count) utterances, \(format(hours, digits: 2)) h"
    text += skipped.isEmpty ? ", nothing skipped" : ", skipped \(skipped.count):\n" + skipSummary(skipped)
    if !speedLimited.isEmpty {
      let count = speedLimited.count == 1 ? "1 utterance trains" : "\(speedLimited.count) utterances train"
      text += "\n  \(count) only at the --speed-perturb factors long enough for CTC:\n" + skipSummary(speedLimited)
    }
    if !unknownCharacters.isEmpty {
      let all = unknownCharacters.sorted { $0.key < $1.key }.map { "'\($0.key)' ×\($0.value)" }.joined(separator: ", ")
      text += "\n  characters outside the vocabulary (all \(unknownCharacters.count)): \(all)"
    }
    return text
  }
}

func format(_ value: Double, digits: Int = 2) -> String { String(format: "%.\(digits)f", value) }
