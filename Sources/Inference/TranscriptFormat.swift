import Foundation

/// How `asrc transcribe` writes results.
///
/// - `text`: `path<TAB>text`, one line per file (the original output).
/// - `tsv`: a `path start end text` header, then one row per word when word timings exist,
///   otherwise one row per file spanning the whole audio; seconds with millisecond precision.
/// - `json`: one JSON object per file and line (JSON Lines): `path`, `text` and, with word
///   timings, `words` as `{word, start, end}` in seconds.
/// - `srt`, `vtt`: subtitles; consecutive words share a cue up to ``maximumCueCharacters``
///   (the usual subtitle line length), each cue from its first word's start to its last's end.
public enum TranscriptFormat: String, CaseIterable, Sendable {
  case text, tsv, json, srt, vtt

  /// Longest cue text in subtitle formats, the common 42-character line.
  public static let maximumCueCharacters = 42

  /// The extension of a file in this format.
  public var fileExtension: String { self == .text ? "txt" : rawValue }

  /// Subtitles need word timings; the other formats only when asked for.
  public var needsWordTimings: Bool { self == .srt || self == .vtt }

  /// Whether one output can hold several files' results (text, tsv and JSON Lines can).
  public var holdsSeveralFiles: Bool { !needsWordTimings }

  /// What a stream of this format starts with, once, before any file's records.
  public var header: String {
    switch self {
    case .tsv: return "path\tstart\tend\ttext\n"
    case .vtt: return "WEBVTT\n\n"
    case .text, .json, .srt: return ""
    }
  }

  /// One file's records, without the header.
  public func records(_ transcription: Transcription) -> String {
    switch self {
    case .text:
      return "\(transcription.path)\t\(transcription.text)\n"
    case .tsv:
      guard let words = transcription.words else {
        return "\(transcription.path)\t\(Self.seconds(0))\t\(Self.seconds(transcription.duration))\t\(transcription.text)\n"
      }
      return words.map { "\(transcription.path)\t\(Self.seconds($0.start))\t\(Self.seconds($0.end))\t\($0.word)\n" }.joined()
    case .json:
      var object: [String: Any] = ["path": transcription.path, "text": transcription.text]
      if let words = transcription.words {
        object["words"] = words.map { ["word": $0.word, "start": Self.milliseconds($0.start), "end": Self.milliseconds($0.end)] as [String: Any] }
      }
      let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data("{}".utf8)
      return String(decoding: data, as: UTF8.self) + "\n"
    case .srt:
      return Self.cues(transcription.words ?? []).enumerated().map { index, cue in
        "\(index + 1)\n\(Self.timestamp(cue.start, separator: ",")) --> \(Self.timestamp(cue.end, separator: ","))\n\(cue.word)\n\n"
      }.joined()
    case .vtt:
      return Self.cues(transcription.words ?? []).map { cue in
        "\(Self.timestamp(cue.start, separator: ".")) --> \(Self.timestamp(cue.end, separator: "."))\n\(cue.word)\n\n"
      }.joined()
    }
  }

  /// A whole file in this format: the header and the file's records.
  public func document(_ transcription: Transcription) -> String { header + records(transcription) }

  /// Words grouped into cues of at most ``maximumCueCharacters`` (a longer word is a cue alone).
  public static func cues(_ words: [TimedWord]) -> [TimedWord] {
    var cues: [TimedWord] = []
    for word in words {
      if var last = cues.last, last.word.count + 1 + word.word.count <= maximumCueCharacters {
        last.word += " " + word.word
        last.end = word.end
        cues[cues.count - 1] = last
      } else {
        cues.append(word)
      }
    }
    return cues
  }

  /// `HH:MM:SS,mmm` (SubRip) or `HH:MM:SS.mmm` (WebVTT), rounded to the millisecond.
  public static func timestamp(_ seconds: Double, separator: String) -> String {
    let total = Int((seconds * 1000).rounded())
    let (hours, minutes, secs, millis) = (total / 3_600_000, total / 60_000 % 60, total / 1000 % 60, total % 1000)
    return String(format: "%02d:%02d:%02d", hours, minutes, secs) + separator + String(format: "%03d", millis)
  }

  /// Seconds with three decimals.
  static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

  /// Seconds rounded to the millisecond, for JSON numbers without binary noise.
  static func milliseconds(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}
