import Models

/// transformers' `_compute_mask_indices` for SpecAugment time masking: per utterance,
/// `int(mask_prob · length / mask_length + ε)` spans (at least `min_masks`, ε one uniform draw
/// per batch) of `mask_length` frames at distinct random starts, padded to the batch's span
/// count by repeating the first start; a row shorter than one span gets none (its padding's
/// last frame is the dummy). Unlike transformers, a batch whose frame count is below one span
/// is left unmasked instead of raising.
public enum SpecAugment {
  /// The boolean mask [rows, frames] (row-major) of the spans `spanStarts` draws.
  public static func timeMask(
    frameLengths: [Int], frames: Int, probability: Double, spanLength: Int, minimumSpans: Int, random: inout SeededRandom
  ) -> [Bool] {
    var mask = [Bool](repeating: false, count: frameLengths.count * frames)
    guard let spans = spanStarts(
      frameLengths: frameLengths, frames: frames, probability: probability, spanLength: spanLength, minimumSpans: minimumSpans, random: &random)
    else { return mask }
    for (row, starts) in spans.starts.enumerated() {
      // Rows with fewer spans than the batch's maximum repeat their first start (or mask the
      // last frame, which is padding, when they have none), as transformers pads its index array.
      let dummy = starts.first ?? frames - 1
      for start in starts + [Int](repeating: dummy, count: spans.maximum - starts.count) {
        for offset in 0..<spanLength { mask[row * frames + Swift.min(start + offset, frames - 1)] = true }
      }
    }
    return mask
  }

  /// The distinct span starts of each row (`num_masked_span` of them, uniformly without
  /// replacement from 0...length - spanLength) and the batch's span count `max_num_masked_span`;
  /// nil when that is 0 (transformers then returns an all-false mask).
  public static func spanStarts(
    frameLengths: [Int], frames: Int, probability: Double, spanLength: Int, minimumSpans: Int, random: inout SeededRandom
  ) -> (starts: [[Int]], maximum: Int)? {
    guard probability > 0, spanLength >= 1, spanLength <= frames else { return nil }
    let epsilon = random.uniform()
    func spanCount(_ length: Int) -> Int {
      var count = Swift.max(Int(probability * Double(length) / Double(spanLength) + epsilon), minimumSpans)
      if count * spanLength > frames { count = frames / spanLength }
      if length - (spanLength - 1) < count { count = Swift.max(length - (spanLength - 1), 0) }
      return count
    }
    let maximumSpans = spanCount(frames)
    guard maximumSpans > 0 else { return nil }
    var starts: [[Int]] = []
    for length in frameLengths {
      var candidates = Array(0..<Swift.max(length - (spanLength - 1), 0))
      candidates.shuffle(using: &random)
      starts.append(Array(candidates.prefix(spanCount(length))))
    }
    return (starts, maximumSpans)
  }
}
