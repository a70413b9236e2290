import Foundation

/// Wav2Vec2CTCTokenizer: a flat character vocabulary, a word delimiter for spaces and the pad
/// token as the CTC blank.
public struct CTCTokenizer: Equatable, Sendable {
  public var vocabulary: [String: Int]
  public var padToken = "<pad>"
  public var unknownToken = "<unk>"
  public var wordDelimiterToken = "|"
  public var replaceWordDelimiterCharacter = " "
  public var doLowerCase = false
  public var cleanUpTokenizationSpaces = false
  /// Tokens by id (vocabulary and added tokens).
  public private(set) var tokens: [Int: String]

  public init(vocabulary: [String: Int], padToken: String = "<pad>", unknownToken: String = "<unk>", wordDelimiterToken: String = "|") {
    self.vocabulary = vocabulary
    self.padToken = padToken
    self.unknownToken = unknownToken
    self.wordDelimiterToken = wordDelimiterToken
    tokens = Dictionary(vocabulary.map { ($0.value, $0.key) }, uniquingKeysWith: { first, _ in first })
  }

  public var padId: Int? { vocabulary[padToken] }

  /// Reads vocab.json, tokenizer_config.json and added_tokens.json from a Hugging Face folder.
  public static func read(folder: String) throws(FormatError) -> CTCTokenizer {
    try read(vocabularyFile: folder + "/vocab.json", folder: folder)
  }

  /// Reads a vocabulary file, with the tokenizer settings of `folder` when it has them. A
  /// vocabulary in the guide's layout (`[PAD]`, `[UNK]`) without settings gets those as the
  /// pad and unknown tokens.
  public static func read(vocabularyFile vocabPath: String, folder: String) throws(FormatError) -> CTCTokenizer {
    guard FileManager.default.fileExists(atPath: vocabPath) else { throw FormatError(vocabPath, "missing: the CTC vocabulary is required") }
    var tokenizer = CTCTokenizer(vocabulary: try vocabulary(try FileIO.json(vocabPath), path: vocabPath))
    let configPath = folder + "/tokenizer_config.json"
    if tokenizer.vocabulary["[PAD]"] != nil && tokenizer.vocabulary["<pad>"] == nil {
      tokenizer.padToken = "[PAD]"
      tokenizer.unknownToken = "[UNK]"
    }
    if FileManager.default.fileExists(atPath: configPath) {
      let config = try FileIO.json(configPath)
      func token(_ key: String) -> String? {
        if let text = config[key] as? String { return text }
        return (config[key] as? [String: Any])?["content"] as? String
      }
      tokenizer.padToken = token("pad_token") ?? tokenizer.padToken
      tokenizer.unknownToken = token("unk_token") ?? tokenizer.unknownToken
      tokenizer.wordDelimiterToken = token("word_delimiter_token") ?? tokenizer.wordDelimiterToken
      tokenizer.replaceWordDelimiterCharacter = config["replace_word_delimiter_char"] as? String ?? " "
      tokenizer.doLowerCase = config["do_lower_case"] as? Bool ?? false
      tokenizer.cleanUpTokenizationSpaces = config["clean_up_tokenization_spaces"] as? Bool ?? false
    }
    let addedPath = folder + "/added_tokens.json"
    if FileManager.default.fileExists(atPath: addedPath) {
      for (token, id) in try FileIO.json(addedPath) {
        if let number = id as? NSNumber, let value = exactInteger(number), tokenizer.tokens[value] == nil { tokenizer.tokens[value] = token }
      }
    }
    guard tokenizer.padId != nil else {
      throw FormatError(vocabPath, "the pad token \(tokenizer.padToken) (the CTC blank) is not in the vocabulary")
    }
    return tokenizer
  }

  /// A vocab.json's bytes, with the default token settings (or the guide's `[PAD]` and `[UNK]`
  /// when the vocabulary uses them); `path` names the file in errors.
  public static func parse(vocabulary bytes: Data, path: String) throws(FormatError) -> CTCTokenizer {
    var tokenizer = CTCTokenizer(vocabulary: try vocabulary(try FileIO.jsonObject(bytes, path: path), path: path))
    if tokenizer.vocabulary["[PAD]"] != nil && tokenizer.vocabulary["<pad>"] == nil {
      tokenizer.padToken = "[PAD]"
      tokenizer.unknownToken = "[UNK]"
    }
    guard tokenizer.padId != nil else {
      throw FormatError(path, "the pad token \(tokenizer.padToken) (the CTC blank) is not in the vocabulary")
    }
    return tokenizer
  }

  private static func vocabulary(_ json: [String: Any], path: String) throws(FormatError) -> [String: Int] {
    var vocabulary: [String: Int] = [:]
    for (token, id) in json {
      guard let number = id as? NSNumber, !isJSONBoolean(id), let value = exactInteger(number) else {
        throw FormatError(path, "token \(token) maps to \(id), expected an integer id (multi-language vocabularies are not supported)")
      }
      vocabulary[token] = value
    }
    guard !vocabulary.isEmpty else { throw FormatError(path, "the vocabulary is empty") }
    return vocabulary
  }

  /// Greedy CTC decoding exactly as `Wav2Vec2CTCTokenizer.decode`: group repeated ids, drop the
  /// blank, turn the word delimiter into a space, join, strip.
  public func decode(_ ids: [Int]) -> String {
    var grouped: [String] = []
    var previous: String?
    for id in ids {
      let token = tokens[id] ?? unknownToken
      if token != previous { grouped.append(token) }
      previous = token
    }
    let characters = grouped.filter { $0 != padToken }.map { $0 == wordDelimiterToken ? replaceWordDelimiterCharacter : $0 }
    var text = characters.joined().trimmingCharacters(in: .whitespacesAndNewlines)
    if doLowerCase { text = text.lowercased() }
    if cleanUpTokenizationSpaces {
      for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
        text = text.replacingOccurrences(of: from, with: to)
      }
    }
    return text
  }

  /// The tokenizer files of a Hugging Face folder.
  public var tokenizerConfigJSON: [String: Any] {
    [
      "tokenizer_class": "Wav2Vec2CTCTokenizer", "processor_class": "Wav2Vec2Processor", "pad_token": padToken, "unk_token": unknownToken,
      "word_delimiter_token": wordDelimiterToken, "replace_word_delimiter_char": replaceWordDelimiterCharacter, "do_lower_case": doLowerCase,
      "clean_up_tokenization_spaces": cleanUpTokenizationSpaces, "bos_token": "<s>", "eos_token": "</s>",
    ]
  }
}

extension CTCTokenizer {
  /// facebook/wav2vec2-base-960h's 32-token character vocabulary (blank `<pad>` = 0), for
  /// models made from a preset configuration.
  public static let facebookCharacters: CTCTokenizer = {
    let tokens = ["<pad>", "<s>", "</s>", "<unk>", "|"] + "ETAONIHSRDLUMWCFGYPBVK'XJQZ".map(String.init)
    return CTCTokenizer(vocabulary: Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, $0) }))
  }()
}
