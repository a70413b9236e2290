import IR

/// The mechanics of gradient checkpointing: which nodes are the forward pass, and a graph in
/// which the backward reads recomputed copies of the forward values not kept.
///
/// A forward value the backward reads and the keep set leaves out is recomputed just before the
/// first backward node that reads it: its node is cloned with its operands resolved the same
/// way (kept values, inputs and parameters as they are; other forward values recomputed in
/// turn, once). The copies are named `recompute.<name>`, which `cse` leaves alone, so a later
/// cleanup does not merge them back into the forward values they copy.
enum Rematerialization {
  /// The prefix of every recomputed value's name.
  static let prefix = "recompute."

  /// Whether a value is a recomputed copy placed by the checkpoint pass.
  static func isRecomputed(_ name: String) -> Bool { name.hasPrefix(prefix) }

  /// The forward/backward split of a differentiated graph.
  struct Split {
    /// Top-level node index defining each value (nil for inputs, parameters, block arguments).
    var producer: [Int?]
    /// Whether a top-level node is the forward pass: a non-gradient output needs it.
    var isForward: [Bool]
    /// Forward values a backward node reads, in first-read order.
    var saved: [ValueID]

    init(_ graph: Graph) {
      producer = Array(repeating: nil, count: graph.values.count)
      for (index, node) in graph.nodes.enumerated() { for result in node.results { producer[result.index] = index } }
      var needed = Array(repeating: false, count: graph.values.count)
      for output in graph.outputs where !output.name.hasPrefix("grad.") { needed[output.value.index] = true }
      isForward = Array(repeating: false, count: graph.nodes.count)
      for (index, node) in graph.nodes.enumerated().reversed() where node.results.contains(where: { needed[$0.index] }) {
        isForward[index] = true
        for operand in node.operands { needed[operand.index] = true }
      }
      var seen: Set<ValueID> = []
      saved = []
      for (index, node) in graph.nodes.enumerated() where !isForward[index] {
        for operand in node.operands {
          guard let source = producer[operand.index], isForward[source], seen.insert(operand).inserted else { continue }
          saved.append(operand)
        }
      }
    }

    /// Whether `value` is the result of a forward node.
    func isForwardResult(_ value: ValueID) -> Bool { producer[value.index].map { isForward[$0] } ?? false }
  }

  /// The graph with every forward value in `recompute` recomputed for the backward instead of
  /// kept. Values `recompute` names that a recomputation needs are recomputed too; fused
  /// regions and multi-result nodes are always kept.
  static func apply(_ graph: Graph, recompute: Set<ValueID>) -> Graph {
    let split = Split(graph)
    var result = graph
    result.nodes = []
    var copies: [ValueID: ValueID] = [:]

    func isRecomputable(_ value: ValueID) -> Bool {
      guard recompute.contains(value), let source = split.producer[value.index], split.isForward[source] else { return false }
      let node = graph.nodes[source]
      return node.region == nil && node.results.count == 1
    }
    // Post-order: operands first, each copy once.
    func copy(_ value: ValueID) -> ValueID {
      if let existing = copies[value] { return existing }
      let original = graph.nodes[split.producer[value.index]!]
      var clone = original
      clone.operands = original.operands.map { isRecomputable($0) ? copy($0) : $0 }
      let name = graph.name(of: value)
      clone.result = result.addValue(name: prefix + name, type: graph.type(of: value), role: .result)
      result.nodes.append(clone)
      copies[value] = clone.result
      return clone.result
    }
    for (index, node) in graph.nodes.enumerated() {
      guard !split.isForward[index] else {
        result.nodes.append(node)
        continue
      }
      var rewritten = node
      rewritten.operands = node.operands.map { isRecomputable($0) ? copy($0) : $0 }
      result.nodes.append(rewritten)
    }
    return result
  }
}
