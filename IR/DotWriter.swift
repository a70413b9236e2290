/// Draws a graph for Graphviz: inputs as green ellipses, parameters as grey boxes (named by
/// their Hugging Face keys), nodes as boxes with op, attributes and result type, edges labelled
/// with the value's type, and regions as clusters.
public enum DotWriter {
  public static func dot(_ graph: Graph) -> String {
    var out = "digraph \(quoted(graph.name)) {\n"
    out += "  rankdir=TB;\n  node [fontname=\"Helvetica\", fontsize=10];\n  edge [fontname=\"Helvetica\", fontsize=8];\n"
    for input in graph.inputs {
      out += "  \(id(input)) [shape=ellipse, style=filled, fillcolor=\"#d8f0d8\", label=\(quoted("%\(graph.name(of: input))\\n\(graph.type(of: input))"))];\n"
    }
    for parameter in graph.parameters {
      out += "  \(id(parameter)) [shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", label=\(quoted("\(graph.name(of: parameter))\\n\(graph.type(of: parameter))"))];\n"
    }
    writeNodes(graph.nodes, graph: graph, indent: "  ", to: &out)
    for (index, output) in graph.outputs.enumerated() {
      out += "  out\(index) [shape=doubleoctagon, style=filled, fillcolor=\"#f8e0c0\", label=\(quoted(output.name))];\n"
      out += "  \(id(output.value)) -> out\(index);\n"
    }
    return out + "}\n"
  }

  private static func writeNodes(_ nodes: [Node], graph: Graph, indent: String, to out: inout String) {
    for node in nodes {
      let attributes = Printer.attributeText(node)
      var label = node.results.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + " = \(node.op.rawValue)"
      if !attributes.isEmpty { label += "\\n{\(attributes)}" }
      label += "\\n" + Printer.resultTypeText(node, in: graph)
      if let region = node.region {
        out += "\(indent)subgraph cluster_\(node.result.index) {\n\(indent)  label=\(quoted(label));\n\(indent)  style=dashed;\n"
        for argument in region.arguments {
          out += "\(indent)  \(id(argument)) [shape=circle, label=\(quoted("%\(graph.name(of: argument))"))];\n"
        }
        writeNodes(region.nodes, graph: graph, indent: indent + "  ", to: &out)
        for (yielded, result) in zip(region.yields, node.results) {
          out += "\(indent)  \(id(result)) [shape=point];\n"
          out += "\(indent)  \(id(yielded)) -> \(id(result)) [style=dashed];\n"
        }
        out += "\(indent)}\n"
        for (operand, argument) in zip(node.operands, region.arguments) {
          out += "\(indent)\(id(operand)) -> \(id(argument)) [label=\(quoted(graph.type(of: operand).description))];\n"
        }
        continue
      }
      out += "\(indent)\(id(node.result)) [shape=box, label=\(quoted(label))];\n"
      for operand in node.operands {
        out += "\(indent)\(id(operand)) -> \(id(node.result)) [label=\(quoted(graph.type(of: operand).description))];\n"
      }
    }
  }

  private static func id(_ value: ValueID) -> String { "v\(value.index)" }

  private static func quoted(_ text: String) -> String {
    "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\\\"") + "\""
  }
}
