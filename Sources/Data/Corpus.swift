/// One utterance of a corpus: its audio file and transcript.
public struct Utterance: Sendable, Hashable {
  /// A stable identifier: the audio path relative to the corpus root, without extension.
  public var id: String
  public var audioPath: String
  public var text: String
  public var speaker: String?

  public init(id: String, audioPath: String, text: String, speaker: String? = nil) {
    self.id = id
    self.audioPath = audioPath
    self.text = text
    self.speaker = speaker
  }
}

/// An entry left out, with the file it concerns and why. Nothing is dropped without one.
public struct SkippedEntry: Sendable, Hashable, CustomStringConvertible {
  public var path: String
  public var reason: String
  public init(path: String, reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }
}

/// A corpus as read from disk.
public struct Corpus: Sendable {
  public enum Layout: String, Sendable {
    case timit = "TIMIT"
    case librispeech = "LibriSpeech"
    case manifest = "manifest"
    /// Several corpora of different layouts read as one (`CorpusReader.load(_: [String])`).
    case mixed = "mixed layouts"
  }
  public var root: String
  public var layout: Layout
  public var utterances: [Utterance]
  public var skipped: [SkippedEntry]
}

/// Why a corpus could not be read at all.
public struct DataError: Error, CustomStringConvertible, Equatable {
  public var path: String
  public var reason: String
  public init(_ path: String, _ reason: String) {
    self.path = path
    self.reason = reason
  }
  public var description: String { "\(path): \(reason)" }
}

/// Groups skipped entries by reason for a summary ("12 × missing transcript").
public func skipSummary(_ skipped: [SkippedEntry], examples: Int = 3) -> String {
  guard !skipped.isEmpty else { return "nothing skipped" }
  var byReason: [String: [SkippedEntry]] = [:]
  for entry in skipped { byReason[reasonKind(entry.reason), default: []].append(entry) }
  return byReason.sorted { $0.value.count > $1.value.count }.map { reason, entries in
    let shown = entries.prefix(examples).map { "    \($0)" }.joined(separator: "\n")
    return "  \(entries.count) × \(reason)\n\(shown)" + (entries.count > examples ? "\n    …" : "")
  }.joined(separator: "\n")
}

/// The reason without its specifics (numbers, quoted characters), for grouping.
private func reasonKind(_ reason: String) -> String {
  let cut = reason.firstIndex { $0 == ":" || $0 == "(" } ?? reason.endIndex
  return String(reason[..<cut]).trimmingCharacters(in: .whitespaces)
}

import Foundation
