/// Builds graphs in Swift: every node is type-checked as it is added, so a builder error
/// names the op and the reason at the line of Swift that made it.
///
///     var builder = GraphBuilder(name: "example")
///     let x = builder.input("x", TensorType(.f32, [.symbol("B"), 16]))
///     let w = builder.parameter("proj.weight", TensorType(.f32, [8, 16]))
///     let y = try builder.linear(x, w)
///     builder.output("y", y)
///     let graph = try builder.finish()
public struct GraphBuilder: Sendable {
  public private(set) var graph: Graph
  private var usedNames: Set<String> = []
  private var nextNumber = 0

  public init(name: String) { graph = Graph(name: name) }

  /// Continues building on an existing graph (passes that add nodes, such as autodiff).
  public init(continuing graph: Graph) {
    self.graph = graph
    usedNames = Set(graph.values.map(\.name))
  }

  public func type(of value: ValueID) -> TensorType { graph.type(of: value) }

  public mutating func input(_ name: String, _ type: TensorType) -> ValueID {
    let value = graph.addValue(name: claim(name), type: type, role: .input)
    graph.inputs.append(value)
    return value
  }

  public mutating func parameter(_ name: String, _ type: TensorType) -> ValueID {
    let value = graph.addValue(name: claim(name), type: type, role: .parameter)
    graph.parameters.append(value)
    return value
  }

  public mutating func output(_ name: String, _ value: ValueID) {
    graph.outputs.append(GraphOutput(name: name, value: value))
  }

  /// Adds `op(operands) {attributes}` and returns its result. The name defaults to the next number.
  @discardableResult
  public mutating func apply(_ op: Op, _ operands: [ValueID], _ attributes: Attributes = [:], name: String? = nil) throws(Diagnostic) -> ValueID {
    let signature = op.signature
    let checked: Attributes
    let type: TensorType
    do {
      try signature.checkOperandCount(operands.count)
      checked = try signature.checkedAttributes(attributes, op: op)
      type = try signature.inferType(operands.map { graph.type(of: $0) }, checked)
    } catch {
      throw Diagnostic(op: op.rawValue, value: name, message: error.description + " (operands: \(operands.map { graph.type(of: $0).description }.joined(separator: ", ")))")
    }
    let result = graph.addValue(name: claim(name ?? nextName()), type: type, role: .result)
    graph.nodes.append(Node(op: op, operands: operands, attributes: checked, result: result))
    return result
  }

  /// Adds a `fused` node whose body `build` writes with its own builder calls; the body gets
  /// block arguments typed like the operands and returns the value to yield.
  @discardableResult
  public mutating func fused(
    _ operands: [ValueID], kind: String = "generic", name: String? = nil,
    body build: (inout GraphBuilder, [ValueID]) throws(Diagnostic) -> ValueID
  ) throws(Diagnostic) -> ValueID {
    try fused(operands, kind: kind, names: [name]) { (builder, arguments) throws(Diagnostic) in [try build(&builder, arguments)] }[0]
  }

  /// Adds a `fused` node with one result per value the body returns (a multi-result region).
  /// `names` names the results in order (nil entries, or missing ones, take the next number).
  @discardableResult
  public mutating func fused(
    _ operands: [ValueID], kind: String = "generic", names: [String?],
    yielding build: (inout GraphBuilder, [ValueID]) throws(Diagnostic) -> [ValueID]
  ) throws(Diagnostic) -> [ValueID] {
    let outerNodes = graph.nodes
    graph.nodes = []
    let arguments = operands.map { graph.addValue(name: claim(nextName()), type: graph.type(of: $0), role: .blockArgument) }
    let yields: [ValueID]
    do {
      yields = try build(&self, arguments)
    } catch {
      graph.nodes = outerNodes
      throw error
    }
    guard !yields.isEmpty else {
      graph.nodes = outerNodes
      throw Diagnostic(op: Op.fused.rawValue, message: "a region yields at least one value")
    }
    let region = Region(arguments: arguments, nodes: graph.nodes, yields: yields)
    graph.nodes = outerNodes
    let attributes = try Self.check(.fused, ["kind": .string(kind)])
    var results: [ValueID] = []
    for (index, yielded) in yields.enumerated() {
      let name = index < names.count ? names[index] : nil
      results.append(graph.addValue(name: claim(name ?? nextName()), type: graph.type(of: yielded), role: .result))
    }
    graph.nodes.append(Node(op: .fused, operands: operands, attributes: attributes, results: results, region: region))
    return results
  }

  /// The finished graph, verified.
  public func finish() throws(DiagnosticList) -> Graph {
    let problems = Verifier.verify(graph)
    guard problems.isEmpty else { throw DiagnosticList(problems) }
    return graph
  }

  private static func check(_ op: Op, _ attributes: Attributes) throws(Diagnostic) -> Attributes {
    do { return try op.signature.checkedAttributes(attributes, op: op) } catch {
      throw Diagnostic(op: op.rawValue, message: error.description)
    }
  }

  private mutating func nextName() -> String {
    while usedNames.contains(String(nextNumber)) { nextNumber += 1 }
    defer { nextNumber += 1 }
    return String(nextNumber)
  }

  /// Reserves a name; a clash gets a numeric suffix so that builder code never produces duplicates.
  private mutating func claim(_ name: String) -> String {
    var candidate = name
    var suffix = 1
    while usedNames.contains(candidate) {
      candidate = "\(name)_\(suffix)"
      suffix += 1
    }
    usedNames.insert(candidate)
    return candidate
  }
}
