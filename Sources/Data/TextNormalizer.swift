import Foundation

/// Transcript normalisation as in the Hugging Face fine-tuning guide: lower case and remove
/// the characters `, ? . ! - ; : "`; additionally, when a vocabulary is given, punctuation it
/// lacks is removed too, and runs of whitespace become one space (a double space would become
/// a doubled word delimiter). Each step can be turned off.
public struct TextNormalizer: Sendable, Equatable {
  public var lowercase = true
  /// The guide's `chars_to_ignore_regex = '[\,\?\.\!\-\;\:\"]'`.
  public var charactersToIgnore: Set<Character> = [",", "?", ".", "!", "-", ";", ":", "\""]
  public var stripPunctuationOutsideVocabulary = true
  public var collapseWhitespace = true

  public init() {}

  public func normalize(_ text: String, vocabulary: Set<Character>? = nil) -> String {
    var result = ""
    for character in lowercase ? text.lowercased() : text {
      if charactersToIgnore.contains(character) { continue }
      if stripPunctuationOutsideVocabulary, let vocabulary, character.isPunctuation || character.isSymbol, !vocabulary.contains(character) {
        continue
      }
      result.append(character)
    }
    guard collapseWhitespace else { return result }
    return result.split(whereSeparator: \.isWhitespace).joined(separator: " ")
  }
}
