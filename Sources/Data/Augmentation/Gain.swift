import Foundation

/// A gain in decibels, as torchaudio's `Vol(gain, gain_type="db")`: samples times
/// 10^(dB / 20), clamped to [-1, 1], the full scale of the PCM the clip came from. With a
/// normalising feature extractor a gain alone only changes where a clip saturates.
public enum Gain {
  public static func apply(_ samples: [Float], decibels: Double) -> [Float] {
    let factor = Float(pow(10, decibels / 20))
    return samples.map { Swift.min(Swift.max($0 * factor, -1), 1) }
  }
}
