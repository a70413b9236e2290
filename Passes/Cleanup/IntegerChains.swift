import IR

/// The integer half of `fold-constants`: chains of `add`, `sub`, `neg`, `mul` by a constant and
/// `floor_div` by a positive constant on `i64` values, put in `DimExpr`'s canonical affine
/// form and re-emitted when that takes fewer ops.
///
/// Every value that is not such an op (a `dim_size`, an input, a reduction) is an atom: a
/// symbol named after its value. Constants must be rank 0 and every node of a chain has the
/// chain's type, so the re-emitted ops have exactly the types of the ones they replace.
/// `DimExpr` arithmetic is exact integer arithmetic; the `i64` kernels wrap, so the rewrite
/// assumes no intermediate overflows (lengths are far below 2^62), and refuses constants or
/// coefficients beyond `DimExpr.largestLiteral`.
func shortenIntegerChains(_ graph: inout Graph) throws {
  let chains = IntegerChains(graph: graph)
  let roots = chains.roots()
  guard !roots.isEmpty else { return }
  var replacements: [Int: [Node]] = [:]
  var forwarded: [ValueID: ValueID] = [:]
  var values = graph.values
  for (index, form) in roots {
    let root = graph.nodes[index]
    guard chains.emittedOps(form) < chains.coneSize(of: root.result) else { continue }
    var emitter = ChainEmitter(graph: graph, values: values)
    let (nodes, value) = try emitter.emit(form, atoms: chains.atoms)
    if nodes.isEmpty {
      // The chain cancels to one of its atoms (n + 3 - 3).
      forwarded[root.result] = value
      replacements[index] = []
      continue
    }
    // The last emitted node takes over the root's value, so its name and uses stay; the value
    // the builder made for it is the last in the table, and is dropped again.
    var renamed = nodes
    guard renamed[renamed.count - 1].result.index == emitter.values.count - 1 else {
      throw FoldError.noSymbol(form.description)
    }
    renamed[renamed.count - 1].result = root.result
    replacements[index] = renamed
    values = Array(emitter.values.dropLast())
  }
  graph.values = values
  graph.nodes = graph.nodes.indices.flatMap { replacements[$0] ?? [graph.nodes[$0]] }
  graph.replaceUses(forwarded)
}

private struct IntegerChains {
  let graph: Graph
  /// The affine form of every chain node.
  var forms: [ValueID: DimExpr] = [:]
  /// Atoms by symbol name.
  var atoms: [String: ValueID] = [:]
  private var scalars: [ValueID: Int] = [:]
  private var nodeIndex: [ValueID: Int] = [:]

  init(graph: Graph) {
    self.graph = graph
    for (index, node) in graph.nodes.enumerated() where node.region == nil {
      let type = graph.type(of: node.result)
      if node.op == .constant, type.rank == 0, case .i64(let value)? = node.constantElement,
        Swift.abs(value) <= Int64(DimExpr.largestLiteral)
      {
        scalars[node.result] = Int(value)
        continue
      }
      guard type.dtype == .i64, let form = form(of: node, type: type), !form.symbols.isEmpty, form.isWithinLiteralBounds else {
        continue
      }
      forms[node.result] = form
      nodeIndex[node.result] = index
    }
  }

  private mutating func form(of node: Node, type: TensorType) -> DimExpr? {
    func term(_ value: ValueID) -> DimExpr? {
      if let constant = scalars[value] { return DimExpr(constant) }
      guard graph.type(of: value) == type else { return nil }
      if let form = forms[value] { return form }
      let name = "%\(value.index)"
      atoms[name] = value
      return .symbol(name)
    }
    switch node.op {
    case .add:
      guard let a = term(node.operands[0]), let b = term(node.operands[1]) else { return nil }
      return a + b
    case .sub:
      guard let a = term(node.operands[0]), let b = term(node.operands[1]) else { return nil }
      return a - b
    case .neg:
      return term(node.operands[0]).map { -$0 }
    case .mul:
      guard let a = term(node.operands[0]), let b = term(node.operands[1]) else { return nil }
      return a.multiplied(by: b)
    case .floorDiv:
      guard let divisor = scalars[node.operands[1]], divisor > 0, let a = term(node.operands[0]) else { return nil }
      return a.floorDivided(by: divisor)
    default:
      return nil
    }
  }

  /// Whether `user` reads `value` as part of its own chain.
  private func absorbs(_ user: Node, _ value: ValueID) -> Bool {
    forms[user.result] != nil && graph.type(of: user.result) == graph.type(of: value)
  }

  /// Chain nodes whose value leaves the chain (an output, or a use by another op), by index.
  func roots() -> [(index: Int, form: DimExpr)] {
    var leaves = Set(graph.outputs.map(\.value))
    for node in graph.nodes {
      for operand in node.operands where forms[operand] != nil && !absorbs(node, operand) { leaves.insert(operand) }
    }
    return leaves.compactMap { value in
      guard let form = forms[value], let index = nodeIndex[value] else { return nil }
      return (index, form)
    }.sorted { $0.index < $1.index }
  }

