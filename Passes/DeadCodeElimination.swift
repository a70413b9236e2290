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
  name: "dce", summary: "remove nodes whose results no output uses"
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
