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
      for source in producers(of: index) where source > first {
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
  /// Grows `seed` one node at a time: each candidate `neighbours` offers and `accepts` takes
  /// joins when the group stays convex. Candidates are retried while the group keeps growing
  /// (a node refused because of a path through an outside node may join once that node has).
  func grow(_ seed: Set<Int>, taken: Set<Int>, neighbours: (Int) -> [Int], accepts: (Int) -> Bool) -> Set<Int> {
    var members = seed
    var changed = true
    while changed {
      changed = false
      let frontier = Set(members.flatMap(neighbours)).subtracting(members).subtracting(taken).filter(accepts).sorted()
      for candidate in frontier {
        members.insert(candidate)
        if isConvex(members) {
          changed = true
        } else {
          members.remove(candidate)
        }
      }
    }
    return members
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
