/// Reads the IR text format (grammar in docs/ir.md) into a ``Graph``.
///
/// Parsing checks syntax and names: unknown ops, undefined or duplicate values, uses before
/// definition and cycles. Types and attributes are checked by the ``Verifier``; use
/// ``parseAndVerify(_:file:)`` for both. Every error carries a line and column.
public enum Parser {
  public static func parse(_ text: String, file: String? = nil) throws(Diagnostic) -> Graph {
    do {
      var lexer = Lexer(text)
      var syntax = SyntaxParser(tokens: try lexer.tokenize())
      let parsed = try syntax.parseGraph()
      var resolver = NameResolver(parsed: parsed)
      return try resolver.resolve()
    } catch {
      throw file.map { error.inFile($0) } ?? error
    }
  }

  /// Parses and verifies; every problem found is reported.
  public static func parseAndVerify(_ text: String, file: String? = nil) throws(DiagnosticList) -> Graph {
    let graph: Graph
    do { graph = try parse(text, file: file) } catch { throw DiagnosticList([error]) }
    let problems = Verifier.verify(graph).map { problem in file.map { problem.inFile($0) } ?? problem }
    guard problems.isEmpty else { throw DiagnosticList(problems) }
    return graph
  }
}

// MARK: Syntax

struct ParsedName {
  var name: String
  var location: SourceLocation
}

struct ParsedNode {
  /// One name per result (several only for multi-result regions), each with its type.
  var results: [ParsedName]
  var op: ParsedName
  var operands: [ParsedName]
  var attributes: [(name: ParsedName, value: Attribute)]
  var types: [TensorType]
  var region: ParsedRegion?
}

struct ParsedRegion {
  var arguments: [(name: ParsedName, type: TensorType)]
  var nodes: [ParsedNode]
  var yields: [ParsedName]
}

struct ParsedGraph {
  enum Declaration {
    case input(ParsedName, TensorType)
    case parameter(ParsedName, TensorType)
    case node(ParsedNode)
    case output(ParsedName, ParsedName)
  }
  var name: String
  var declarations: [Declaration]
}

struct SyntaxParser {
  private let tokens: [Token]
  private var index = 0

  init(tokens: [Token]) { self.tokens = tokens }

  private var current: Token { tokens[index] }
  private mutating func advance() { if index < tokens.count - 1 { index += 1 } }

  private func error(_ message: String, at token: Token? = nil) -> Diagnostic {
    Diagnostic(location: (token ?? current).location, message: message)
  }

  private mutating func expect(_ character: Character, _ context: String) throws(Diagnostic) {
    guard current.kind == .punctuation(character) else {
      throw error("expected '\(character)' \(context), found \(current.kind.text)")
    }
    advance()
  }

  private mutating func accept(_ character: Character) -> Bool {
    guard current.kind == .punctuation(character) else { return false }
    advance()
    return true
  }

  private mutating func expectKeyword(_ keyword: String) throws(Diagnostic) {
    guard current.kind == .identifier(keyword) else { throw error("expected '\(keyword)', found \(current.kind.text)") }
    advance()
  }

  private mutating func valueName(_ context: String) throws(Diagnostic) -> ParsedName {
    guard case .value(let name) = current.kind else { throw error("expected a value name (%name) \(context), found \(current.kind.text)") }
    defer { advance() }
    return ParsedName(name: name, location: current.location)
  }

  mutating func parseGraph() throws(Diagnostic) -> ParsedGraph {
    try expectKeyword("graph")
    guard case .graphName(let name) = current.kind else { throw error("expected a graph name (@name), found \(current.kind.text)") }
    advance()
    try expect("{", "to open the graph body")
    var declarations: [ParsedGraph.Declaration] = []
    while !accept("}") {
      if current.kind == .end { throw error("expected '}' to close the graph body, found end of file") }
      declarations.append(try declaration())
    }
    guard current.kind == .end else { throw error("unexpected \(current.kind.text) after the graph's closing '}'") }
    return ParsedGraph(name: name, declarations: declarations)
  }

