/// Word and character error rates as jiwer computes them: the edit distance (substitutions,
/// deletions, insertions) summed over all utterances, divided by the reference length summed
/// over all utterances. When every reference is empty, jiwer returns the number of insertions
/// (the errors), not a ratio.
public struct ErrorRate: Sendable, Equatable {
  public var errors = 0
  public var referenceLength = 0

  public init() {}

  /// Errors per reference token. Over an empty reference jiwer counts the insertions, and so
  /// does this (checked against jiwer by ErrorRateTests); an evaluation of nothing is refused
  /// before it gets here (Evaluator).
  public var rate: Double { referenceLength == 0 ? Double(errors) : Double(errors) / Double(referenceLength) }

  public mutating func add(reference: [String], hypothesis: [String]) {
    errors += editDistance(reference, hypothesis)
    referenceLength += reference.count
  }

  /// jiwer's default word transform (RemoveMultipleSpaces, Strip, ReduceToListOfListOfWords):
  /// runs of two or more whitespace characters become one space, the ends are stripped, and
  /// words are split on spaces only (a single tab or newline stays inside a word).
  public static func words(_ text: String) -> [String] {
    var collapsed = String.UnicodeScalarView()
    var run = String.UnicodeScalarView()
    func flush() {
      collapsed.append(contentsOf: run.count >= 2 ? " ".unicodeScalars : run)
      run.removeAll()
    }
    for scalar in text.unicodeScalars {
      if scalar.properties.isWhitespace {
        run.append(scalar)
      } else {
        flush()
        collapsed.append(scalar)
      }
    }
    flush()
    return String(collapsed).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ").map(String.init)
  }

  /// jiwer's CER (Strip, ReduceToListOfListOfChars): the code points of the text with
  /// surrounding whitespace stripped (spaces inside count, runs of them too).
  public static func characters(_ text: String) -> [String] {
    text.trimmingCharacters(in: .whitespacesAndNewlines).unicodeScalars.map { String($0) }
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
