import IR

/// Keeps only the named outputs, then removes the nodes and inputs nothing needs any more.
///
///     before (outputs logits, loss; inputs input_values, labels)
///     after selectOutputs(["logits"]): output logits; input input_values; no loss nodes
///
/// Inference uses it to drop the CTC loss (and its `labels` input) from a model's graph.
public func selectOutputs(_ names: [String]) -> Pass {
  Pass(name: "select-outputs", summary: "keep only the named outputs and what they need") { graph in
    var result = graph
    result.outputs = graph.outputs.filter { names.contains($0.name) }
    let missing = names.filter { name in !graph.outputs.contains { $0.name == name } }
    if !missing.isEmpty { throw PassError.unknownOutput(missing, known: graph.outputs.map(\.name)) }
    result = try deadCodeElimination.run(result)
    var used = Set(result.outputs.map(\.value))
    for node in result.allNodes { used.formUnion(node.operands) }
    result.inputs = result.inputs.filter { used.contains($0) }
    result.parameters = result.parameters.filter { used.contains($0) }
    return result
  }
}