  private mutating func declaration() throws(Diagnostic) -> ParsedGraph.Declaration {
    switch current.kind {
    case .identifier("input"), .identifier("param"):
      let isInput = current.kind == .identifier("input")
      advance()
      let name = try valueName(isInput ? "after 'input'" : "after 'param'")
      try expect(":", "before the type")
      let type = try tensorType()
      return isInput ? .input(name, type) : .parameter(name, type)
    case .identifier("output"):
      advance()
      guard case .identifier(let label) = current.kind else { throw error("expected an output name after 'output', found \(current.kind.text)") }
      let labelName = ParsedName(name: label, location: current.location)
      advance()
      try expect("=", "after the output name")
      return .output(labelName, try valueName("after 'output \(label) ='"))
    case .value:
      return .node(try node())
    case .identifier("yield"):
      throw error("'yield' outside a region")
    default:
      throw error("expected 'input', 'param', 'output' or a node (%name = op(...)), found \(current.kind.text)")
    }
  }

  private mutating func node() throws(Diagnostic) -> ParsedNode {
    var results = [try valueName("")]
    while accept(",") { results.append(try valueName("as a further result name")) }
    try expect("=", results.count == 1 ? "after the result name" : "after the result names")
    guard case .identifier(let opName) = current.kind else { throw error("expected an op name, found \(current.kind.text)") }
    let op = ParsedName(name: opName, location: current.location)
    advance()
    try expect("(", "after the op name")
    var operands: [ParsedName] = []
    if !accept(")") {
      repeat { operands.append(try valueName("as an operand")) } while accept(",")
      try expect(")", "to close the operand list")
    }
    var attributes: [(name: ParsedName, value: Attribute)] = []
    if accept("{") {
      repeat {
        guard case .identifier(let key) = current.kind else { throw error("expected an attribute name, found \(current.kind.text)") }
        let keyName = ParsedName(name: key, location: current.location)
        if attributes.contains(where: { $0.name.name == key }) { throw error("attribute '\(key)' is given twice") }
        advance()
        try expect("=", "after attribute '\(key)'")
        attributes.append((keyName, try attributeValue()))
      } while accept(",")
      try expect("}", "to close the attributes")
    }
    try expect(":", "before the result type")
    let typesToken = current
    var types: [TensorType]
    if accept("(") {
      types = [try tensorType()]
      while accept(",") { types.append(try tensorType()) }
      try expect(")", "to close the list of result types")
    } else {
      types = [try tensorType()]
    }
    guard types.count == results.count else {
      throw error("\(results.count) result name\(results.count == 1 ? "" : "s") but \(types.count) result type\(types.count == 1 ? "" : "s") (several results take a list of types: (t1, t2))", at: typesToken)
    }
    var region: ParsedRegion?
    if accept("{") { region = try regionBody() }
    return ParsedNode(results: results, op: op, operands: operands, attributes: attributes, types: types, region: region)
  }

  private mutating func regionBody() throws(Diagnostic) -> ParsedRegion {
    try expect("^", "to start the region's block")
    try expect("(", "before the block arguments")
    var arguments: [(name: ParsedName, type: TensorType)] = []
    if !accept(")") {
      repeat {
        let name = try valueName("as a block argument")
        try expect(":", "before the block argument's type")
        arguments.append((name, try tensorType()))
      } while accept(",")
      try expect(")", "to close the block arguments")
    }
    try expect(":", "after the block arguments")
    var nodes: [ParsedNode] = []
    while current.kind != .identifier("yield") {
      guard case .value = current.kind else { throw error("expected a node or 'yield' in the region, found \(current.kind.text)") }
      nodes.append(try node())
    }
    advance()
    var yields = [try valueName("after 'yield'")]
    while accept(",") { yields.append(try valueName("after ',' in 'yield'")) }
    try expect("}", "to close the region")
    return ParsedRegion(arguments: arguments, nodes: nodes, yields: yields)
  }

