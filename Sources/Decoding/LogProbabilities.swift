import Foundation

/// The per-frame log probabilities pyctcdecode decodes (`decode_beams`), computed with the
/// float32 arithmetic NumPy applies to float32 logits, so that the values agree to the last bit
/// or two (NumPy's own vectorised `exp` and `log` may round differently from the C library's):
///
/// - rows that already sum to 1 on average (probabilities) are clipped to [1e-15, 1] and logged;
/// - otherwise each row goes through scipy-style `_log_softmax` (subtract the row's maximum,
///   exponentiate, sum pairwise as `np.sum` does, log, subtract) and is clipped to
///   [log(1e-15), 0].
public enum LogProbabilities {
  /// pyctcdecode's MIN_TOKEN_CLIP_P.
  static let minimumProbability = 1e-15

  public static func of(logits: [Float], classes: Int) -> [Float] {
    precondition(classes > 0 && logits.count % classes == 0, "logits must be whole rows of \(classes) classes")
    let frames = logits.count / classes
    guard frames > 0 else { return [] }
    var output = [Float](repeating: 0, count: logits.count)
    logits.withUnsafeBufferPointer { input in
      output.withUnsafeMutableBufferPointer { output in
        if looksLikeProbabilities(input, classes: classes, frames: frames) {
          let low = Float(minimumProbability)
          for index in 0..<input.count { output[index] = Foundation.log(min(max(input[index], low), 1)) }
          return
        }
        // np.clip(float32, np.log(1e-15), 0) stays float32 under NumPy 1's value-based casting.
        let floor = Float(Foundation.log(minimumProbability))
        var shifted = [Float](repeating: 0, count: classes)
        var exponentials = [Float](repeating: 0, count: classes)
        for frame in 0..<frames {
          let row = UnsafeBufferPointer(rebasing: input[(frame * classes)..<((frame + 1) * classes)])
          var maximum = row[0]
          for value in row.dropFirst() where value > maximum || value.isNaN { maximum = value }
          if !maximum.isFinite { maximum = 0 }
          for index in 0..<classes {
            shifted[index] = row[index] - maximum
            exponentials[index] = Foundation.exp(shifted[index])
          }
          let logSum = exponentials.withUnsafeBufferPointer { Foundation.log(pairwiseSum($0)) }
          for index in 0..<classes { output[frame * classes + index] = min(max(shifted[index] - logSum, floor), 0) }
        }
      }
    }
    return output
  }

  /// `math.isclose(logits.sum(axis=1).mean(), 1)`: float32 row sums, their float32 mean, and a
  /// relative tolerance of 1e-9, which for a float32 leaves exactly 1.
  static func looksLikeProbabilities(_ input: UnsafeBufferPointer<Float>, classes: Int, frames: Int) -> Bool {
    var sums = [Float](repeating: 0, count: frames)
    for frame in 0..<frames { sums[frame] = pairwiseSum(UnsafeBufferPointer(rebasing: input[(frame * classes)..<((frame + 1) * classes)])) }
    let mean = sums.withUnsafeBufferPointer { pairwiseSum($0) } / Float(frames)
    return abs(Double(mean) - 1) <= 1e-9 * max(abs(Double(mean)), 1)
  }

  /// NumPy's `pairwise_sum_FLOAT`: eight running sums over blocks of 128, combined as a tree,
  /// then the remainder one by one; longer runs are halved recursively.
  static func pairwiseSum(_ values: UnsafeBufferPointer<Float>) -> Float {
    let n = values.count
    if n < 8 {
      var result: Float = 0
      for value in values { result += value }
      return result
    }
    if n <= 128 {
      var r = (values[0], values[1], values[2], values[3], values[4], values[5], values[6], values[7])
      var index = 8
      while index < n - n % 8 {
        r.0 += values[index]
        r.1 += values[index + 1]
        r.2 += values[index + 2]
        r.3 += values[index + 3]
        r.4 += values[index + 4]
        r.5 += values[index + 5]
        r.6 += values[index + 6]
        r.7 += values[index + 7]
        index += 8
      }
      var result = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
      while index < n {
        result += values[index]
        index += 1
      }
      return result
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(UnsafeBufferPointer(rebasing: values[..<half])) + pairwiseSum(UnsafeBufferPointer(rebasing: values[half...]))
  }
}
