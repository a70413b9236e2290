import Foundation
import Models
import Testing
import Training

/// SpecAugment time-mask sampling against transformers' `_compute_mask_indices`
/// (tools/make_spec_augment_reference.py: 20,000 numpy seeds per setting). Exact facts are
/// checked on every draw; the distribution of span counts and the mean coverage must agree with
/// transformers' within four standard errors of the difference of the two sample means.
///
/// Why four: there are about 90 compared means; if asrc sampled exactly as transformers does,
/// each would exceed 4 SE with probability 6e-5 (0.6 % for any of them). The draws are seeded,
/// so the test is deterministic. Measured: the largest deviation, printed per setting, is 1.8 SE.
@Suite struct SpecAugmentTests {
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  nonisolated(unsafe) static let expected = try! JSONSerialization.jsonObject(
    with: Data(contentsOf: fixtures.appendingPathComponent("spec_augment/expected.json"))) as! [String: Any]
  static let draws = 4000
  static let limit = 4.0

  struct Sample {
    var counts: [Double] = []
    var coverages: [Double] = []
    var outside: [Double] = []
    var first: [Double] = []
    var last: [Double] = []
  }

  static func meanAndStd(_ values: [Double]) -> (Double, Double) {
    let mean = values.reduce(0, +) / Double(values.count)
    let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
    return (mean, variance.squareRoot())
  }

