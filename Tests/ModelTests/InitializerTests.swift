import Formats
import Foundation
import IR
import Models
import Testing

/// asrc's initialisation against transformers' `_init_weights` (tools/make_init_reference.py:
/// Wav2Vec2ForCTC(config) for 16 torch seeds, two small configurations). Every tensor's name and
/// shape must match; its mean and standard deviation, averaged over 16 seeds, must lie within
/// five standard errors of transformers' (the standard error of the difference of the two
/// 16-seed averages, from each side's spread across seeds); constant tensors (norm weights and
/// biases, zero biases) must be exactly equal. Five, because about 240 statistics are compared:
/// the chance that any exceeds 5 SE when the distributions agree is about 1e-4. The largest
/// deviation is printed (measured: under 3 SE).
@Suite struct InitializerTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/init")
  nonisolated(unsafe) static let expected = try! JSONSerialization.jsonObject(
    with: Data(contentsOf: fixtures.appendingPathComponent("expected.json"))) as! [String: Any]

  static func statistics(_ values: [Float]) -> (mean: Double, std: Double) {
    let mean = values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    let variance = values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
  }

  static func meanAndSpread(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    return (mean, (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)).squareRoot())
  }

  @Test(arguments: ["group_postln", "layer_stable"])
  func initialisationMatchesTransformers(_ name: String) throws {
    let facts = (Self.expected["configs"] as! [String: [String: Any]])[name]!
    let tensors = facts["tensors"] as! [String: [String: Any]]
    let seeds = Self.expected["seeds"] as! Int
    let configuration = try Wav2Vec2ConfigFile.read(Self.fixtures.appendingPathComponent("\(name)/config.json").path).configuration
    let graph = try ModelDirectory.buildGraph(
      configuration, FeatureExtractorSettings(returnAttentionMask: configuration.defaultReturnsAttentionMask), path: name)
    var means: [String: [Double]] = [:]
    var stds: [String: [Double]] = [:]
    for seed in 0..<seeds {
      let weights = Initializer.weights(for: graph, config: configuration, seed: UInt64(seed))
      #expect(Set(weights.keys) == Set(tensors.keys), "\(name): tensor names differ: \(Set(weights.keys).symmetricDifference(tensors.keys).sorted())")
      for (key, tensor) in weights {
        if seed == 0 { #expect(tensor.shape == tensors[key]?["shape"] as? [Int], "\(name) \(key): shape \(tensor.shape)") }
        let (mean, std) = Self.statistics(tensor.floats)
        means[key, default: []].append(mean)
        stds[key, default: []].append(std)
      }
    }
    var worst = (z: 0.0, what: "")
    for (key, reference) in tensors.sorted(by: { $0.key < $1.key }) {
      guard let ourMeans = means[key], let ourStds = stds[key] else { continue }
      for (what, ours, theirs, spread) in [
        ("mean", Self.meanAndSpread(ourMeans), reference["mean"] as! Double, reference["mean_spread"] as! Double),
        ("std", Self.meanAndSpread(ourStds), reference["std"] as! Double, reference["std_spread"] as! Double),
      ] {
        let standardError = (ours.1 * ours.1 / Double(seeds) + spread * spread / Double(seeds)).squareRoot()
        if standardError == 0 {
          #expect(ours.0 == theirs, "\(name) \(key) \(what): \(ours.0), transformers \(theirs) (constant)")
          continue
        }
        let z = abs(ours.0 - theirs) / standardError
        if z > worst.z { worst = (z, "\(key) \(what)") }
        #expect(z <= 5, "\(name) \(key) \(what): \(ours.0), transformers \(theirs) ± \(standardError): \(String(format: "%.1f", z)) standard errors")
      }
    }
    print("initialisation \(name): \(tensors.count) tensors, largest deviation from transformers \(String(format: "%.2f", worst.z)) standard errors (\(worst.what))")
  }
}
