/// Places storage groups of known size and lifetime at offsets in one arena: greedy by size
/// with best fit, as TensorFlow Lite's `GreedyMemoryPlanner` and XLA's heap simulator do.
///
/// Groups are taken largest first; each goes into the smallest gap (between the groups already
/// placed whose lifetimes overlap its own) that holds it, or after the last of them. Large
/// buffers placed first leave gaps that the many small ones fill, which is why this ordering
/// comes close to the live maximum on transformer graphs.
enum ArenaPlacement {
  struct Request {
    var bytes: Int
    var first: Int
    var last: Int
  }

  /// The offset of each request, in order.
  static func place(_ requests: [Request]) -> [Int] {
    let order = requests.indices.sorted { a, b in
      let (x, y) = (requests[a], requests[b])
      if x.bytes != y.bytes { return x.bytes > y.bytes }
      if x.first != y.first { return x.first < y.first }
      return a < b
    }
    var offsets = [Int](repeating: 0, count: requests.count)
    var placed: [Int] = []
    for index in order {
      let request = requests[index]
      let conflicts = placed.filter { requests[$0].first <= request.last && request.first <= requests[$0].last }
        .sorted { offsets[$0] < offsets[$1] }
      var end = 0
      var best: (offset: Int, gap: Int)?
      for other in conflicts {
        let gap = offsets[other] - end
        if gap >= request.bytes, best.map({ gap < $0.gap }) ?? true { best = (end, gap) }
        end = Swift.max(end, offsets[other] + requests[other].bytes)
      }
      offsets[index] = best?.offset ?? end
      placed.append(index)
    }
    return offsets
  }
}
