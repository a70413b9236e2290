/// Writes a graph in the IR text format (see docs/ir.md).
///
/// The output is the normalised form: inputs, then parameters, then nodes in order, then
/// outputs; every attribute spelled out in signature order. Parsing it back and printing
/// again gives the same text.
public enum Printer {
  public static func print(_ graph: Graph) -> String {
    var out = "graph @\(graph.name) {\n"
    for input in graph.inputs { out += "  input %\(graph.name(of: input)): \(graph.type(of: input))\n" }
    for parameter in graph.parameters { out += "  param %\(graph.name(of: parameter)): \(graph.type(of: parameter))\n" }
    for node in graph.nodes { printNode(node, in: graph, indent: "  ", to: &out) }
    for output in graph.outputs { out += "  output \(output.name) = %\(graph.name(of: output.value))\n" }
    out += "}\n"
    return out
  }

  /// One node on one line (its region, if any, on the lines after).
  public static func print(_ node: Node, in graph: Graph) -> String {
    var out = ""
    printNode(node, in: graph, indent: "", to: &out)
    return out
  }

  static func printNode(_ node: Node, in graph: Graph, indent: String, to out: inout String) {
    out += indent + node.results.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + " = \(node.op.rawValue)("
    out += node.operands.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + ")"
    let attributes = attributeText(node)
    if !attributes.isEmpty { out += " {\(attributes)}" }
    out += " : " + resultTypeText(node, in: graph)
    guard let region = node.region else {
      out += "\n"
      return
    }
    let arguments = region.arguments.map { "%\(graph.name(of: $0)): \(graph.type(of: $0))" }
    out += " {\n\(indent)  ^(\(arguments.joined(separator: ", "))):\n"
    for inner in region.nodes { printNode(inner, in: graph, indent: indent + "    ", to: &out) }
    out += "\(indent)    yield " + region.yields.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + "\n\(indent)}\n"
  }

  /// `t` for one result, `(t₁, t₂, …)` for several.
  public static func resultTypeText(_ node: Node, in graph: Graph) -> String {
    let types = node.results.map { graph.type(of: $0).description }
    return types.count == 1 ? types[0] : "(" + types.joined(separator: ", ") + ")"
  }

  /// `name = value` pairs in signature order, then any unknown ones sorted (only in invalid graphs).
  static func attributeText(_ node: Node) -> String {
    let specs = node.op.signature.attributes.map(\.name)
    let extra = node.attributes.values.keys.filter { !specs.contains($0) }.sorted()
    return (specs + extra).compactMap { name in node.attributes[name].map { "\(name) = \($0)" } }
      .joined(separator: ", ")
  }
}
