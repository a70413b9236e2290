import Formats
import IR
import Tensor

/// Wav2Vec2FeatureExtractor: zero-mean unit-variance normalisation and right padding into a batch.
///
/// Exactly as transformers does it: with an attention mask each clip is normalised over its own
/// samples and the padding is `padding_value`; without one the batch is padded first and each
/// padded row normalised as a whole (so padding changes group-norm models' inputs, as it does
/// in transformers).
public struct FeatureExtractor: Sendable {
  public var settings: FeatureExtractorSettings

  public init(settings: FeatureExtractorSettings) { self.settings = settings }

  public struct Batch {
    /// f32[B, S]
    public var inputValues: Tensor
    /// i64[B, S] when the settings ask for an attention mask.
    public var attentionMask: Tensor?
    public var lengths: [Int]
  }

  /// `multiple`: the width is rounded up to a multiple of it (the processor's
  /// `pad_to_multiple_of`).
  public func batch(_ clips: [[Float]], padToMultipleOf multiple: Int? = nil) -> Batch {
    let width = Self.width(longest: clips.map(\.count).max() ?? 0, multiple: multiple)
    var values = [Float](repeating: Float(settings.paddingValue), count: clips.count * width)
    var mask = [Int64](repeating: 0, count: clips.count * width)
    for (row, clip) in clips.enumerated() {
      for (index, sample) in clip.enumerated() {
        values[row * width + index] = sample
        mask[row * width + index] = 1
      }
      guard settings.doNormalize else { continue }
      if settings.returnAttentionMask {
        let normalized = Self.normalize(clip)
        for (index, sample) in normalized.enumerated() { values[row * width + index] = sample }
      } else {
        let normalized = Self.normalize(Array(values[(row * width)..<((row + 1) * width)]))
        for (index, sample) in normalized.enumerated() { values[row * width + index] = sample }
      }
    }
    return Batch(
      inputValues: Tensor(values, shape: [clips.count, width]),
      attentionMask: settings.returnAttentionMask ? Tensor(mask, shape: [clips.count, width]) : nil, lengths: clips.map(\.count))
  }

  /// The fine-tuning guide's batches: each clip normalised on its own (its `prepare_dataset`),
  /// then padded with `padding_value` (its DataCollatorCTCWithPadding), with an attention mask
  /// when the settings ask for one. For models without attention masks this differs from
  /// ``batch(_:)``, which, like the processor called on a list, normalises the padded rows.
  public func paddedBatch(_ clips: [[Float]], padToMultipleOf multiple: Int? = nil) -> Batch {
    let normalized = settings.doNormalize ? clips.map(Self.normalize) : clips
    var unnormalized = self
    unnormalized.settings.doNormalize = false
    return unnormalized.batch(normalized, padToMultipleOf: multiple)
  }

  /// A batch's width in samples: its longest clip, rounded up to a multiple of `multiple`.
  public static func width(longest: Int, multiple: Int?) -> Int {
    guard let multiple, multiple > 1 else { return longest }
    return (longest + multiple - 1) / multiple * multiple
  }

  /// (x - mean) / sqrt(var + 1e-7) with the population variance.
  public static func normalize(_ samples: [Float]) -> [Float] {
    guard !samples.isEmpty else { return samples }
    let mean = samples.reduce(0.0) { $0 + Double($1) } / Double(samples.count)
    let variance = samples.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(samples.count)
    let scale = 1 / (variance + 1e-7).squareRoot()
    return samples.map { Float((Double($0) - mean) * scale) }
  }
}
