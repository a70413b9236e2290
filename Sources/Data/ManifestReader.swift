import Foundation

/// Manifests: `.csv` / `.tsv` with a header row, or `.jsonl` with one object per line, each
/// naming the audio in `path` (or `audio`) and the transcript in `text`.
/// Relative audio paths resolve against the manifest's own folder, made absolute from the
/// working directory when the manifest's path is relative.
public enum ManifestReader {
  static func load(_ path: String) throws(DataError) -> Corpus {
    try checkExtension(path)
    let bytes: Data
    do { bytes = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
      throw DataError(path, "cannot read the manifest: \(error.localizedDescription)")
    }
    return try parse(bytes, path: path)
  }

  /// A manifest's bytes; `path` gives the format (by extension), the folder relative audio
  /// paths resolve against, and the name in errors.
  public static func parse(_ bytes: Data, path: String) throws(DataError) -> Corpus {
    try checkExtension(path)
    let ext = (path as NSString).pathExtension.lowercased()
    guard let contents = String(data: bytes, encoding: .utf8) else { throw DataError(path, "cannot read the manifest as UTF-8 text") }
    let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
    let rows: [(line: Int, fields: [String: String])]
    var skipped: [SkippedEntry] = []
    if ext == "jsonl" {
      var parsed: [(Int, [String: String])] = []
      for (index, line) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(trimmed.utf8))) as? [String: Any] else {
          skipped.append(SkippedEntry(path: "\(path):\(index + 1)", reason: "not a JSON object"))
          continue
        }
        parsed.append((index + 1, object.compactMapValues { $0 as? String }))
      }
      rows = parsed
    } else {
      let (table, unclosedQuoteLine) = parseDelimited(contents, separator: ext == "tsv" ? "\t" : ",")
      if let line = unclosedQuoteLine {
        throw DataError(path, "line \(line): a quoted field is never closed (it runs to the end of the file)")
      }
      guard let header = table.first else { throw DataError(path, "the manifest is empty") }
      rows = table.dropFirst().enumerated().compactMap { index, cells in
        if cells.count == 1 && cells[0].isEmpty { return nil }
        guard cells.count == header.count else {
          skipped.append(SkippedEntry(path: "\(path):\(index + 2)", reason: "has \(cells.count) fields, the header has \(header.count)"))
          return nil
        }
        return (index + 2, Dictionary(zip(header, cells), uniquingKeysWith: { first, _ in first }))
      }
      let columns = Set(header)
      guard columns.contains("path") || columns.contains("audio"), columns.contains("text") else {
        throw DataError(path, "the header needs a path (or audio) column and a text column, found \(header.joined(separator: ", "))")
      }
    }
    var utterances: [Utterance] = []
    for (line, fields) in rows {
      guard let audio = fields["path"] ?? fields["audio"], !audio.isEmpty else {
        skipped.append(SkippedEntry(path: "\(path):\(line)", reason: "no path or audio field"))
        continue
      }
      guard let text = fields["text"], !text.trimmingCharacters(in: .whitespaces).isEmpty else {
        skipped.append(SkippedEntry(path: "\(path):\(line)", reason: "missing transcript (no text field)"))
        continue
      }
      let resolved = audio.hasPrefix("/") ? audio : folder + "/" + audio
      let id = fields["id"] ?? (audio as NSString).deletingPathExtension
      utterances.append(Utterance(id: id, audioPath: resolved, text: text, speaker: fields["speaker"]))
    }
    return Corpus(root: path, layout: .manifest, utterances: utterances, skipped: skipped)
  }

  private static func checkExtension(_ path: String) throws(DataError) {
    guard ["csv", "tsv", "jsonl"].contains((path as NSString).pathExtension.lowercased()) else {
      throw DataError(path, "not a corpus: a file must be a .csv, .tsv or .jsonl manifest (folders are read as TIMIT or LibriSpeech trees)")
    }
  }

  /// RFC 4180 style: quoted fields may hold separators, newlines and doubled quotes. Also returns
  /// the line of a quote still open at the end of the text.
  static func parseDelimited(_ text: String, separator: Character) -> (rows: [[String]], unclosedQuoteLine: Int?) {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var line = 1
    var quoteLine = 1
    var iterator = text.makeIterator()
    while let character = iterator.next() {
      if quoted {
        if character == "\"" {
          if let next = iterator.next() {
            if next == "\"" {
              field.append("\"")
            } else {
              quoted = false
              if next == separator {
                row.append(field)
                field = ""
              } else if next == "\n" || next == "\r\n" {
                line += 1
                row.append(field)
                rows.append(row)
                row = []
                field = ""
              } else {
                field.append(next)
              }
            }
          } else {
            quoted = false
          }
        } else {
          if character == "\n" || character == "\r\n" { line += 1 }
          field.append(character)
        }
      } else if character == "\"" && field.isEmpty {
        quoted = true
        quoteLine = line
      } else if character == separator {
        row.append(field)
        field = ""
      } else if character == "\n" || character == "\r\n" {
        line += 1
        row.append(field)
        rows.append(row)
        row = []
        field = ""
      } else if character != "\r" {
        field.append(character)
      }
    }
    if !field.isEmpty || !row.isEmpty {
      row.append(field)
      rows.append(row)
    }
    return (rows, quoted ? quoteLine : nil)
  }
}
