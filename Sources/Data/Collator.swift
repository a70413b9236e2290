import Formats
import Tensor

/// A padded training batch, as DataCollatorCTCWithPadding makes it.
public struct TrainingBatch: @unchecked Sendable {
  /// f32[B, S], normalised and padded by the feature extractor.
  public var inputValues: Tensor
  /// i64[B, S] when the feature extractor returns attention masks.
  public var attentionMask: Tensor?
  /// i64[B, L], padded with -100.
  public var labels: Tensor
  public var items: [Dataset.Item]
  /// Entries that failed while decoding this batch (already left out of it).
  public var skipped: [SkippedEntry]
  public var audioSeconds: Double { Double(items.reduce(0) { $0 + $1.sampleCount }) / 16000 }
}

/// Pads a batch as the fine-tuning guide's DataCollatorCTCWithPadding does: audio normalised
/// per utterance and padded with zeros, labels padded with -100.
public struct Collator: Sendable {
  public var featureExtractor: FeatureExtractor
  /// The guide's `pad_to_multiple_of`: the audio's padded width is rounded up to a multiple of
  /// this many samples, so that batches come in fewer shapes (compiled kernels planned per shape
  /// are reused). nil: the longest clip's width.
  public var padToMultipleOf: Int?

  public init(featureExtractor: FeatureExtractor, padToMultipleOf: Int? = nil) {
    self.featureExtractor = featureExtractor
    self.padToMultipleOf = padToMultipleOf
  }

  public func collate(_ items: [Dataset.Item], audio: [[Float]], skipped: [SkippedEntry] = []) -> TrainingBatch {
    let batch = featureExtractor.paddedBatch(audio, padToMultipleOf: padToMultipleOf)
    let width = items.map(\.labels.count).max() ?? 0
    var labels = [Int64](repeating: -100, count: items.count * width)
    for (row, item) in items.enumerated() {
      for (column, id) in item.labels.enumerated() { labels[row * width + column] = Int64(id) }
    }
    return TrainingBatch(
      inputValues: batch.inputValues, attentionMask: batch.attentionMask, labels: Tensor(labels, shape: [items.count, width]), items: items,
      skipped: skipped)
  }
}
