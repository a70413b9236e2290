import IR

/// Small helpers the cleanup passes share for rewriting a graph's top level.
extension Graph {
  /// Points every use of a replaced value (operands of top-level nodes and outputs) at its
  /// replacement, following chains of replacements. Region bodies are isolated (they use only
  /// their block arguments), so only the region node's operands change.
  mutating func replaceUses(_ replacements: [ValueID: ValueID]) {
    guard !replacements.isEmpty else { return }
    func resolved(_ value: ValueID) -> ValueID {
      var current = value
      while let next = replacements[current] { current = next }
      return current
    }
    for index in nodes.indices { nodes[index].operands = nodes[index].operands.map(resolved) }
    for index in outputs.indices { outputs[index].value = resolved(outputs[index].value) }
  }

  /// How many times each value is used by top-level nodes and outputs.
  var useCounts: [ValueID: Int] {
    var counts: [ValueID: Int] = [:]
    for node in nodes { for operand in node.operands { counts[operand, default: 0] += 1 } }
    for output in outputs { counts[output.value, default: 0] += 1 }
    return counts
  }
}

extension Node {
  /// A `constant` node defining `result` as `type` filled with `value`.
  static func constant(_ result: ValueID, _ type: TensorType, value: Double) -> Node {
    Node(
      op: .constant, operands: [],
      attributes: ["dtype": .dtype(type.dtype), "shape": .dims(type.shape), "value": .float(value)],
      result: result)
  }

  /// The element a `constant` node fills its tensor with, in its dtype.
  var constantElement: ScalarValue? {
    guard op == .constant, case .dtype(let dtype)? = attributes["dtype"], case .float(let value)? = attributes["value"] else {
      return nil
    }
    return ScalarValue(dtype: dtype, attribute: value)
  }
}
