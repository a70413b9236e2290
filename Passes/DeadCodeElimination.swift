import IR

/// Removes nodes whose results no output needs.
///
///     before                                   after
///     %0 = exp(%x) : f32[4]                    %1 = neg(%x) : f32[4]
///     %1 = neg(%x) : f32[4]                    output y = %1
///     output y = %1
///
/// Inputs and parameters stay even when unused: they are the graph's interface.
/// Region bodies are cleaned the same way against their yielded value.
public let deadCodeElimination = Pass(
  name: "dce", summary: "remove nodes whose results no output uses",
  details: """
    Walks the nodes backwards from the outputs and keeps what they need. Inputs and parameters \
    stay even when unused (they are the graph's interface); region bodies are cleaned the same \
    way against the values they yield. Other passes leave dead nodes behind on purpose and rely \
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
  for var node in nodes.reversed() where live.contains(node.result) {
    live.formUnion(node.operands)
    if var region = node.region {
      region.nodes = liveNodes(region.nodes, roots: [region.yielded])
      node.region = region
    }
    kept.append(node)
  }
  return kept.reversed()
}