  mutating func tensorType() throws(Diagnostic) -> TensorType {
    guard case .identifier(let name) = current.kind else { throw error("expected a tensor type such as f32[B, 768], found \(current.kind.text)") }
    guard let dtype = DType(rawValue: name) else {
      throw error("unknown dtype '\(name)' (expected \(DType.allCases.map(\.rawValue).joined(separator: ", ")))")
    }
    advance()
    try expect("[", "after the dtype")
    return TensorType(dtype, try dimensionList())
  }

  /// The inside of `[...]` (the `[` already read), through the closing `]`.
  private mutating func dimensionList() throws(Diagnostic) -> [DimExpr] {
    var dims: [DimExpr] = []
    if accept("]") { return dims }
    repeat { dims.append(try dimExpression()) } while accept(",")
    try expect("]", "to close the dimension list")
    return dims
  }

  private mutating func dimExpression() throws(Diagnostic) -> DimExpr {
    var value = try dimTerm()
    while true {
      if accept("+") {
        value = value + (try dimTerm())
      } else if accept("-") {
        value = value - (try dimTerm())
      } else {
        return value
      }
    }
  }

  private mutating func dimTerm() throws(Diagnostic) -> DimExpr {
    var value = try dimUnary()
    while true {
      let operatorToken = current
      if accept("*") {
        let factor = try dimUnary()
        guard let product = value.multiplied(by: factor), product.isWithinLiteralBounds else {
          throw error(value.multiplied(by: factor) == nil
            ? "dimension product \(value) * \(factor) is not affine: one side must be a constant"
            : "dimension product \(value) * \(factor) is too large", at: operatorToken)
        }
        value = product
      } else if accept("/") {
        let divisor = try dimUnary()
        guard let constant = divisor.constantValue, constant > 0 else {
          throw error("dimensions divide only by a positive constant, found / \(divisor)", at: operatorToken)
        }
        value = value.floorDivided(by: constant)
      } else {
        return value
      }
    }
  }

  private mutating func dimUnary() throws(Diagnostic) -> DimExpr {
    if accept("-") { return -(try dimUnary()) }
    switch current.kind {
    case .integer(let value):
      guard value <= DimExpr.largestLiteral else {
        throw error("dimension \(value) is too large (at most \(DimExpr.largestLiteral))")
      }
      advance()
      return DimExpr(value)
    case .identifier(let name):
      advance()
      return .symbol(name)
    case .punctuation("("):
      advance()
      let inner = try dimExpression()
      try expect(")", "to close the parenthesised dimension")
      return inner
    default:
      throw error("expected a dimension (integer, symbol or parenthesised expression), found \(current.kind.text)")
    }
  }

  private mutating func attributeValue() throws(Diagnostic) -> Attribute {
    let token = current
    switch token.kind {
    case .integer(let value):
      guard value <= DimExpr.largestLiteral else { throw error("integer \(value) is too large (at most \(DimExpr.largestLiteral))") }
      advance()
      return .int(value)
    case .float(let value):
      advance()
      return .float(value)
    case .string(let value):
      advance()
      return .string(value)
    case .identifier(let name):
      advance()
      switch name {
      case "true": return .bool(true)
      case "false": return .bool(false)
      case "inf": return .float(.infinity)
      case "nan": return .float(.nan)
      default:
        if let dtype = DType(rawValue: name) { return .dtype(dtype) }
        throw error("unknown attribute value '\(name)' (strings need quotes)", at: token)
      }
    case .punctuation("-"):
      advance()
      switch current.kind {
      case .integer(let value):
        guard value <= DimExpr.largestLiteral else { throw error("integer -\(value) is too large (at most \(DimExpr.largestLiteral) in magnitude)") }
        advance()
        return .int(-value)
      case .float(let value):
        advance()
        return .float(-value)
      case .identifier("inf"):
        advance()
        return .float(-.infinity)
      default: throw error("expected a number after '-', found \(current.kind.text)")
      }
    case .punctuation("["):
      advance()
      let dims = try dimensionList()
      let constants = dims.compactMap(\.constantValue)
      return constants.count == dims.count ? .ints(constants) : .dims(dims)
    default:
      throw error("expected an attribute value, found \(token.kind.text)")
    }
  }
}

