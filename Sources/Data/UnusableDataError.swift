/// A data set none of whose utterances could be used: training on it or measuring on it would
/// report numbers computed from nothing, so it is an error naming the data and every skip reason.
public struct UnusableDataError: Error, CustomStringConvertible, Equatable {
  /// The corpus folder or manifest.
  public var data: String
  /// What the utterances were for ("training", "evaluation", "a vocabulary").
  public var purpose: String
  public var skipped: [SkippedEntry]

  public init(data: String, purpose: String, skipped: [SkippedEntry]) {
    self.data = data
    self.purpose = purpose
    self.skipped = skipped
  }

  public var description: String {
    let head = "\(data): zero utterances usable for \(purpose)"
    return skipped.isEmpty ? head + " (the data holds none)" : head + "; skipped \(skipped.count):\n" + skipSummary(skipped)
  }
}
