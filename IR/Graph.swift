/// An SSA value in a graph, identified by its index in the graph's value table.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
  public let index: Int
  public init(_ index: Int) { self.index = index }
  public static func < (lhs: ValueID, rhs: ValueID) -> Bool { lhs.index < rhs.index }
  public var description: String { "v\(index)" }
}

/// Where a value comes from.
public enum ValueRole: Hashable, Sendable {
  /// Fed by the caller at run time (audio, masks, labels).
  case input
  /// A trained weight, named by its Hugging Face state-dict key.
  case parameter
  /// The result of a node.
  case result
  /// An argument of a region's block.
  case blockArgument
}

/// A line and column in an IR text file (both from 1).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public var description: String { "\(line):\(column)" }
}

/// What the graph knows about one value.
public struct ValueInfo: Hashable, Sendable {
  /// The name printed after `%`: a Hugging Face key for parameters, a number or a label otherwise.
  public var name: String
  public var type: TensorType
  public var role: ValueRole
  /// Where the text form defined it, when the graph was parsed.
  public var location: SourceLocation?
}

/// One operation: an op applied to operands, with attributes, defining its result values.
///
/// Every op defines one result except `fused`, whose region may yield several (multi-output
/// fusion: a layer norm and the residual sum the next layer reads, a norm's dx, dγ and dβ).
/// `result` is the first (primary) one.
public struct Node: Hashable, Sendable {
  public var op: Op
  public var operands: [ValueID]
  public var attributes: Attributes
  /// The values this node defines, in order; never empty.
  public var results: [ValueID]
  /// The body of ops that carry one (`fused`).
  public var region: Region?

  /// The first result (the only one for every op but `fused`).
  public var result: ValueID {
    get { results[0] }
    set { results[0] = newValue }
  }

  public init(op: Op, operands: [ValueID], attributes: Attributes, result: ValueID, region: Region? = nil) {
    self.init(op: op, operands: operands, attributes: attributes, results: [result], region: region)
  }

  public init(op: Op, operands: [ValueID], attributes: Attributes, results: [ValueID], region: Region? = nil) {
    precondition(!results.isEmpty, "a node defines at least one value")
    self.op = op
    self.operands = operands
    self.attributes = attributes
    self.results = results
    self.region = region
  }
}

/// A nested block: arguments bound to the owning node's operands, a body, and the values it
/// yields (one per result of the owning node, in order).
/// Bodies are isolated: they use only their arguments and their own results.
public struct Region: Hashable, Sendable {
  public var arguments: [ValueID]
  public var nodes: [Node]
  /// The yielded values; never empty.
  public var yields: [ValueID]

  /// The first yielded value (the owner's primary result).
  public var yielded: ValueID {
    get { yields[0] }
    set { yields[0] = newValue }
  }

  public init(arguments: [ValueID], nodes: [Node], yielded: ValueID) {
    self.init(arguments: arguments, nodes: nodes, yields: [yielded])
  }

  public init(arguments: [ValueID], nodes: [Node], yields: [ValueID]) {
    precondition(!yields.isEmpty, "a region yields at least one value")
    self.arguments = arguments
    self.nodes = nodes
    self.yields = yields
  }
}

/// A named graph output.
public struct GraphOutput: Hashable, Sendable {
  public var name: String
  public var value: ValueID
  public var location: SourceLocation?

  public init(name: String, value: ValueID, location: SourceLocation? = nil) {
    self.name = name
    self.value = value
    self.location = location
  }
}

/// A whole program: named inputs, parameters, nodes in definition order, and named outputs.
///
/// A graph is a plain value. Passes take one and return another; nothing is shared.
public struct Graph: Hashable, Sendable {
  public var name: String
  /// Every value ever defined in the graph, region values included.
  public var values: [ValueInfo] = []
  public var inputs: [ValueID] = []
  public var parameters: [ValueID] = []
  public var nodes: [Node] = []
  public var outputs: [GraphOutput] = []

  public init(name: String) { self.name = name }

  public subscript(value: ValueID) -> ValueInfo {
    get { values[value.index] }
    set { values[value.index] = newValue }
  }

  public func type(of value: ValueID) -> TensorType { values[value.index].type }
  public func name(of value: ValueID) -> String { values[value.index].name }

  /// Adds a value to the table and returns its id.
  public mutating func addValue(name: String, type: TensorType, role: ValueRole, location: SourceLocation? = nil) -> ValueID {
    values.append(ValueInfo(name: name, type: type, role: role, location: location))
    return ValueID(values.count - 1)
  }

  /// The parameter with a given name.
  public func parameter(named name: String) -> ValueID? { parameters.first { self.name(of: $0) == name } }

  /// The input with a given name.
  public func input(named name: String) -> ValueID? { inputs.first { self.name(of: $0) == name } }

  /// The output with a given name.
  public func output(named name: String) -> ValueID? { outputs.first { $0.name == name }?.value }

  /// Top-level nodes plus every node nested in regions, outermost first.
  public var allNodes: [Node] {
    var result: [Node] = []
    func visit(_ nodes: [Node]) {
      for node in nodes {
        result.append(node)
        if let region = node.region { visit(region.nodes) }
      }
    }
    visit(nodes)
    return result
  }
}
