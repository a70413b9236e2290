import IR

/// Removes nodes whose results no output needs.
///
///     before                                   after
///     %0 = exp(%x) : f32[4]                    %1 = neg(%x) : f32[4]
///     %1 = neg(%x) : f32[4]                    output y = %1
///     output y = %1
///
/// Inputs and parameters stay even when unused: they are the graph's interface.
/// Region bodies are cleaned the same way against their yielded values; a node with several
/// results stays when any of them is used.
public let deadCodeElimination = Pass(
  name: "dce", summary: "remove nodes whose results no output uses",
  details: """
    Walks the nodes backwards from the outputs and keeps what they need. Inputs and parameters \
    stay even when unused (they are the graph's interface); region bodies are cleaned the same \
    way against the values they yield; a node with several results (a multi-result region) stays \
    whole when any of them is used. Other passes leave dead nodes behind on purpose and rely \
    on this one.
    """,
  examples: [
    PassExample(
      "An unused chain goes",
      before: """
        graph @g {
          input %x: f32[4]
          %0 = exp(%x) : f32[4]
          %1 = neg(%x) : f32[4]
          %2 = tanh(%0) : f32[4]
          output y = %1
        }
        """,
      after: """
        graph @g {
          input %x: f32[4]
          %1 = neg(%x) : f32[4]
          output y = %1
        }

        """)
  ]
) { graph in
  var result = graph
  result.nodes = liveNodes(graph.nodes, roots: graph.outputs.map(\.value))
  return result
}

private func liveNodes(_ nodes: [Node], roots: [ValueID]) -> [Node] {
  var live = Set(roots)
  var kept: [Node] = []
  // A node with several results is live when any of them is; it keeps all of them (the
  // region still computes every yielded value, so the node's interface stays whole).
  for var node in nodes.reversed() where node.results.contains(where: live.contains) {
    live.formUnion(node.operands)
    if var region = node.region {
      region.nodes = liveNodes(region.nodes, roots: region.yields)
      node.region = region
    }
    kept.append(node)
  }
  return kept.reversed()
}
