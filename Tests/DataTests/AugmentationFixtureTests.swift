import Audio
import Data
import Foundation
import Formats
import Testing

/// Speed perturbation, gain and additive noise against python-soxr and torch references
/// (tools/make_augmentation_fixtures.py).
@Suite struct AugmentationFixtureTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/augmentation")

  static func expected() throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("expected.json"))) as! [String: Any]
  }

  static func samples(_ name: String) throws -> [Float] { try NumPy.read(root.appendingPathComponent(name).path).floats }

  static func cases(_ section: String) throws -> [[String: Any]] {
    let cases = (try expected()[section] as! [String: Any])["cases"] as! [[String: Any]]
    #expect(!cases.isEmpty, "no \(section) cases in the fixture")
    return cases
  }

  @Test func speedPerturbationMatchesPythonSoxr() throws {
    let input = try Self.samples("input.npy")
    for entry in try Self.cases("speed") {
      let factor = entry["factor"] as! Double
      let reference = try Self.samples(entry["file"] as! String)
      let perturbed = try SpeedPerturbation.apply(input, factor: factor)
      // The length is the input's divided by the factor, within one sample, exactly as soxr rounds.
      #expect(perturbed.count == reference.count, "speed \(factor): \(perturbed.count) samples, python-soxr made \(reference.count)")
      #expect(abs(Double(perturbed.count) - Double(input.count) / factor) <= 1, "speed \(factor): \(perturbed.count) samples from \(input.count)")
      #expect(SpeedPerturbation.length(input.count, factor: factor) == perturbed.count, "speed \(factor): the predicted length")
      // Bit for bit, as the resampling of decoded audio (AudioFixtureTests): the system's
      // libsoxr and python-soxr's bundled copy take the same path at these rates.
      let error = zip(perturbed, reference).map { abs($0 - $1) }.max() ?? .infinity
      #expect(error == 0, "speed \(factor): max |Δ| \(error) from python-soxr")
      print("speed \(factor): \(perturbed.count) samples, max |Δ| \(error) from python-soxr")
    }
  }

  /// Lengths as soxr writes them over a sweep of clip lengths and factors (the lengths the
  /// sampler groups by must be those the loader produces).
  @Test func predictedLengthsAreTheLengthsSoxrWrites() throws {
    let input = try Self.samples("input.npy")
    for count in stride(from: 401, to: input.count, by: 577) {
      for factor in [0.9, 0.95, 1.05, 1.1, 1.234] {
        let perturbed = try SpeedPerturbation.apply(Array(input.prefix(count)), factor: factor)
        #expect(perturbed.count == SpeedPerturbation.length(count, factor: factor), "\(count) samples at speed \(factor)")
      }
    }
    #expect(try SpeedPerturbation.apply(input, factor: 1) == input)
  }

  @Test func gainIsTorchaudiosVolExactly() throws {
    let input = try Self.samples("input.npy")
    var clamped = 0
    for entry in try Self.cases("gain") {
      let decibels = entry["decibels"] as! Double
      let reference = try Self.samples(entry["file"] as! String)
      let output = Gain.apply(input, decibels: decibels)
      #expect(output == reference, "gain \(decibels) dB differs from torch")
      clamped += output.filter { abs($0) == 1 }.count
    }
    #expect(clamped == (try Self.cases("gain")).map { $0["clamped"] as! Int }.reduce(0, +) && clamped > 0, "the clamp was not exercised")
  }

  @Test func noiseFollowsTorchaudiosAddNoise() throws {
    let input = try Self.samples("input.npy")
    let noise = try Self.samples("noise.npy")
    for entry in try Self.cases("noisy") {
      let snr = entry["snr_db"] as! Double
      let reference = try Self.samples(entry["file"] as! String)
      let output = AdditiveNoise.add(noise, to: input, snrDecibels: snr)
      // torchaudio computes the scale in float32, asrc in double: float32 rounding apart.
      let error = zip(output, reference).map { abs($0 - $1) }.max() ?? .infinity
      #expect(error <= 2e-6, "SNR \(snr) dB: max |Δ| \(error) from torchaudio's add_noise")
      let measured = AugmentationMeasure.snr(signal: input, noisy: output)
      #expect(abs(measured - snr) <= 1e-3, "SNR \(snr) dB measured \(measured)")
      print("SNR \(snr) dB: measured \(measured) dB, max |Δ| \(error) from torchaudio's add_noise")
    }
  }
}

/// What a test measures of an augmented clip.
enum AugmentationMeasure {
  /// 10 · log10(Σ signal² / Σ (noisy - signal)²), in double precision.
  static func snr(signal: [Float], noisy: [Float]) -> Double {
    let added = zip(noisy, signal).reduce(0.0) { $0 + (Double($1.0) - Double($1.1)) * (Double($1.0) - Double($1.1)) }
    return 10 * log10(AdditiveNoise.energy(signal) / added)
  }
}
