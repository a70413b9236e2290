/// Draws a graph for Graphviz, readable at the size of a training graph (thousands of nodes):
/// - nodes are grouped into clusters by Hugging Face module (``ModuleScopes``): conv layer N,
///   encoder layer N, its attention, its feed-forward, the loss, and the backward of each;
/// - nodes are filled by op family (``OpFamily``), so matmuls, norms and reshapes stand out;
/// - scalar constants are not drawn: their value appears in the consumer's label (`mul(·, 0.125)`);
/// - the backward tree reads forward values (activations, parameters, inputs) by name in its
///   labels (`mul(·, %gelu_3)`) rather than by edges: edges from the top of the forward graph to
///   the bottom of the backward one made Graphviz take many minutes on a training graph, and
///   drew a thicket no one could follow. The backward tree is laid out beside the forward one;
/// - a `fused` node is one box listing its body;
/// - inputs are green ellipses, parameters grey boxes with their short name (the full Hugging
///   Face key in the tooltip), outputs orange octagons. Types sit in the labels, not on edges.
public enum DotWriter {
  public static func dot(_ graph: Graph) -> String {
    let scopes = ModuleScopes(graph)
    let scalars = scalarConstants(graph)
    var clusters = Clusters()
    var edges: [(from: String, to: String)] = []

    for input in graph.inputs {
      clusters.add(
        id(input), "[shape=ellipse, style=filled, fillcolor=\"#d8f0d8\", label=\(quoted("%\(graph.name(of: input))\n\(graph.type(of: input))"))];",
        at: [])
    }
    for parameter in graph.parameters {
      let name = graph.name(of: parameter)
      clusters.add(
        id(parameter),
        "[shape=box, style=\"rounded,filled\", fillcolor=\"#eeeeee\", color=\"#999999\", label=\(quoted("\(shortName(parameter, graph))\n\(graph.type(of: parameter))")), tooltip=\(quoted(name))];",
        at: scopes.path(of: parameter))
    }
    // A fused node's further results are drawn as the node itself (one box).
    var drawnAs: [ValueID: ValueID] = [:]
    for node in graph.nodes { for other in node.results.dropFirst() { drawnAs[other] = node.result } }
    let box = { (value: ValueID) in id(drawnAs[value] ?? value) }
    for node in graph.nodes where !scalars.keys.contains(node.result) {
      // Operands shown by name in the label instead of by an edge.
      var named = scalars
      if scopes.isBackward(node.result) {
        for operand in node.operands where !scopes.isBackward(operand) && named[operand] == nil { named[operand] = "%" + shortName(operand, graph) }
      }
      let shape = node.region == nil ? "box" : "box3d"
      clusters.add(
        id(node.result),
        "[shape=\(shape), style=filled, fillcolor=\"\(fillColor(node.op.family))\", label=\(nodeLabel(node, graph: graph, scalars: named)), tooltip=\(quoted(tooltip(node, graph: graph)))];",
        at: clusterPath(scopes, node.result))
      for source in Set(node.operands.filter { !named.keys.contains($0) }.map(box)).sorted() {
        edges.append((source, id(node.result)))
      }
    }
    for (index, output) in graph.outputs.enumerated() {
      clusters.add("out\(index)", "[shape=doubleoctagon, style=filled, fillcolor=\"#f8e0c0\", label=\(quoted(output.name))];", at: clusterPath(scopes, output.value))
      edges.append((box(output.value), "out\(index)"))
    }

    var out = "digraph \(quoted(graph.name)) {\n"
    out += "  rankdir=TB; newrank=true; nodesep=0.15; ranksep=0.25;\n"
    // Bounded layout effort for large graphs: dot's network simplex and crossing minimisation
    // ran for over 12 minutes on some 1,500-node training stages; with these limits they take
    // 7 to 25 s and the drawing stays readable.
    if graph.allNodes.count > 400 { out += "  nslimit=2; nslimit1=2; mclimit=0.2; searchsize=20;\n" }
    out += "  node [fontname=\"Helvetica\", fontsize=9, height=0.3, margin=\"0.06,0.03\"];\n"
    out += "  edge [color=\"#777777\", arrowsize=0.5];\n"
    clusters.write(to: &out)
    for edge in edges { out += "  \(edge.from) -> \(edge.to);\n" }
    out += stackedBackward(clusters, edges: edges)
    return out + "}\n"
  }

  /// Invisible edges that stack the backward clusters one below the other: every node of a
  /// cluster with no successor (a weight gradient, an output) above every node of the next
  /// cluster with no predecessor, through one invisible point. Without them the clusters overlap
  /// by a few ranks and Graphviz sets each beside the one before, a staircase across the page.
  private static func stackedBackward(_ clusters: Clusters, edges: [(from: String, to: String)]) -> String {
    let hasSuccessor = Set(edges.map(\.from))
    let hasPredecessor = Set(edges.map(\.to))
    let backward = clusters.paths.indices.filter { clusters.paths[$0].first == "backward" }
    var out = ""
    for (boundary, (upper, lower)) in zip(backward, backward.dropFirst()).enumerated() {
      let ends = clusters.members[upper].filter { !hasSuccessor.contains($0) }
      let starts = clusters.members[lower].filter { !hasPredecessor.contains($0) }
      guard !ends.isEmpty, !starts.isEmpty else { continue }
      out += "  stack\(boundary) [shape=point, style=invis, width=0, height=0];\n"
      for end in ends { out += "  \(end) -> stack\(boundary) [style=invis];\n" }
      for start in starts { out += "  stack\(boundary) -> \(start) [style=invis];\n" }
    }
    return out
  }

