import IR

/// Turns groups of top-level nodes into `fused` nodes, the rewrite every fusion pass ends with.
///
/// Each group's values that something outside reads become the fused node's results, so no
/// work is done twice: the last member's value is the primary result, any other escaping value
/// an extra result (a multi-result region). Outside the region these results keep the names
/// the values had, so outputs and later dumps read as before; inside, a yielded value is renamed
/// `NAME.inner` and block arguments are named `PRIMARY.argI`. Scalar and other constants used
/// only by one group move into it. Groups must be disjoint and convex
/// (``FusionGraph/isConvex(_:)``); nodes are re-sorted afterwards so that each fused node
/// comes after everything it reads and before everything that reads it.
enum RegionOutlining {
  static func outline(_ groups: [FusionGroup], in index: FusionGraph) -> Graph {
    var graph = index.graph
    var names = Set(graph.values.map(\.name))
    func fresh(_ base: String) -> String {
      var candidate = base
      var suffix = 1
      while names.contains(candidate) {
        candidate = "\(base)_\(suffix)"
        suffix += 1
      }
      names.insert(candidate)
      return candidate
    }

    var groupOf: [Int: Int] = [:]
    var memberLists: [[Int]] = []
    for (number, group) in groups.enumerated() {
      var members = group.members
      for member in group.members {
        for source in index.producers(of: member) where graph.nodes[source].op == .constant && groupOf[source] == nil && !members.contains(source) {
          let result = graph.nodes[source].result
          if !index.outputValues.contains(result), (index.users[result] ?? []).allSatisfy(group.members.contains) { members.insert(source) }
        }
      }
      for member in members { groupOf[member] = number }
      memberLists.append(members.sorted())
    }

    // Escaping values get a new outer value carrying the old name; the inner one is renamed.
    var replacement: [ValueID: ValueID] = [:]
    var resultLists: [[ValueID]] = []
    var yieldLists: [[ValueID]] = []
    for members in memberLists {
      let memberSet = Set(members)
      var escaping = index.escapingResults(of: memberSet)
      let last = graph.nodes[members.last!].result
      if let position = escaping.firstIndex(of: last) { escaping.insert(escaping.remove(at: position), at: 0) }
      var results: [ValueID] = []
      for inner in escaping {
        let info = graph[inner]
        graph[inner].name = fresh(info.name + ".inner")
        let outer = graph.addValue(name: info.name, type: info.type, role: .result, location: info.location)
        replacement[inner] = outer
        results.append(outer)
      }
      resultLists.append(results)
      yieldLists.append(escaping)
    }

    var fusedNodes: [Node] = []
    for (number, members) in memberLists.enumerated() {
      let memberSet = Set(members)
      let primary = graph.name(of: resultLists[number][0])
      var operands: [ValueID] = []
      var arguments: [ValueID] = []
      var argumentFor: [ValueID: ValueID] = [:]
      var body: [Node] = []
      // Constants go in just before their first use, so the region opens with its first real
      // op (an epilogue region with its contraction).
      let constants = Set(members.filter { graph.nodes[$0].op == .constant })
      var pendingConstants = constants
      for member in members where !constants.contains(member) {
        for source in index.producers(of: member) where pendingConstants.remove(source) != nil {
          body.append(graph.nodes[source])
        }
        var node = graph.nodes[member]
        node.operands = node.operands.map { operand in
          if let source = index.producer[operand], memberSet.contains(source) { return operand }
          if let argument = argumentFor[operand] { return argument }
          let outer = replacement[operand] ?? operand
          let argument = graph.addValue(name: fresh("\(primary).arg\(operands.count)"), type: graph.type(of: outer), role: .blockArgument)
          operands.append(outer)
          arguments.append(argument)
          argumentFor[operand] = argument
          return argument
        }
        body.append(node)
      }
      let region = Region(arguments: arguments, nodes: body, yields: yieldLists[number])
      fusedNodes.append(Node(op: .fused, operands: operands, attributes: ["kind": .string(groups[number].kind)], results: resultLists[number], region: region))
    }

    // Every top-level node in its old place, each fused node where its last member was.
    var placed: [(node: Node, position: Int)] = []
    for (position, node) in graph.nodes.enumerated() {
      if let number = groupOf[position] {
        if memberLists[number].last == position { placed.append((fusedNodes[number], position)) }
        continue
      }
      var copy = node
      copy.operands = node.operands.map { replacement[$0] ?? $0 }
      placed.append((copy, position))
    }
    graph.nodes = topologicallySorted(placed.map(\.node), inputs: Set(graph.inputs + graph.parameters))
    graph.outputs = graph.outputs.map { output in
      var copy = output
      copy.value = replacement[output.value] ?? output.value
      return copy
    }
    return graph
  }

  /// Orders nodes so that each comes after its operands' producers, keeping the given order
  /// wherever it already allows (a node moves only as far forward as a value it needs).
  static func topologicallySorted(_ nodes: [Node], inputs: Set<ValueID>) -> [Node] {
    var producerOf: [ValueID: Int] = [:]
    for (position, node) in nodes.enumerated() { for result in node.results { producerOf[result] = position } }
    var emitted = [Bool](repeating: false, count: nodes.count)
    var sorted: [Node] = []
    sorted.reserveCapacity(nodes.count)
    for start in nodes.indices where !emitted[start] {
      // Depth-first over unemitted producers, without recursion (chains run thousands deep).
      var stack: [(position: Int, expanded: Bool)] = [(start, false)]
      while let (position, expanded) = stack.popLast() {
        if emitted[position] { continue }
        if expanded {
          emitted[position] = true
          sorted.append(nodes[position])
          continue
        }
        stack.append((position, true))
        for operand in nodes[position].operands.reversed() {
          if let source = producerOf[operand], !emitted[source] { stack.append((source, false)) }
        }
      }
    }
    return sorted
  }
}
