import Foundation

/// The beam-search decoder a `Wav2Vec2ProcessorWithLM` folder carries, as pyctcdecode's
/// `BeamSearchDecoderCTC.save_to_dir` writes it beside the model:
///
/// ```
/// alphabet.json                 {"labels": [...], "is_bpe": false}
/// language_model/attrs.json     {"alpha": 0.5, "beta": 1.5, "unk_score_offset": -10.0, "score_boundary": true}
/// language_model/unigrams.txt   the known words, one a line
/// language_model/NAME.arpa      the n-gram model (.arpa, or KenLM's binary .bin / .binary)
/// ```
///
/// Only the paths and the small JSON files are read here; the language model itself is parsed
/// when a command decodes with it.
public struct DecoderFiles: Equatable, Sendable {
  public static let alphabetFile = "alphabet.json"
  public static let languageModelFolder = "language_model"

  /// alphabet.json, when the folder has one.
  public var alphabetPath: String?
  public var languageModel: LanguageModelFiles?

  /// The decoder files of a model folder; nil when it has neither.
  public static func read(modelFolder folder: String) throws(FormatError) -> DecoderFiles? {
    let alphabet = folder + "/" + alphabetFile
    let languageModel = folder + "/" + languageModelFolder
    var isDirectory: ObjCBool = false
    let hasLanguageModel = FileManager.default.fileExists(atPath: languageModel, isDirectory: &isDirectory)
    if hasLanguageModel && !isDirectory.boolValue { throw FormatError(languageModel, "is a file, expected pyctcdecode's language model folder") }
    let hasAlphabet = FileManager.default.fileExists(atPath: alphabet)
    guard hasAlphabet || hasLanguageModel else { return nil }
    return DecoderFiles(alphabetPath: hasAlphabet ? alphabet : nil, languageModel: hasLanguageModel ? try LanguageModelFiles.read(folder: languageModel) : nil)
  }

  /// Copies the files into `folder` (a model folder being saved). Hard links where the file
  /// system allows: a language model can be gigabytes, and every checkpoint saves the folder.
  public func copy(into folder: String) throws(FormatError) {
    if let alphabetPath { try Self.place(alphabetPath, at: folder + "/" + Self.alphabetFile) }
    guard let languageModel else { return }
    let destination = folder + "/" + Self.languageModelFolder
    guard URL(fileURLWithPath: languageModel.folder).standardizedFileURL != URL(fileURLWithPath: destination).standardizedFileURL else { return }
    do { try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true) } catch {
      throw FormatError(destination, "cannot create the folder: \(fileErrorReason(error))")
    }
    for file in [languageModel.attributesPath, languageModel.unigramsPath, languageModel.modelPath].compactMap({ $0 }) {
      try Self.place(file, at: destination + "/" + URL(fileURLWithPath: file).lastPathComponent)
    }
  }

  private static func place(_ source: String, at destination: String) throws(FormatError) {
    let (from, to) = (URL(fileURLWithPath: source).standardizedFileURL, URL(fileURLWithPath: destination).standardizedFileURL)
    guard from != to else { return }
    try? FileManager.default.removeItem(at: to)
    do {
      do { try FileManager.default.linkItem(at: from, to: to) } catch { try FileManager.default.copyItem(at: from, to: to) }
    } catch {
      throw FormatError(destination, "cannot copy \(source) here: \(fileErrorReason(error))")
    }
  }
}

/// pyctcdecode's serialised `LanguageModel`: a folder with attrs.json, unigrams.txt and one
/// KenLM file (`LanguageModel.parse_directory_contents`).
public struct LanguageModelFiles: Equatable, Sendable {
  public var folder: String
  public var attributesPath: String
  public var unigramsPath: String?
  /// The n-gram model: .arpa, or KenLM's binary (.bin, .binary), which asrc cannot read.
  public var modelPath: String
  public var alpha: Double
  public var beta: Double
  public var unknownScoreOffset: Double
  public var scoreBoundary: Bool

  public var isKenLMBinary: Bool { !modelPath.lowercased().hasSuffix(".arpa") }

  public static func read(folder: String) throws(FormatError) -> LanguageModelFiles {
    let contents: [String]
    do { contents = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") && !$0.hasPrefix("__") }.sorted() } catch {
      throw FormatError(folder, "cannot list the language model folder: \(fileErrorReason(error))")
    }
    let models = contents.filter { [".arpa", ".bin", ".binary"].contains(where: $0.lowercased().hasSuffix) }
    guard models.count == 1 else {
      throw FormatError(
        folder,
        models.isEmpty
          ? "has no language model file (.arpa, .bin or .binary); it holds \(contents.isEmpty ? "nothing" : contents.joined(separator: ", "))"
          : "has \(models.count) language model files (\(models.joined(separator: ", "))); pyctcdecode's folder holds one")
    }
    let attributesPath = folder + "/attrs.json"
    guard contents.contains("attrs.json") else {
      throw FormatError(folder, "has no attrs.json (alpha, beta, unk_score_offset and score_boundary of pyctcdecode's language model)")
    }
    let attributes = try FileIO.json(attributesPath)
    func number(_ key: String) throws(FormatError) -> Double {
      guard let value = attributes[key] as? NSNumber, !isJSONBoolean(value) else {
        throw FormatError(attributesPath, "\"\(key)\" must be a number (pyctcdecode writes alpha, beta, unk_score_offset and score_boundary)")
      }
      return value.doubleValue
    }
    guard let boundary = attributes["score_boundary"] as? NSNumber, isJSONBoolean(boundary) else {
      throw FormatError(attributesPath, "\"score_boundary\" must be true or false")
    }
    return LanguageModelFiles(
      folder: folder, attributesPath: attributesPath, unigramsPath: contents.contains("unigrams.txt") ? folder + "/unigrams.txt" : nil,
      modelPath: folder + "/" + models[0], alpha: try number("alpha"), beta: try number("beta"), unknownScoreOffset: try number("unk_score_offset"),
      scoreBoundary: boundary.boolValue)
  }

  /// unigrams.txt's words (pyctcdecode reads it with `splitlines()`), or nil without the file.
  public func unigrams() throws(FormatError) -> [String]? {
    guard let unigramsPath else { return nil }
    let text = String(decoding: try FileIO.read(unigramsPath), as: UTF8.self)
    return text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" }).map(String.init)
      .filter { !$0.isEmpty }
  }
}
