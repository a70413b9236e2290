/// Word and character error rates as jiwer computes them: the edit distance (substitutions,
/// deletions, insertions) summed over all utterances, divided by the reference length summed
/// over all utterances.
public struct ErrorRate: Sendable, Equatable {
  public var errors = 0
  public var referenceLength = 0

  public init() {}

  /// Errors per reference token; nil over an empty reference, where jiwer refuses as well.
  public var rate: Double? { referenceLength == 0 ? nil : Double(errors) / Double(referenceLength) }

  public mutating func add(reference: [String], hypothesis: [String]) {
    errors += editDistance(reference, hypothesis)
    referenceLength += reference.count
  }

  /// jiwer's default word transform: words split on whitespace.
  public static func words(_ text: String) -> [String] { text.split(whereSeparator: \.isWhitespace).map(String.init) }

  /// jiwer's CER: characters of the text with surrounding whitespace stripped (spaces inside count).
  public static func characters(_ text: String) -> [String] {
    Array(text.trimmingCharacters(in: .whitespacesAndNewlines)).map(String.init)
  }
}

/// Levenshtein distance between token sequences.
public func editDistance(_ a: [String], _ b: [String]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = Swift.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

import Foundation