// MARK: Names

/// Turns parsed names into value ids, catching duplicates, undefined names, uses before
/// definition and cycles.
struct NameResolver {
  let parsed: ParsedGraph
  private var graph: Graph
  /// Where every name is defined, anywhere in the file.
  private var definitions: [String: SourceLocation] = [:]
  /// Top-level nodes by result name, for cycle reports.
  private var topLevelNodes: [String: ParsedNode] = [:]

  init(parsed: ParsedGraph) {
    self.parsed = parsed
    graph = Graph(name: parsed.name)
  }

  mutating func resolve() throws(Diagnostic) -> Graph {
    try collectDefinitions()
    var scope: [String: ValueID] = [:]
    var outputs: [(ParsedName, ParsedName)] = []
    for declaration in parsed.declarations {
      switch declaration {
      case .input(let name, let type):
        let value = graph.addValue(name: name.name, type: type, role: .input, location: name.location)
        graph.inputs.append(value)
        scope[name.name] = value
      case .parameter(let name, let type):
        let value = graph.addValue(name: name.name, type: type, role: .parameter, location: name.location)
        graph.parameters.append(value)
        scope[name.name] = value
      case .node(let node):
        let resolved = try resolveNode(node, scope: scope, isTopLevel: true)
        graph.nodes.append(resolved)
        for (name, value) in zip(node.results, resolved.results) { scope[name.name] = value }
      case .output(let label, let value):
        outputs.append((label, value))
      }
    }
    var labels: [String: SourceLocation] = [:]
    for (label, value) in outputs {
      if let earlier = labels[label.name] {
        throw Diagnostic(location: label.location, message: "output '\(label.name)' is already defined at \(earlier)")
      }
      labels[label.name] = label.location
      guard let id = scope[value.name] else {
        let reason = definitions[value.name] != nil ? "is defined only inside a region" : "is not defined"
        throw Diagnostic(location: value.location, message: "output '\(label.name)' refers to %\(value.name), which \(reason)")
      }
      graph.outputs.append(GraphOutput(name: label.name, value: id, location: label.location))
    }
    return graph
  }

  private mutating func collectDefinitions() throws(Diagnostic) {
    func define(_ name: ParsedName) throws(Diagnostic) {
      if let earlier = definitions[name.name] {
        throw Diagnostic(location: name.location, message: "%\(name.name) is already defined at \(earlier)")
      }
      definitions[name.name] = name.location
    }
    func defineNode(_ node: ParsedNode) throws(Diagnostic) {
      if let region = node.region {
        for argument in region.arguments { try define(argument.name) }
        for inner in region.nodes { try defineNode(inner) }
      }
      for result in node.results { try define(result) }
    }
    for declaration in parsed.declarations {
      switch declaration {
      case .input(let name, _), .parameter(let name, _): try define(name)
      case .node(let node):
        try defineNode(node)
        for result in node.results { topLevelNodes[result.name] = node }
      case .output: break
      }
    }
  }