  /// The cluster of a value: its module path, except that the backward of a list item
  /// (`layers.3`) is one cluster. Backward sub-modules interleave in rank (the weight gradients
  /// of an attention block sit beside the next block's chain), and Graphviz placed each such
  /// cluster to the right of the one before, a staircase tens of thousands of points wide.
  private static func clusterPath(_ scopes: ModuleScopes, _ value: ValueID) -> [String] {
    let path = scopes.path(of: value)
    guard path.first == "backward", let item = path.lastIndex(where: { $0.contains(".") }) else { return path }
    return Array(path[...item])
  }

  /// Fill colour of each op family.
  public static func fillColor(_ family: OpFamily) -> String {
    switch family {
    case .elementwise: "#fff2cc"
    case .sources: "#f3f3f3"
    case .linearAlgebra: "#c9daf8"
    case .normalization: "#d9ead3"
    case .shape: "#ead1dc"
    case .reduction: "#fce5cd"
    case .lossAndRandom: "#f4cccc"
    case .structure: "#d9d2e9"
    }
  }

  // MARK: Labels

  /// Top-level constants holding one element, by value, with the text shown in their consumers.
  private static func scalarConstants(_ graph: Graph) -> [ValueID: String] {
    var scalars: [ValueID: String] = [:]
    for node in graph.nodes where node.op == .constant && graph.type(of: node.result).staticElementCount == 1 {
      guard case .float(let value)? = node.attributes["value"] else { continue }
      let type = graph.type(of: node.result)
      let text = type.dtype.isFloatingPoint ? shortNumber(value) : String(Int(value))
      scalars[node.result] = type.rank == 0 ? text : "\(text):\(type)"
    }
    return scalars
  }

  private static func nodeLabel(_ node: Node, graph: Graph, scalars: [ValueID: String]) -> String {
    var head = node.results.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + " = \(node.op.rawValue)"
    if node.operands.contains(where: { scalars.keys.contains($0) }) {
      head += "(" + node.operands.map { scalars[$0] ?? "·" }.joined(separator: ", ") + ")"
    }
    var lines = [head]
    let attributes = Printer.attributeText(node)
    if !attributes.isEmpty { lines.append("{" + clipped(attributes, to: 60) + "}") }
    lines.append(Printer.resultTypeText(node, in: graph))
    guard let region = node.region else { return quoted(lines.joined(separator: "\n")) }
    // A fused region: its body, one op per line, left-aligned under the head.
    let shown = 14
    for inner in region.nodes.prefix(shown) {
      lines.append(inner.results.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + " = \(inner.op.rawValue)(" + inner.operands.map { "%" + graph.name(of: $0) }.joined(separator: ", ") + ")")
    }
    if region.nodes.count > shown { lines.append("… \(region.nodes.count - shown) more") }
    lines.append("yield " + region.yields.map { "%" + graph.name(of: $0) }.joined(separator: ", "))
    return "\"" + lines.map(escaped).joined(separator: "\\l") + "\\l\""
  }

  /// A parameter's last two name components (its cluster says which layer); other values' names.
  private static func shortName(_ value: ValueID, _ graph: Graph) -> String {
    let name = graph.name(of: value)
    return graph[value].role == .parameter ? name.split(separator: ".").suffix(2).joined(separator: ".") : name
  }

  private static func tooltip(_ node: Node, graph: Graph) -> String {
    var line = Printer.print(node, in: graph)
    if let newline = line.firstIndex(of: "\n") { line = String(line[..<newline]) }
    return clipped(line, to: 400)
  }

  private static func shortNumber(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    if abs(value) > 1e30 { return value < 0 ? "-huge" : "huge" }
    let text = String(value)
    return text.count <= 10 ? text : String(Float(value))
  }

  private static func clipped(_ text: String, to length: Int) -> String {
    text.count <= length ? text : String(text.prefix(length - 1)) + "…"
  }

  private static func id(_ value: ValueID) -> String { "v\(value.index)" }

  private static func escaped(_ text: String) -> String {
    var out = ""
    for character in text {
      switch character {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      default: out.append(character)
      }
    }
    return out
  }

  private static func quoted(_ text: String) -> String { "\"" + escaped(text) + "\"" }

  /// Node statements by cluster. Clusters are flat, one per module path, labelled with the
  /// whole path: Graphviz lays nested clusters out as a staircase (each encoder layer pushed
  /// right of the one before, 13,000 points wide for base), flat ones as one column.
  private struct Clusters {
    var topLevel: [String] = []
    /// Node ids and statements of each cluster, by position.
    var members: [[String]] = []
    var statements: [[String]] = []
    var paths: [[String]] = []
    var index: [[String]: Int] = [:]

    mutating func add(_ id: String, _ attributes: String, at path: [String]) {
      guard !path.isEmpty else {
        topLevel.append(id + " " + attributes)
        return
      }
      if index[path] == nil {
        index[path] = paths.count
        paths.append(path)
        members.append([])
        statements.append([])
      }
      members[index[path]!].append(id)
      statements[index[path]!].append(id + " " + attributes)
    }

    func write(to out: inout String) {
      for statement in topLevel { out += "  " + statement + "\n" }
      for (path, statements) in zip(paths, statements) {
        let isBackward = path.first == "backward"
        let name = isBackward ? "backward: " + path.dropFirst().joined(separator: ".") : path.joined(separator: ".")
        let identifier = "cluster_" + name.map { $0.isLetter || $0.isNumber ? String($0) : "_" }.joined()
        let color = isBackward ? "#b45f06" : "#3d85c6"
        out += "  subgraph \(quoted(identifier)) {\n"
        out += "    label=\(quoted(name)); labeljust=l; fontname=\"Helvetica-Bold\"; fontsize=12; style=rounded; color=\"\(color)\"; fontcolor=\"\(color)\";\n"
        for statement in statements { out += "    " + statement + "\n" }
        out += "  }\n"
      }
    }
  }
}
