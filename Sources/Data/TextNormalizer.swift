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

  /// Normalises a transcript. With a vocabulary whose letters are all upper case (the facebook
  /// checkpoints' layout), the text is upper-cased instead of lower-cased.
  public func normalize(_ text: String, vocabulary: Set<Character>? = nil) -> String {
    var result = ""
    var cased = text
    if lowercase {
      let upperOnly = vocabulary.map { letters in letters.contains(where: \.isUppercase) && !letters.contains(where: \.isLowercase) } ?? false
      cased = upperOnly ? text.uppercased() : text.lowercased()
    }
    for character in cased {
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