  @Test(arguments: ["base_defaults_no_mask", "dense_no_mask", "rare_no_mask", "padded_rows", "short_rows", "row_shorter_than_span"])
  func maskSamplingMatchesTransformers(_ name: String) throws {
    let setting = (Self.expected["settings"] as! [String: [String: Any]])[name]!
    let referenceDraws = Double(Self.expected["draws"] as! Int)
    let frames = setting["frames"] as! Int
    let probability = setting["mask_prob"] as! Double
    let spanLength = setting["mask_length"] as! Int
    let minimumSpans = setting["min_masks"] as! Int
    let rows = setting["rows"] as! [[String: Any]]
    let lengths = rows.map { $0["length"] as! Int }
    var samples = [Sample](repeating: Sample(), count: rows.count)
    var empty = 0
    var worst = 0.0
    var violations = 0
    var firstViolation = ""
    let supports = rows.map { Set(($0["span_counts"] as! [String: Double]).keys.map { Int($0)! }) }
    for draw in 0..<Self.draws {
      // Seeded as the Trainer seeds a step.
      var random = SeededRandom(seed: 42 &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(draw))
      var replay = random
      // The mask itself on the first draws (it must be the union of the spans); the statistics
      // from the spans on all of them.
      let checksMask = draw < Self.draws / 4
      let mask = checksMask ? SpecAugment.timeMask(
        frameLengths: lengths, frames: frames, probability: probability, spanLength: spanLength, minimumSpans: minimumSpans, random: &random) : []
      let spans = SpecAugment.spanStarts(
        frameLengths: lengths, frames: frames, probability: probability, spanLength: spanLength, minimumSpans: minimumSpans, random: &replay)
      guard let spans else {
        empty += 1
        if checksMask && mask.contains(true) {
          violations += 1
          firstViolation = "draw \(draw): no spans, but frames are masked"
        }
        for row in rows.indices {
          samples[row].counts.append(0)
          samples[row].coverages.append(0)
          samples[row].outside.append(0)
          samples[row].first.append(0)
          samples[row].last.append(0)
        }
        continue
      }
      for (row, length) in lengths.enumerated() {
        let starts = spans.starts[row]
        // Exact, every draw: as many spans as transformers ever chooses for this row, distinct,
        // every span inside the row, and the mask is exactly their union (plus the padding
        // dummy of a row without spans).
        let support = supports[row]
        var union = [Bool](repeating: false, count: frames)
        for start in starts where start >= 0 && start + spanLength <= frames { for offset in 0..<spanLength { union[start + offset] = true } }
        if starts.isEmpty { union[frames - 1] = true }
        // Rows with fewer spans than the batch's maximum repeat their first start.
        let actual = checksMask ? Array(mask[(row * frames)..<((row + 1) * frames)]) : union
        let problems = [
          support.contains(starts.count) ? nil : "\(starts.count) spans, transformers only ever chooses \(support.sorted())",
          Set(starts).count == starts.count ? nil : "a repeated start in \(starts)",
          starts.allSatisfy({ $0 >= 0 && $0 + spanLength <= length }) ? nil : "a span leaves 0..<\(length): \(starts)",
          starts.count <= spans.maximum ? nil : "more spans than the batch's \(spans.maximum)",
          actual == union ? nil : "the mask is not the union of the spans \(starts)",
        ].compactMap { $0 }
        if !problems.isEmpty {
          violations += 1
          if firstViolation.isEmpty { firstViolation = "draw \(draw) row \(row): " + problems.joined(separator: "; ") }
        }
        samples[row].counts.append(Double(starts.count))
        samples[row].coverages.append(Double(actual[0..<length].filter { $0 }.count) / Double(length))
        samples[row].outside.append(Double(actual[length...].filter { $0 }.count))
        samples[row].first.append(actual[0] ? 1 : 0)
        samples[row].last.append(actual[length - 1] ? 1 : 0)
      }
    }
    #expect(violations == 0, "\(name): \(violations) draws break an exact rule, first \(firstViolation)")
    func compare(_ what: String, ours: (Double, Double), theirs: (Double, Double)) {
      let standardError = (ours.1 * ours.1 / Double(Self.draws) + theirs.1 * theirs.1 / referenceDraws).squareRoot()
      if standardError == 0 {
        #expect(ours.0 == theirs.0, "\(name) \(what): \(ours.0), transformers \(theirs.0) (both constant)")
        return
      }
      let z = abs(ours.0 - theirs.0) / standardError
      worst = max(worst, z)
      #expect(z <= Self.limit, "\(name) \(what): \(ours.0), transformers \(theirs.0): \(z) standard errors apart")
    }
    let emptyFraction = setting["empty_fraction"] as! Double
    let ourEmpty = Double(empty) / Double(Self.draws)
    compare("empty fraction", ours: (ourEmpty, (ourEmpty * (1 - ourEmpty)).squareRoot()), theirs: (emptyFraction, (emptyFraction * (1 - emptyFraction)).squareRoot()))
    for (row, facts) in rows.enumerated() {
      compare("row \(row) span count", ours: Self.meanAndStd(samples[row].counts), theirs: (facts["count_mean"] as! Double, facts["count_std"] as! Double))
      compare("row \(row) coverage", ours: Self.meanAndStd(samples[row].coverages), theirs: (facts["coverage_mean"] as! Double, facts["coverage_std"] as! Double))
      compare("row \(row) masked padding", ours: Self.meanAndStd(samples[row].outside), theirs: (facts["outside_mean"] as! Double, facts["outside_std"] as! Double))
      for (edge, values) in [("first", samples[row].first), ("last", samples[row].last)] {
        let (ours, theirs) = (Self.meanAndStd(values).0, facts["\(edge)_masked"] as! Double)
        compare("row \(row) P(\(edge) frame masked)", ours: (ours, (ours * (1 - ours)).squareRoot()), theirs: (theirs, (theirs * (1 - theirs)).squareRoot()))
      }
      for (count, frequency) in facts["span_counts"] as! [String: Double] {
        let ours = Double(samples[row].counts.filter { $0 == Double(count)! }.count) / Double(Self.draws)
        compare("row \(row) P(\(count) spans)", ours: (ours, (ours * (1 - ours)).squareRoot()), theirs: (frequency, (frequency * (1 - frequency)).squareRoot()))
      }
    }
    print("SpecAugment \(name): largest deviation from transformers \(String(format: "%.2f", worst)) standard errors over \(Self.draws) draws")
  }
}
