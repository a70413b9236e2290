import IR

/// Merges nodes that compute the same op on the same operands with the same attributes.
///
///     before                                   after
///     %0 = exp(%x) : f32[4]                    %0 = exp(%x) : f32[4]
///     %1 = exp(%x) : f32[4]                    %2 = add(%0, %0) : f32[4]
///     %2 = add(%0, %1) : f32[4]
///
/// Every op is a pure function of its operands and attributes (dropout masks included: they
/// are deterministic in seed and stream), so equal keys mean equal values. Nodes with regions
/// are left alone, and so are the `recompute.*` copies the checkpoint pass places: merging them
/// with the forward values they copy would undo the checkpointing.
public let commonSubexpressionElimination = Pass(
  name: "cse", summary: "merge nodes that compute the same value",
  details: """
    Every op is a pure function of its operands and attributes (dropout masks too: they are \
    deterministic in seed and stream), so two nodes with the same op, operands and attributes \
    compute the same value and the later one is replaced by the earlier. Nodes with regions \
    are left alone; their bodies are deduplicated inside. Values named `recompute.*` (the \
    checkpoint pass's copies) are neither merged nor merged into: keeping them apart is the \
    point of checkpointing.
    """,
  examples: [
    PassExample(
      "Equal nodes merge, outputs follow",
      before: """
        graph @g {
          input %x: f32[4]
          %0 = exp(%x) : f32[4]
          %1 = exp(%x) : f32[4]
          %2 = add(%0, %1) : f32[4]
          %3 = softmax(%x) {axis = 0} : f32[4]
          %4 = softmax(%x) {axis = 0} : f32[4]
          output y = %2
          output z = %4
        }
        """,
      after: """
        graph @g {
          input %x: f32[4]
          %0 = exp(%x) : f32[4]
          %2 = add(%0, %0) : f32[4]
          %3 = softmax(%x) {axis = 0} : f32[4]
          output y = %2
          output z = %3
        }

        """)
  ]
) { graph in
  var result = graph
  var replacements: [ValueID: ValueID] = [:]
  result.nodes = deduplicated(graph.nodes, replacements: &replacements) { Rematerialization.isRecomputed(graph.name(of: $0)) }
  result.outputs = graph.outputs.map { output in
    var copy = output
    copy.value = replacements[output.value] ?? output.value
    return copy
  }
  return result
}

private struct NodeKey: Hashable {
  var op: Op
  var operands: [ValueID]
  var attributes: Attributes
}

private func deduplicated(_ nodes: [Node], replacements: inout [ValueID: ValueID], isRecomputed: (ValueID) -> Bool) -> [Node] {
  var seen: [NodeKey: ValueID] = [:]
  var kept: [Node] = []
  for var node in nodes {
    node.operands = node.operands.map { replacements[$0] ?? $0 }
    if var region = node.region {
      region.nodes = deduplicated(region.nodes, replacements: &replacements, isRecomputed: isRecomputed)
      region.yields = region.yields.map { replacements[$0] ?? $0 }
      node.region = region
      kept.append(node)
      continue
    }
    if isRecomputed(node.result) {
      kept.append(node)
      continue
    }
    let key = NodeKey(op: node.op, operands: node.operands, attributes: node.attributes)
    if let existing = seen[key] {
      replacements[node.result] = existing
    } else {
      seen[key] = node.result
      kept.append(node)
    }
  }
  return kept
}
