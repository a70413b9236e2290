import IR

/// Moves nodes down to just before their first use when that shortens their result's lifetime
/// without lengthening any operand's.
///
///     before                                   after
///     %w = transpose(%p) {perm = [1, 0]}       %a = exp(%x)
///     %a = exp(%x)                             %b = neg(%a)
///     %b = neg(%a)                             %w = transpose(%p) {perm = [1, 0]}
///     %c = matmul(%b, %w)                      %c = matmul(%b, %w)
///
/// The memory plan follows the node order, so a value computed long before it is read holds
/// its memory all that time. A node is sunk only when every operand is an input, a parameter
/// or still read at or after the new position, so no live range grows and the live maximum
/// can only fall.
public let schedule = Pass(
  name: "schedule",
  summary: "sink nodes to just before their first use when no operand lives longer for it",
  details: """
    The memory plan (`MemoryPlan`) takes the node order as the schedule, so a value computed \
    long before its first use holds memory all that time. This pass walks the nodes from the \
    last to the first and moves each one down to just before its first user (or to the end, \
    for a node only an output reads), but only when every operand is an input or parameter or \
    is read again at or after the new place: then no value's live range grows, and the live \
    maximum can only fall. Ops are pure, so the order changes no value.
    """,
  examples: [
    PassExample(
      "A weight transpose moves to its matmul",
      before: """
        graph @g {
          input %x: f32[4, 8]
          param %p: f32[16, 8]
          %w = transpose(%p) {perm = [1, 0]} : f32[8, 16]
          %a = exp(%x) : f32[4, 8]
          %b = neg(%a) : f32[4, 8]
          %c = matmul(%b, %w) : f32[4, 16]
          output y = %c
        }
        """,
      after: """
        graph @g {
          input %x: f32[4, 8]
          param %p: f32[16, 8]
          %a = exp(%x) : f32[4, 8]
          %b = neg(%a) : f32[4, 8]
          %w = transpose(%p) {perm = [1, 0]} : f32[8, 16]
          %c = matmul(%b, %w) : f32[4, 16]
          output y = %c
        }

        """)
  ]
) { graph in
  var result = graph
  result.nodes = sunk(graph.nodes, outputs: Set(graph.outputs.map(\.value)), graph: graph)
  return result
}

private func sunk(_ nodes: [Node], outputs: Set<ValueID>, graph: Graph) -> [Node] {
  var order = nodes
  // Positions and users are keyed by each node's first result; a multi-result node's other
  // results map to it, so a user of any result holds the node above it.
  var primary: [ValueID: ValueID] = [:]
  for node in nodes { for value in node.results { primary[value] = node.result } }
  let multiResult = Set(nodes.filter { $0.results.count > 1 }.map(\.result))
  var position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1.result, $0) })
  var users: [ValueID: [ValueID]] = [:]
  for node in nodes { for operand in Set(node.operands.map { primary[$0] ?? $0 }) { users[operand, default: []].append(node.result) } }

  for original in nodes.reversed() {
    let from = position[original.result]!
    let userPositions = (users[original.result] ?? []).map { position[$0]! }
    let target: Int
    if let firstUse = userPositions.min() {
      target = firstUse - 1
    } else if original.results.contains(where: outputs.contains) {
      target = order.count - 1
    } else {
      continue
    }
    guard target > from else { continue }
    // Every operand must stay live past the new place anyway (read by another node after it, or
    // an output), or not be an arena value at all.
    let keepsOperandsShort = Set(original.operands.map { primary[$0] ?? $0 }).allSatisfy { operand in
      let role = graph[operand].role
      if role == .input || role == .parameter || outputs.contains(operand) { return true }
      if multiResult.contains(operand) { return true }
      return (users[operand] ?? []).contains { $0 != original.result && position[$0]! > target }
    }
    guard keepsOperandsShort else { continue }
    let node = order.remove(at: from)
    order.insert(node, at: target)
    for index in from...target { position[order[index].result] = index }
  }
  return order
}
