import Models

/// transformers' `_compute_mask_indices` for SpecAugment time masking: per utterance,
/// `int(mask_prob · length / mask_length + ε)` spans (at least `min_masks`, ε one uniform draw
/// per batch) of `mask_length` frames at distinct random starts, padded to the batch's span
/// count by repeating the first start. Unlike transformers, an utterance shorter than one span
/// is left unmasked instead of raising.
public enum SpecAugment {
  public static func timeMask(
    frameLengths: [Int], frames: Int, probability: Double, spanLength: Int, minimumSpans: Int, random: inout SeededRandom
  ) -> [Bool] {
    var mask = [Bool](repeating: false, count: frameLengths.count * frames)
    guard probability > 0, spanLength >= 1, spanLength <= frames else { return mask }
    let epsilon = random.uniform()
    func spanCount(_ length: Int) -> Int {
      var count = Swift.max(Int(probability * Double(length) / Double(spanLength) + epsilon), minimumSpans)
      if count * spanLength > frames { count = frames / spanLength }
      if length - (spanLength - 1) < count { count = Swift.max(length - (spanLength - 1), 0) }
      return count
    }
    let maximumSpans = spanCount(frames)
    guard maximumSpans > 0 else { return mask }
    for (row, length) in frameLengths.enumerated() {
      let count = spanCount(length)
      var candidates = Array(0..<Swift.max(length - (spanLength - 1), 0))
      candidates.shuffle(using: &random)
      var starts = Array(candidates.prefix(count))
      let dummy = starts.first ?? frames - 1
      starts += [Int](repeating: dummy, count: maximumSpans - count)
      for start in starts {
        for offset in 0..<spanLength { mask[row * frames + Swift.min(start + offset, frames - 1)] = true }
      }
    }
    return mask
  }
}
