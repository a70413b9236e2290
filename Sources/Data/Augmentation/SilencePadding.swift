import Foundation

/// Silence before and after a clip, as NeMo's `SilencePerturbation`: zeros, so that noise added
/// after it (see `WaveformAugmenter`) fills the silence as it fills the speech. Clips cut tight
/// around the speech (synthesized ones, or segments) teach a model that speech starts at once;
/// test audio that opens with a pause then gets words where there are none.
public enum SilencePadding {
  static let sampleRate = 16000.0

  /// Samples of silence for `seconds` (rounded to the nearest sample).
  public static func samples(seconds: Double) -> Int { Int((seconds * sampleRate).rounded()) }

  /// What to add to an SNR asked of `speech` samples so that noise over the whole padded clip of
  /// `total` samples (whose SNR `AdditiveNoise` measures over the whole clip) has the power per
  /// sample that SNR asks of the speech: 10 · log10(speech / total), 0 without silence.
  public static func snrOffset(speech: Int, total: Int) -> Double {
    total > speech && speech > 0 ? 10 * log10(Double(speech) / Double(total)) : 0
  }

  /// `samples` with `start` zeros before it and `end` zeros after it.
  public static func apply(_ samples: [Float], start: Int, end: Int) -> [Float] {
    guard start > 0 || end > 0 else { return samples }
    var padded = [Float](repeating: 0, count: start)
    padded.reserveCapacity(start + samples.count + end)
    padded += samples
    padded += repeatElement(0, count: end)
    return padded
  }
}
