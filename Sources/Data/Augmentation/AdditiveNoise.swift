import Foundation
import Models

/// Additive noise at a signal-to-noise ratio, defined over whole clips as torchaudio's
/// `add_noise` defines it: the noise is scaled so that 10 · log10(Σ signal² / Σ added²) is the
/// ratio asked for.
public enum AdditiveNoise {
  /// `signal` plus `noise` (as long as the signal) scaled to `snrDecibels`. A silent signal, or
  /// silent noise, has no ratio to meet: the signal comes back unchanged.
  public static func add(_ noise: [Float], to signal: [Float], snrDecibels: Double) -> [Float] {
    precondition(noise.count == signal.count, "the noise must be as long as the signal")
    let signalEnergy = energy(signal)
    let noiseEnergy = energy(noise)
    guard signalEnergy > 0, noiseEnergy > 0 else { return signal }
    let scale = Float((signalEnergy / noiseEnergy / pow(10, snrDecibels / 10)).squareRoot())
    return zip(signal, noise).map { $0 + scale * $1 }
  }

  /// Σ x² accumulated in double precision.
  public static func energy(_ samples: [Float]) -> Double {
    samples.reduce(0) { $0 + Double($1) * Double($1) }
  }

  /// White Gaussian noise: `count` standard normal draws.
  public static func white(count: Int, random: inout SeededRandom) -> [Float] {
    (0..<count).map { _ in Float(random.normal()) }
  }

  /// `count` samples of `clip` from `offset` on, going round to its start as often as needed
  /// (a noise recording shorter than the utterance is looped, a longer one cropped).
  public static func excerpt(of clip: [Float], count: Int, offset: Int) -> [Float] {
    precondition(!clip.isEmpty && (0..<clip.count).contains(offset), "an offset inside a non-empty clip")
    return (0..<count).map { clip[(offset + $0) % clip.count] }
  }
}
