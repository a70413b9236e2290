import IR

/// The symbolic half of memory planning: which node results need memory, when each is live
/// over the schedule (the graph's node order), and which share memory.
///
///     %a = exp(%x)        step 0   a: own buffer, live 0…1
///     %b = neg(%a)        step 1   b: in place of a (a dies here, same shape and dtype)
///     %c = reshape(%b)    step 2   c: a view of b (reshape moves no data)
///     %d = add(%c, %b)    step 3   d: in place of b's storage (all of a, b, c die here)
///     output y = %d                d: live to the end
///
/// Values sharing memory form a storage group: a `reshape` result is a view of its operand's
/// group (read-only sharing), and an elementwise result takes over an operand's group when
/// every value of that group is used for the last time at that node and the operand has the
/// result's shape and element size. A group is live from its first member's definition to its
/// members' last use; graph outputs are live to the end. `dim_size` and `dropout_mask` read
/// only the shape of their first operand, so that use does not keep a buffer alive. Inputs and parameters are not in the arena, and views of them
/// are not either. A region node (`fused`) is opaque: its result is one buffer and it is never
/// in place; the values inside its body are not buffers (the C backend keeps them in registers
/// or loop-local storage).
struct BufferLiveness: Sendable {
  /// One storage group: the memory several values may share.
  struct Group: Sendable {
    /// The group's first member (the one that owns the memory), its shape and element size.
    var owner: String
    var shape: [DimExpr]
    var elementBytes: Int
    var first: Int
    var last: Int
  }

  /// How a node result gets its memory.
  struct Entry: Sendable {
    var value: ValueID
    var name: String
    var shape: [DimExpr]
    var elementBytes: Int
    var first: Int
    var last: Int
    /// The storage group; nil for a view of an input or parameter.
    var group: Int?
    var reuse: ResolvedMemoryPlan.Reuse?
    /// The value whose memory this one reuses.
    var reusedValue: String?
  }

  var entries: [Entry] = []
  var groups: [Group] = []
  /// The number of steps (top-level nodes); outputs are live until this step.
  var steps: Int

  init(graph: Graph) throws(MemoryPlanError) {
    let nodes = graph.nodes
    steps = nodes.count
    var lastUse: [ValueID: Int] = [:]
    for (step, node) in nodes.enumerated() {
      let shapeOnly = Self.shapeOnlyOperands[node.op] ?? []
      for (position, operand) in node.operands.enumerated() where !shapeOnly.contains(position) { lastUse[operand] = step }
    }
    for output in graph.outputs { lastUse[output.value] = nodes.count }

    var groupOf: [ValueID: Int] = [:]
    var defined: Set<ValueID> = []
    for (step, node) in nodes.enumerated() {
      for operand in node.operands where graph[operand].role == .result && !defined.contains(operand) {
        throw .undefinedValue(graph.name(of: operand), user: graph.name(of: node.result))
      }
      defined.insert(node.result)
      let type = graph.type(of: node.result)
      var entry = Entry(
        value: node.result, name: graph.name(of: node.result), shape: type.shape, elementBytes: type.dtype.byteSize,
        first: step, last: Swift.max(step, lastUse[node.result] ?? step), group: nil)
      if node.op == .reshape, node.region == nil {
        let source = node.operands[0]
        entry.reuse = .view
        entry.reusedValue = graph.name(of: source)
        if let group = groupOf[source] {
          entry.group = group
          groups[group].last = Swift.max(groups[group].last, entry.last)
          groupOf[node.result] = group
        }
        entries.append(entry)
        continue
      }
      if let (operand, group) = inPlaceCandidate(node, graph: graph, step: step, groupOf: groupOf) {
        entry.group = group
        entry.reuse = .inPlace
        entry.reusedValue = graph.name(of: operand)
        groups[group].last = Swift.max(groups[group].last, entry.last)
      } else {
        groups.append(Group(owner: entry.name, shape: type.shape, elementBytes: type.dtype.byteSize, first: step, last: entry.last))
        entry.group = groups.count - 1
      }
      groupOf[node.result] = entry.group
      entries.append(entry)
    }
  }

  /// The operand whose storage `node` may overwrite: an elementwise op, an operand of the
  /// result's shape and element size, whose whole group is used for the last time here.
  private func inPlaceCandidate(_ node: Node, graph: Graph, step: Int, groupOf: [ValueID: Int]) -> (ValueID, Int)? {
    guard node.region == nil, Self.elementwise.contains(node.op) else { return nil }
    let result = graph.type(of: node.result)
    for operand in node.operands {
      guard let group = groupOf[operand], groups[group].last == step else { continue }
      // Every member of a group has the group's size (views keep the element count and dtype,
      // in-place results the shape and element size), so this makes the result fit exactly.
      let type = graph.type(of: operand)
      if type.shape == result.shape, type.dtype.byteSize == result.dtype.byteSize { return (operand, group) }
    }
    return nil
  }

  /// Operands whose shape an op reads but not their elements: such a use does not keep a
  /// buffer alive (the C backend knows every shape from the bindings).
  static let shapeOnlyOperands: [Op: Set<Int>] = [.dimSize: [0], .dropoutMask: [0]]

  /// Ops that read each operand element at the index they write (operands of the result's
  /// shape), so writing the result over such an operand is safe.
  static let elementwise: Set<Op> = [
    .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .geluGrad, .logicalNot,
    .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr,
    .select, .cast,
  ]
}

public enum MemoryPlanError: Error, CustomStringConvertible, Equatable {
  case undefinedValue(String, user: String)
  case unboundSymbols([String])
  case sizeOverflow(String)

  public var description: String {
    switch self {
    case .undefinedValue(let name, let user):
      "memory plan: %\(user) uses %\(name), which no earlier top-level node defines (multi-result nodes are not planned yet)"
    case .unboundSymbols(let names): "memory plan: no value for the symbols \(names.joined(separator: ", ")) (give them as bindings)"
    case .sizeOverflow(let name): "memory plan: the size of %\(name) overflows"
    }
  }
}
