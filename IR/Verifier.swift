/// Checks a graph: names, scoping, symbols, attributes and every op's type rule.
///
/// It reports every problem it finds, each located at the op's text position when the
/// graph was parsed, or named by its value otherwise. A node whose type rule fails keeps its
/// declared type so that one mistake does not cascade into many.
public enum Verifier {
  public static func verify(_ graph: Graph) -> [Diagnostic] {
    var checker = Checker(graph: graph)
    checker.run()
    return checker.problems
  }
}

private struct Checker {
  let graph: Graph
  var problems: [Diagnostic] = []
  /// Symbols bound by the graph's inputs (B, S, L, …).
  var boundSymbols: Set<String> = []

  init(graph: Graph) { self.graph = graph }

  mutating func report(_ value: ValueID?, op: Op? = nil, location: SourceLocation? = nil, _ message: String) {
    let info = value.map { graph[$0] }
    problems.append(Diagnostic(location: location ?? info?.location, op: op?.rawValue, value: info?.name, message: message))
  }

  mutating func run() {
    if !Lexer.isValidName(graph.name) { report(nil, "graph name '\(graph.name)' is not a valid name ([A-Za-z0-9_.]+)") }
    checkNames()
    for input in graph.inputs { boundSymbols.formUnion(graph.type(of: input).symbols) }
    for parameter in graph.parameters where !graph.type(of: parameter).isStatic {
      report(parameter, "parameter %\(graph.name(of: parameter)) must have a static shape, found \(graph.type(of: parameter))")
    }
    var visible = Set(graph.inputs + graph.parameters)
    checkNodes(graph.nodes, visible: &visible)
    if graph.outputs.isEmpty { report(nil, "graph @\(graph.name) has no outputs") }
    var labels: Set<String> = []
    for output in graph.outputs {
      if !labels.insert(output.name).inserted {
        report(nil, location: output.location, "output '\(output.name)' is defined twice")
      }
      if !visible.contains(output.value) {
        report(nil, location: output.location, "output '\(output.name)' refers to a value that is not defined at the top level")
      }
    }
  }

  /// Names must be unique across the graph (regions included) and printable.
  mutating func checkNames() {
    var seen: [String: ValueID] = [:]
    var defined: [ValueID] = graph.inputs + graph.parameters
    for node in graph.allNodes {
      if let region = node.region { defined += region.arguments }
      defined += node.results
    }
    for value in defined {
      let name = graph.name(of: value)
      if !Lexer.isValidName(name) { report(value, "value name '\(name)' is not a valid name ([A-Za-z0-9_.]+)") }
      if seen[name] != nil {
        report(value, "%\(name) is defined twice")
      } else {
        seen[name] = value
      }
    }
  }

  mutating func checkNodes(_ nodes: [Node], visible: inout Set<ValueID>) {
    for node in nodes {
      checkNode(node, visible: visible)
      visible.formUnion(node.results)
    }
  }

  mutating func checkNode(_ node: Node, visible: Set<ValueID>) {
    let signature = node.op.signature
    let result = node.result
    for operand in node.operands where !visible.contains(operand) {
      report(result, op: node.op, "operand %\(graph.name(of: operand)) is not defined before this node")
    }
    for value in node.results {
      for symbol in graph.type(of: value).symbols.subtracting(boundSymbols).sorted() {
        report(value, op: node.op, "dimension symbol '\(symbol)' in the result type is not bound by any graph input")
      }
    }
    if node.results.count > 1 && !signature.hasRegion {
      report(result, op: node.op, "defines \(node.results.count) results; only ops with a region (fused) may define several")
      return
    }
    do {
      try signature.checkOperandCount(node.operands.count)
      let attributes = try signature.checkedAttributes(node.attributes, op: node.op)
      if attributes != node.attributes {
        report(result, op: node.op, "attributes are not in normal form (defaults must be spelled out)")
      }
      for case .dims(let dims) in attributes.values.values {
        for symbol in dims.reduce(into: Set<String>(), { $0.formUnion($1.symbols) }).subtracting(boundSymbols).sorted() {
          report(result, op: node.op, "dimension symbol '\(symbol)' in an attribute is not bound by any graph input")
        }
      }
      if signature.hasRegion {
        guard let region = node.region else {
          report(result, op: node.op, "needs a region")
          return
        }
        checkRegion(region, of: node)
      } else {
        if node.region != nil { report(result, op: node.op, "does not take a region") }
        let inferred = try signature.inferType(node.operands.map { graph.type(of: $0) }, attributes)
        let declared = graph.type(of: result)
        if inferred != declared {
          report(result, op: node.op, "declared result type \(declared) differs from the inferred \(inferred)")
        }
      }
    } catch {
      report(result, op: node.op, error.description + operandSummary(node))
    }
  }

  func operandSummary(_ node: Node) -> String {
    node.operands.isEmpty ? "" : " (operands: " + node.operands.map { "%\(graph.name(of: $0)): \(graph.type(of: $0))" }.joined(separator: ", ") + ")"
  }

  /// Checks a region against its owner: block arguments against operands, yielded values
  /// against results (one each, types equal).
  mutating func checkRegion(_ region: Region, of node: Node) {
    if region.arguments.count != node.operands.count {
      report(node.result, op: node.op, "region takes \(region.arguments.count) block arguments for \(node.operands.count) operands")
    }
    for (argument, operand) in zip(region.arguments, node.operands) where graph.type(of: argument) != graph.type(of: operand) {
      report(argument, op: node.op,
        "block argument %\(graph.name(of: argument)): \(graph.type(of: argument)) differs from operand %\(graph.name(of: operand)): \(graph.type(of: operand))")
    }
    var visible = Set(region.arguments)
    checkNodes(region.nodes, visible: &visible)
    for yielded in region.yields where !visible.contains(yielded) {
      report(node.result, op: node.op, "region yields %\(graph.name(of: yielded)), which it does not define")
    }
    guard region.yields.count == node.results.count else {
      report(node.result, op: node.op, "region yields \(region.yields.count) value\(region.yields.count == 1 ? "" : "s") for \(node.results.count) result\(node.results.count == 1 ? "" : "s")")
      return
    }
    for (yielded, result) in zip(region.yields, node.results) where graph.type(of: yielded) != graph.type(of: result) {
      report(result, op: node.op,
        "declared result type \(graph.type(of: result)) of %\(graph.name(of: result)) differs from the yielded %\(graph.name(of: yielded)): \(graph.type(of: yielded))")
    }
  }
}