  /// The chain ops a root's value is computed by today.
  func coneSize(of root: ValueID) -> Int {
    var seen: Set<ValueID> = [root]
    var stack = [root]
    while let value = stack.popLast() {
      guard let index = nodeIndex[value] else { continue }
      let node = graph.nodes[index]
      for operand in node.operands where forms[operand] != nil && absorbs(node, operand) && seen.insert(operand).inserted {
        stack.append(operand)
      }
    }
    return seen.count
  }

  /// The ops `ChainEmitter` writes for a form.
  func emittedOps(_ form: DimExpr) -> Int { ChainEmitter.opCount(form) }
}

extension ChainEmitter {
  /// The ops `emit` writes for a form.
  static func opCount(_ form: DimExpr) -> Int {
    if let (numerator, _) = convolutionStyle(form) { return opCount(numerator) + 2 }
    return plainOpCount(form)
  }

  /// The ops of the canonical form written term by term.
  static func plainOpCount(_ form: DimExpr) -> Int {
    var count = 0
    for (position, term) in form.terms.enumerated() {
      if case .floorDiv(let inner, _) = term.atom { count += opCount(inner) + 1 }
      if position > 0 { count += 1 }
      if term.coefficient != 1 && (position == 0 || Swift.abs(term.coefficient) != 1) { count += 1 }
    }
    return count + (form.constant == 0 ? 0 : 1)
  }
}

/// Writes an affine form back as ops, as the convolution formula reads: `(x - 400) / 320 + 1`
/// rather than the canonical `(x + 240) / 320 - 1`.
private struct ChainEmitter {
  private var builder: GraphBuilder

  init(graph: Graph, values: [ValueInfo]) {
    var empty = graph
    empty.nodes = []
    empty.values = values
    builder = GraphBuilder(continuing: empty)
  }

  var values: [ValueInfo] { builder.graph.values }

  /// For a lone floor division plus a constant c other than 0 and 1, ⌊n / d⌋ + c written as
  /// ⌊(n + (c - 1)·d) / d⌋ + 1 (the convolution formula), when that takes no more ops than the
  /// canonical form: its shifted numerator and divisor.
  static func convolutionStyle(_ form: DimExpr) -> (DimExpr, Int)? {
    guard form.terms.count == 1, form.terms[0].coefficient == 1, form.constant != 0, form.constant != 1,
      case .floorDiv(let inner, let divisor) = form.terms[0].atom
    else { return nil }
    let shifted = inner + DimExpr((form.constant - 1) * divisor)
    return opCount(shifted) + 2 <= plainOpCount(form) ? (shifted, divisor) : nil
  }

  /// The nodes computing `form` (the last one defines it) and its value; no nodes when the
  /// form is one atom.
  mutating func emit(_ form: DimExpr, atoms: [String: ValueID]) throws -> (nodes: [Node], value: ValueID) {
    let start = builder.graph.nodes.count
    let result = try value(form, atoms)
    return (Array(builder.graph.nodes[start...]), result)
  }

  private mutating func value(_ form: DimExpr, _ atoms: [String: ValueID]) throws -> ValueID {
    if let (numerator, divisor) = Self.convolutionStyle(form) {
      let numerator = try value(numerator, atoms)
      let quotient = try builder.apply(.floorDiv, [numerator, try constant(divisor)])
      return try builder.apply(.add, [quotient, try constant(1)])
    }
    var sum: ValueID?
    for term in form.terms {
      var summand = try atom(term.atom, atoms)
      let coefficient = term.coefficient
      if let current = sum {
        if Swift.abs(coefficient) != 1 { summand = try builder.apply(.mul, [summand, try constant(Swift.abs(coefficient))]) }
        sum = try builder.apply(coefficient > 0 ? .add : .sub, [current, summand])
      } else {
        if coefficient == -1 {
          summand = try builder.apply(.neg, [summand])
        } else if coefficient != 1 {
          summand = try builder.apply(.mul, [summand, try constant(coefficient)])
        }
        sum = summand
      }
    }
    guard var result = sum else { throw FoldError.noSymbol(form.description) }
    if form.constant > 0 { result = try builder.apply(.add, [result, try constant(form.constant)]) }
    if form.constant < 0 { result = try builder.apply(.sub, [result, try constant(-form.constant)]) }
    return result
  }

  private mutating func atom(_ atom: DimAtom, _ atoms: [String: ValueID]) throws -> ValueID {
    switch atom {
    case .symbol(let name):
      guard let value = atoms[name] else { throw FoldError.noSymbol(name) }
      return value
    case .floorDiv(let inner, let divisor):
      return try builder.apply(.floorDiv, [try value(inner, atoms), try constant(divisor)])
    }
  }

  private mutating func constant(_ value: Int) throws -> ValueID {
    try builder.apply(.constant, [], ["dtype": .dtype(.i64), "shape": .dims([]), "value": .float(Double(value))])
  }
}

enum FoldError: Error, CustomStringConvertible {
  case noSymbol(String)

  var description: String {
    switch self {
    case .noSymbol(let name): "fold-constants: integer chain term '\(name)' refers to no value"
    }
  }
}
