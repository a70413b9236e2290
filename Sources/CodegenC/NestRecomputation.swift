import IR

/// Cheap elementwise values that a later loop nest of the same shape reads are computed again
/// in that nest instead of being stored between the two. A norm's backward centres x in the
/// nest that sums the variance and needs x − mean again after the statistics: storing it cost a
/// full-size scratch buffer (500 MiB for the first convolution's group norm at batch 8 × 10 s)
/// that the memory plan, which sees a region as one opaque node, never counted; one subtraction
/// per element is cheaper than that store and load. The ops are repeated exactly, so the values
/// are the same bits.
enum NestRecomputation {
  /// Ops whose repetition costs less than a store and a load: no division or transcendental.
  static let cheapOps: Set<Op> = [
    .neg, .abs, .add, .sub, .mul, .maximum, .minimum, .select, .cast, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr, .logicalNot,
  ]

  /// The most ops one value's recomputation may repeat.
  static let longestChain = 4

  /// For each nest (by its index among the body's items), the members of earlier nests it
  /// computes again, in body order. A nest's `readers` are its members and the sums it
  /// accumulates.
  ///
  /// A member is recomputed when its op is cheap, the body does not yield it, every other item
  /// reading it is a nest over the same shape, and each of its operands is recomputed itself or
  /// already in memory (defined outside its nest, which reads it from there, or yielded), so
  /// recomputing never makes another value need storing.
  static func plan(
    nests: [(index: Int, members: [Node], readers: [Node], shape: [DimExpr])], readersOf: [ValueID: Set<Int>], yields: Set<ValueID>
  ) -> [Int: [Node]] {
    let shapeOf = Dictionary(nests.map { ($0.index, $0.shape) }, uniquingKeysWith: { first, _ in first })
    var nestOf: [ValueID: Int] = [:]
    var position: [ValueID: Int] = [:]
    for nest in nests {
      for member in nest.members {
        nestOf[member.result] = nest.index
        position[member.result] = position.count
      }
    }
    // Each recomputed value with the members its recomputation repeats (itself last).
    var chains: [ValueID: [Node]] = [:]
    for nest in nests {
      for member in nest.members where cheapOps.contains(member.op) && !yields.contains(member.result) {
        let others = (readersOf[member.result] ?? []).subtracting([nest.index])
        guard !others.isEmpty, others.allSatisfy({ shapeOf[$0] == nest.shape }) else { continue }
        var chain: [Node] = []
        var complete = true
        for operand in member.operands {
          if let repeated = chains[operand] {
            // Not stored: computed again here too (wherever it was first computed).
            chain += repeated
          } else if nestOf[operand] == nest.index && !yields.contains(operand) {
            complete = false
            break
          }
        }
        chain = unique(chain + [member], position: position)
        guard complete, chain.count <= longestChain else { continue }
        chains[member.result] = chain
      }
    }
    var clones: [Int: [Node]] = [:]
    for nest in nests {
      let inside = Set(nest.members.map(\.result))
      let read = Set(nest.readers.flatMap(\.operands)).subtracting(inside)
      let repeated = read.compactMap { chains[$0] }.flatMap { $0 }
      if !repeated.isEmpty { clones[nest.index] = unique(repeated, position: position) }
    }
    return clones
  }

  /// `nodes` without repeats, in body order.
  private static func unique(_ nodes: [Node], position: [ValueID: Int]) -> [Node] {
    var seen: Set<ValueID> = []
    return nodes.filter { seen.insert($0.result).inserted }.sorted { position[$0.result, default: 0] < position[$1.result, default: 0] }
  }
}
