import Models

/// The order in which a training epoch visits a dataset, as transformers' Trainer does it.
public enum SamplingOrder: Sendable {
  /// The dataset's own order (`--no-shuffle`).
  case sequential
  /// A random permutation per epoch.
  case random
  /// transformers' LengthGroupedSampler (`--group-by-length`): a random permutation cut into
  /// megabatches of `min(n / (4 · batch), 50) · batch` items, each sorted by length, longest
  /// first, and the megabatch holding the longest item moved to the front so that the first
  /// batch shows the peak memory at once.
  case groupedByLength
}

public enum Sampler {
  /// Indices for one epoch. The permutation is seeded by (seed, epoch), so runs repeat exactly.
  public static func indices(count: Int, lengths: [Int], batchSize: Int, order: SamplingOrder, seed: UInt64, epoch: Int) -> [Int] {
    switch order {
    case .sequential:
      return Array(0..<count)
    case .random:
      return permutation(count, seed: seed, epoch: epoch)
    case .groupedByLength:
      let shuffled = permutation(count, seed: seed, epoch: epoch)
      var multiplier = Swift.min(count / Swift.max(batchSize * 4, 1), 50)
      if multiplier == 0 { multiplier = 1 }
      let size = multiplier * batchSize
      var megabatches = stride(from: 0, to: count, by: Swift.max(size, 1)).map { start in
        // Stable sort: ties keep the permutation's order, as Python's sorted does.
        Array(shuffled[start..<Swift.min(start + size, count)]).enumerated()
          .sorted { lengths[$0.element] != lengths[$1.element] ? lengths[$0.element] > lengths[$1.element] : $0.offset < $1.offset }
          .map(\.element)
      }
      if let longest = megabatches.indices.max(by: { lengths[megabatches[$0][0]] < lengths[megabatches[$1][0]] }), longest != 0 {
        let first = megabatches[0][0]
        megabatches[0][0] = megabatches[longest][0]
        megabatches[longest][0] = first
      }
      return megabatches.flatMap { $0 }
    }
  }

  /// Consecutive batches of the epoch's indices (the last may be smaller).
  public static func batches(_ indices: [Int], batchSize: Int) -> [[Int]] {
    stride(from: 0, to: indices.count, by: batchSize).map { Array(indices[$0..<Swift.min($0 + batchSize, indices.count)]) }
  }

  static func permutation(_ count: Int, seed: UInt64, epoch: Int) -> [Int] {
    var random = SeededRandom(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(epoch))
    var values = Array(0..<count)
    values.shuffle(using: &random)
    return values
  }
}
