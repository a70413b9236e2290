import IR

/// What the fusion passes need to know about an op.
enum FusionOpClass {
  /// Ops computed element by element over their result shape (operands broadcast to it).
  static let elementwise: Set<Op> = [
    .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .geluGrad, .logicalNot,
    .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr,
    .select, .cast,
  ]

  /// Contractions whose output an elementwise epilogue can finish while it is still in cache.
  static let contractions: Set<Op> = [.matmul, .linear, .conv1d, .conv1dInputGrad, .conv1dWeightGrad, .linearWeightGrad]
}

/// The top-level nodes of a graph indexed for fusion: who produces and who uses each value,
/// and reachability queries that keep a group of nodes free of cycles once it becomes a region.
struct FusionGraph {
  let graph: Graph
  /// Top-level node index defining each value (inputs and parameters have none).
  private(set) var producer: [ValueID: Int] = [:]
  /// Top-level node indices using each value, ascending.
  private(set) var users: [ValueID: [Int]] = [:]
  /// Values the graph outputs.
  let outputValues: Set<ValueID>

  init(_ graph: Graph) {
    self.graph = graph
    outputValues = Set(graph.outputs.map(\.value))
    for (index, node) in graph.nodes.enumerated() {
      for result in node.results { producer[result] = index }
      for operand in Set(node.operands) { users[operand, default: []].append(index) }
    }
  }

  var nodes: [Node] { graph.nodes }

  /// Node indices producing the operands of node `index`.
  func producers(of index: Int) -> [Int] { graph.nodes[index].operands.compactMap { producer[$0] } }

  /// Node indices using any result of node `index`.
  func consumers(of index: Int) -> [Int] { graph.nodes[index].results.flatMap { users[$0] ?? [] } }

  /// Whether a group of nodes may become one region: no path leaves the group and comes back
  /// into it (an outside node both fed by and feeding the group would need to run in the middle
  /// of the region). Every path between two members runs through nodes placed between them, so
  /// the search from each outside operand stops below the group's first member.
  func isConvex(_ members: Set<Int>) -> Bool {
    guard let first = members.min() else { return true }
    var visited: Set<Int> = []
    var stack: [Int] = []
    for member in members {
      for operand in graph.nodes[member].operands {
        guard let source = producer[operand], !members.contains(source), source > first else { continue }
        stack.append(source)
      }
    }
    while let index = stack.popLast() {
      guard visited.insert(index).inserted else { continue }
      for source in producers(of: index) where source >= first {
        if members.contains(source) { return false }
        stack.append(source)
      }
    }
    return true
  }

  /// Result values of the members that something outside the group reads (outside nodes or
  /// graph outputs), in node order.
  func escapingResults(of members: Set<Int>) -> [ValueID] {
    members.sorted().flatMap { index in
      graph.nodes[index].results.filter { value in
        outputValues.contains(value) || (users[value] ?? []).contains { !members.contains($0) }
      }
    }
  }
}

/// A set of top-level nodes to become one `fused` node.
struct FusionGroup {
  var members: Set<Int>
  var kind: String
}

extension FusionGraph {
  /// How far apart (in node positions) a member and a candidate may be. The node order is the
  /// schedule; a training graph reads forward values in its backward half a thousand nodes
  /// later. Without a bound a forward region would take in the backward's recomputation of its
  /// statistics (it reads only forward values), moving backward work into the forward pass and
  /// keeping its results alive across the whole step.
  static let reach = 48

  /// Grows `seed` one node at a time: each candidate `neighbours` offers and `accepts` takes
  /// joins when it lies within ``reach`` of a member and the group stays convex. Candidates are
  /// retried while the group keeps growing (a node refused because of a path through an outside
  /// node may join once that node has).
  ///
  /// `keeps` decides whether the group with a candidate added is still one region; by default
  /// that it is convex.
  func grow(
    _ seed: Set<Int>, taken: Set<Int>, neighbours: (Int) -> [Int], accepts: (Int) -> Bool, keeps: ((Set<Int>) -> Bool)? = nil
  ) -> Set<Int> {
    var members = seed
    var changed = true
    while changed {
      changed = false
      let frontier = Set(members.flatMap { member in neighbours(member).filter { abs($0 - member) <= Self.reach } })
        .subtracting(members).subtracting(taken).filter(accepts).sorted()
      for candidate in frontier {
        members.insert(candidate)
        if keeps?(members) ?? isConvex(members) {
          changed = true
        } else {
          members.remove(candidate)
        }
      }
    }
    return members
  }

  /// A group grown from `seed` that can become a region beside the `chosen` ones, or nil when
  /// it would be the seed alone. Each group may be convex on its own and still feed one chosen
  /// earlier that feeds it back (a norm's backward: the statistics need dγ's operand, dγ needs
  /// x̂ from the statistics); then the group grows again one candidate at a time, keeping each
  /// only while the graph with every group contracted stays acyclic, rather than being dropped
  /// whole.
  func growRegion(
    _ seed: Int, taken: Set<Int>, beside chosen: [Set<Int>], neighbours: (Int) -> [Int], accepts: (Int) -> Bool
  ) -> Set<Int>? {
    var members = grow([seed], taken: taken, neighbours: neighbours, accepts: accepts)
    if !isAcyclic(contracting: chosen + [members]) {
      members = grow([seed], taken: taken, neighbours: neighbours, accepts: accepts) { isAcyclic(contracting: chosen + [$0]) }
    }
    return members.count > 1 ? members : nil
  }

  /// Producers and consumers of a node.
  func adjacent(_ index: Int) -> [Int] { producers(of: index) + consumers(of: index) }

  func shape(of index: Int) -> [DimExpr] { graph.type(of: graph.nodes[index].result).shape }

  /// An elementwise node with one result of the given shape.
  func isElementwise(_ index: Int, shape: [DimExpr]) -> Bool {
    let node = graph.nodes[index]
    return FusionOpClass.elementwise.contains(node.op) && node.results.count == 1 && self.shape(of: index) == shape
  }
}

extension FusionGraph {
  /// Whether the graph stays acyclic with every group contracted to one node. Each group alone
  /// can be convex while two groups feed each other (a → b₂ and b₁ → a₂ with a = {a₁, a₂},
  /// b = {b₁, b₂}); this is the check that catches it, by Kahn's algorithm over the contracted
  /// graph.
  func isAcyclic(contracting groups: [Set<Int>]) -> Bool {
    var unit = Array(graph.nodes.indices)
    var unitCount = graph.nodes.count
    for group in groups {
      for member in group { unit[member] = unitCount }
      unitCount += 1
    }
    var successors = [[Int]](repeating: [], count: unitCount)
    var pending = [Int](repeating: 0, count: unitCount)
    for (index, _) in graph.nodes.enumerated() {
      for source in Set(producers(of: index)) where unit[source] != unit[index] {
        successors[unit[source]].append(unit[index])
        pending[unit[index]] += 1
      }
    }
    let used = Set(unit)
    var ready = used.filter { pending[$0] == 0 }
    var done = 0
    while let next = ready.popFirst() {
      done += 1
      for successor in successors[next] {
        pending[successor] -= 1
        if pending[successor] == 0 { ready.insert(successor) }
      }
    }
    return done == used.count
  }
}
