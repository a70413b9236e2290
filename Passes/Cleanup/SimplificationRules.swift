import IR

/// What a simplification rule does to a node.
enum Simplification {
  /// The node's value is this existing value; the node goes.
  case forward(ValueID)
  /// The node becomes this one (same result value, so every use stays).
  case replace(Node)
}

/// What a rule may ask about the graph while it looks at a node.
struct SimplificationContext {
  let graph: Graph
  /// The defining node of each top-level result seen so far (after its own simplification).
  let definitions: [ValueID: Node]

  func type(of value: ValueID) -> TensorType { graph.type(of: value) }
  func definition(of value: ValueID) -> Node? { definitions[value] }
  /// The element of a `constant` operand.
  func element(of value: ValueID) -> ScalarValue? { definitions[value]?.constantElement }
  /// `value` when it can stand for `node`'s result: same type (dtype and shape, so no
  /// broadcast is lost).
  func forward(_ value: ValueID, for node: Node) -> Simplification? {
    type(of: value) == type(of: node.result) ? .forward(value) : nil
  }
}

/// One algebraic identity: the ops it looks at, a name for the documentation, and the rewrite.
struct SimplificationRule: Sendable {
  let name: String
  let ops: Set<Op>
  let rewrite: @Sendable (Node, SimplificationContext) -> Simplification?
}

/// The identities `simplify` applies, as a table. Each keeps values bit for bit (x·1, x/1 and
/// x - 0 are exact; x + 0 only turns -0.0 into +0.0), so the pass changes no numerics.
let simplificationRules: [SimplificationRule] = [
  SimplificationRule(name: "x·1, 1·x → x", ops: [.mul]) { node, context in
    for (index, operand) in node.operands.enumerated() where context.element(of: operand)?.isOne == true {
      if let result = context.forward(node.operands[1 - index], for: node) { return result }
    }
    return nil
  },
  SimplificationRule(name: "x + 0, 0 + x, x - 0 → x", ops: [.add, .sub]) { node, context in
    let candidates = node.op == .add ? [0, 1] : [1]
    for index in candidates where context.element(of: node.operands[index])?.isZero == true {
      if let result = context.forward(node.operands[1 - index], for: node) { return result }
    }
    return nil
  },
  SimplificationRule(name: "x / 1, floor_div(x, 1) → x", ops: [.div, .floorDiv]) { node, context in
    context.element(of: node.operands[1])?.isOne == true ? context.forward(node.operands[0], for: node) : nil
  },
  SimplificationRule(name: "0 - x → neg(x)", ops: [.sub]) { node, context in
    guard context.element(of: node.operands[0])?.isZero == true, context.type(of: node.operands[1]) == context.type(of: node.result) else {
      return nil
    }
    return .replace(Node(op: .neg, operands: [node.operands[1]], attributes: [:], result: node.result))
  },
  SimplificationRule(name: "neg(neg(x)) → x", ops: [.neg]) { node, context in
    guard let inner = context.definition(of: node.operands[0]), inner.op == .neg else { return nil }
    return context.forward(inner.operands[0], for: node)
  },
  SimplificationRule(
    name: "reshape, broadcast_to, cast, concat of one, identity transpose, whole slice, zero pad → x",
    ops: [.reshape, .broadcastTo, .cast, .transpose, .slice, .pad, .concat]
  ) { node, context in
    guard node.operands.count == 1 else { return nil }
    // The same type is not enough for these: a transpose of two equal axes, a slice or a pad
    // that shifts, keep the type but move elements.
    switch node.op {
    case .transpose:
      guard case .ints(let perm)? = node.attributes["perm"], perm == Array(perm.indices) else { return nil }
    case .slice:
      guard case .dims(let start)? = node.attributes["start"], start == [0], case .int(1)? = node.attributes["step"] else { return nil }
    case .pad:
      guard case .ints(let pads)? = node.attributes["pads"], pads.allSatisfy({ $0 == 0 }) else { return nil }
    default: break
    }
    return context.forward(node.operands[0], for: node)
  },
  SimplificationRule(name: "cast(cast(x) to a wider dtype) back to x's dtype → x", ops: [.cast]) { node, context in
    // Widening is exact (bf16 and f16 into f32 or f64, f32 into f64), so the round trip is x;
    // the other order (narrowing first) rounds and stays.
    guard let inner = context.definition(of: node.operands[0]), inner.op == .cast else { return nil }
    let (original, middle) = (context.type(of: inner.operands[0]).dtype, context.type(of: inner.result).dtype)
    let exactWidenings: Set<[DType]> = [[.bf16, .f32], [.f16, .f32], [.bf16, .f64], [.f16, .f64], [.f32, .f64]]
    guard exactWidenings.contains([original, middle]) else { return nil }
    return context.forward(inner.operands[0], for: node)
  },
  SimplificationRule(name: "reshape(reshape(x)) → reshape(x)", ops: [.reshape]) { node, context in
    guard let inner = context.definition(of: node.operands[0]), inner.op == .reshape else { return nil }
    var merged = node
    merged.operands = inner.operands
    return .replace(merged)
  },
  SimplificationRule(name: "transpose(transpose(x)) → transpose(x) with the composed permutation", ops: [.transpose]) { node, context in
    guard let inner = context.definition(of: node.operands[0]), inner.op == .transpose,
      case .ints(let outer)? = node.attributes["perm"], case .ints(let first)? = inner.attributes["perm"]
    else { return nil }
    // Result axis i is the inner result's axis outer[i], which is x's axis first[outer[i]].
    var merged = node
    merged.operands = inner.operands
    merged.attributes["perm"] = .ints(outer.map { first[$0] })
    return .replace(merged)
  },
  SimplificationRule(name: "broadcast_to(broadcast_to(x)) → broadcast_to(x)", ops: [.broadcastTo]) { node, context in
    guard let inner = context.definition(of: node.operands[0]), inner.op == .broadcastTo else { return nil }
    var merged = node
    merged.operands = inner.operands
    return .replace(merged)
  },
  SimplificationRule(name: "reduce_sum, reduce_mean, reduce_max over axes of size 1 → x (or a reshape of it)", ops: [.reduceSum, .reduceMean, .reduceMax]) { node, context in
    guard case .ints(let axes)? = node.attributes["axes"] else { return nil }
    let operandType = context.type(of: node.operands[0])
    guard !axes.isEmpty, axes.allSatisfy({ operandType.shape[$0] == 1 }) else { return nil }
    if let result = context.forward(node.operands[0], for: node) { return result }
    return .replace(Node(op: .reshape, operands: node.operands, attributes: ["shape": .dims(context.type(of: node.result).shape)], result: node.result))
  },
  SimplificationRule(name: "select(c, x, x) → x; select on a constant condition → the chosen side", ops: [.select]) { node, context in
    if node.operands[1] == node.operands[2] { return context.forward(node.operands[1], for: node) }
    guard case .bool(let condition)? = context.element(of: node.operands[0]) else { return nil }
    return context.forward(node.operands[condition ? 1 : 2], for: node)
  },
]