  private mutating func resolveNode(_ node: ParsedNode, scope: [String: ValueID], isTopLevel: Bool) throws(Diagnostic) -> Node {
    guard let op = Op(rawValue: node.op.name) else {
      var message = "unknown op '\(node.op.name)'"
      if let suggestion = closestOpName(to: node.op.name) { message += " (did you mean '\(suggestion)'?)" }
      throw Diagnostic(location: node.op.location, message: message)
    }
    var operands: [ValueID] = []
    for operand in node.operands {
      guard let value = scope[operand.name] else {
        throw undefinedUse(operand, in: node, isTopLevel: isTopLevel)
      }
      operands.append(value)
    }
    var attributes = Attributes()
    for (name, value) in node.attributes { attributes[name.name] = value }
    // Complete defaults now when the attributes are valid; the verifier reports them otherwise.
    if let checked = try? op.signature.checkedAttributes(attributes, op: op) { attributes = checked }

    var region: Region?
    if let parsedRegion = node.region {
      var inner: [String: ValueID] = [:]
      var arguments: [ValueID] = []
      for (name, type) in parsedRegion.arguments {
        let value = graph.addValue(name: name.name, type: type, role: .blockArgument, location: name.location)
        arguments.append(value)
        inner[name.name] = value
      }
      var nodes: [Node] = []
      for innerNode in parsedRegion.nodes {
        let resolved = try resolveNode(innerNode, scope: inner, isTopLevel: false)
        nodes.append(resolved)
        for (name, value) in zip(innerNode.results, resolved.results) { inner[name.name] = value }
      }
      var yields: [ValueID] = []
      for yielded in parsedRegion.yields {
        guard let value = inner[yielded.name] else {
          throw Diagnostic(location: yielded.location, message: "yield refers to %\(yielded.name), which is not defined in the region")
        }
        yields.append(value)
      }
      region = Region(arguments: arguments, nodes: nodes, yields: yields)
    } else if op.signature.hasRegion {
      throw Diagnostic(location: node.op.location, op: op.rawValue, message: "needs a region { ^(...): ... yield %value }")
    }
    let results = zip(node.results, node.types).map { name, type in
      graph.addValue(name: name.name, type: type, role: .result, location: node.results.count == 1 ? node.op.location : name.location)
    }
    return Node(op: op, operands: operands, attributes: attributes, results: results, region: region)
  }

  /// Explains an operand that is not in scope: undefined, defined later (maybe a cycle), or
  /// outside the region that uses it.
  private func undefinedUse(_ operand: ParsedName, in node: ParsedNode, isTopLevel: Bool) -> Diagnostic {
    guard let definition = definitions[operand.name] else {
      return Diagnostic(location: operand.location, op: node.op.name, message: "use of undefined value %\(operand.name)")
    }
    if !isTopLevel {
      return Diagnostic(location: operand.location, op: node.op.name,
        message: "%\(operand.name) is not visible in this region (regions use only their block arguments and their own values)")
    }
    if let cycle = cyclePath(from: operand.name, to: Set(node.results.map(\.name))), let target = cycle.last {
      let path = ([target] + cycle).map { "%" + $0 }.joined(separator: " -> ")
      return Diagnostic(location: operand.location, op: node.op.name, message: "cycle: \(path)")
    }
    return Diagnostic(location: operand.location, op: node.op.name,
      message: "%\(operand.name) is used before its definition at \(definition) (values must be defined before use)")
  }

  /// A chain of top-level operand edges from `start` back to one of `targets`, if one exists.
  private func cyclePath(from start: String, to targets: Set<String>) -> [String]? {
    var visited: Set<String> = []
    func search(_ name: String) -> [String]? {
      if targets.contains(name) { return [name] }
      guard visited.insert(name).inserted, let node = topLevelNodes[name] else { return nil }
      for operand in node.operands {
        if let rest = search(operand.name) { return [name] + rest }
      }
      return nil
    }
    return search(start)
  }
}

/// The op name nearest to a misspelt one, when it is close enough to be a likely typo.
func closestOpName(to name: String) -> String? {
  func distance(_ a: [Character], _ b: [Character]) -> Int {
    var previous = Array(0...b.count)
    for i in 1...max(a.count, 1) where !a.isEmpty {
      var row = [i] + Array(repeating: 0, count: b.count)
      for j in 1...max(b.count, 1) where !b.isEmpty {
        row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = row
    }
    return a.isEmpty ? b.count : previous[b.count]
  }
  let letters = Array(name)
  let scored = Op.allCases.map { ($0.rawValue, distance(letters, Array($0.rawValue))) }
  guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, name.count / 3) else { return nil }
  return best.0
}
