import Foundation

/// Reads TIMIT trees, LibriSpeech trees and manifests (.csv, .tsv, .jsonl).
///
/// - TIMIT: any folder whose audio files (`NAME.WAV`, any case) have `NAME.TXT` beside them,
///   e.g. `TIMIT/TRAIN` (`DRn/SPEAKER/NAME.WAV` + `NAME.TXT` holding `start end text`).
/// - LibriSpeech: `*.trans.txt` files (`ID text` per line) beside `ID.flac`.
/// - Manifests: a file with a `path` or `audio` column and a `text` column; relative paths
///   resolve against the manifest's folder.
public enum CorpusReader {
  static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "sph", "nist", "aiff", "aif", "au"]

  public static func load(_ path: String) throws(DataError) -> Corpus {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { throw DataError(path, "no such file or folder") }
    if !isDirectory.boolValue {
      return try ManifestReader.load(path)
    }
    let files = try listFiles(path)
    if files.contains(where: { $0.lowercased().hasSuffix(".trans.txt") }) {
      return try librispeech(root: path, files: files)
    }
    return try timit(root: path, files: files)
  }

  static func listFiles(_ root: String) throws(DataError) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: root) else { throw DataError(root, "cannot list the folder") }
    var files: [String] = []
    while let relative = enumerator.nextObject() as? String {
      if enumerator.fileAttributes?[.type] as? FileAttributeType == .typeRegular { files.append(relative) }
    }
    return files.sorted()
  }

  static func timit(root: String, files: [String]) throws(DataError) -> Corpus {
    // Transcripts by lowercased path without extension.
    var transcripts: [String: String] = [:]
    for file in files where file.lowercased().hasSuffix(".txt") { transcripts[String(file.dropLast(4)).lowercased()] = file }
    var utterances: [Utterance] = []
    var skipped: [SkippedEntry] = []
    for file in files {
      let ext = (file as NSString).pathExtension.lowercased()
      guard audioExtensions.contains(ext) else { continue }
      let stem = String(file.dropLast(ext.count + 1))
      let audioPath = root + "/" + file
      guard let transcriptFile = transcripts[stem.lowercased()] else {
        skipped.append(SkippedEntry(path: audioPath, reason: "missing transcript (no \((stem as NSString).lastPathComponent).TXT beside it)"))
        continue
      }
      let transcriptPath = root + "/" + transcriptFile
      guard let raw = (try? String(contentsOfFile: transcriptPath, encoding: .utf8)) ?? (try? String(contentsOfFile: transcriptPath, encoding: .isoLatin1)) else {
        skipped.append(SkippedEntry(path: transcriptPath, reason: "unreadable transcript"))
        continue
      }
      let text = timitText(raw)
      guard !text.isEmpty else {
        skipped.append(SkippedEntry(path: transcriptPath, reason: "empty transcript"))
        continue
      }
      let components = stem.split(separator: "/")
      let speaker = components.count >= 2 ? String(components[components.count - 2]) : nil
      utterances.append(Utterance(id: stem, audioPath: audioPath, text: text, speaker: speaker))
    }
    guard !utterances.isEmpty || !skipped.isEmpty else {
      throw DataError(root, "no corpus found: expected TIMIT-style NAME.WAV + NAME.TXT pairs, LibriSpeech *.trans.txt files, or a .csv/.tsv/.jsonl manifest")
    }
    return Corpus(root: root, layout: .timit, utterances: utterances, skipped: skipped)
  }

  /// TIMIT's `start end text` (the sample range is optional elsewhere).
  static func timitText(_ raw: String) -> String {
    var words = raw.split(whereSeparator: \.isWhitespace)
    if words.count >= 2, Int(words[0]) != nil, Int(words[1]) != nil { words.removeFirst(2) }
    return words.joined(separator: " ")
  }

  static func librispeech(root: String, files: [String]) throws(DataError) -> Corpus {
    let audioByStem = Dictionary(
      files.filter { audioExtensions.contains(($0 as NSString).pathExtension.lowercased()) }
        .map { (String($0.dropLast(($0 as NSString).pathExtension.count + 1)).lowercased(), $0) },
      uniquingKeysWith: { first, _ in first })
    var utterances: [Utterance] = []
    var skipped: [SkippedEntry] = []
    var transcribed = Set<String>()
    for file in files where file.lowercased().hasSuffix(".trans.txt") {
      let transcriptPath = root + "/" + file
      guard let contents = try? String(contentsOfFile: transcriptPath, encoding: .utf8) else {
        skipped.append(SkippedEntry(path: transcriptPath, reason: "unreadable transcript file"))
        continue
      }
      let folder = (file as NSString).deletingLastPathComponent
      for (number, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { continue }
        let parts = trimmed.split(separator: " ", maxSplits: 1)
        guard parts.count == 2 else {
          skipped.append(SkippedEntry(path: "\(transcriptPath):\(number + 1)", reason: "malformed line (expected ID and text)"))
          continue
        }
        let id = String(parts[0])
        let stem = folder.isEmpty ? id : folder + "/" + id
        transcribed.insert(stem.lowercased())
        guard let audio = audioByStem[stem.lowercased()] else {
          skipped.append(SkippedEntry(path: "\(transcriptPath):\(number + 1)", reason: "missing audio (no \(id).flac beside the transcript)"))
          continue
        }
        let speaker = id.split(separator: "-").first.map(String.init)
        utterances.append(Utterance(id: stem, audioPath: root + "/" + audio, text: String(parts[1]), speaker: speaker))
      }
    }
    for (stem, file) in audioByStem.sorted(by: { $0.key < $1.key }) where !transcribed.contains(stem) {
      skipped.append(SkippedEntry(path: root + "/" + file, reason: "missing transcript (no line in a .trans.txt)"))
    }
    return Corpus(root: root, layout: .librispeech, utterances: utterances.sorted { $0.id < $1.id }, skipped: skipped)
  }
}
