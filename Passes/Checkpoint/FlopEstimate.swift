import IR

/// Floating-point operations of one node for given sizes, to report what recomputation costs:
/// 2·M·N·K for a matrix product, 2 per multiply-add of a convolution, and one per element
/// written for everything else (elementwise, norms, softmax and reductions do a few per
/// element; the estimate is for comparing plans, not for a roofline).
enum FlopEstimate {
  static func flops(_ node: Node, in graph: Graph, bindings: [String: Int]) -> Double {
    func elements(_ value: ValueID) -> Double {
      graph.type(of: value).shape.reduce(1.0) { $0 * Double(Swift.max($1.evaluate(bindings) ?? 0, 0)) }
    }
    func dim(_ value: ValueID, _ axis: Int) -> Double {
      let shape = graph.type(of: value).shape
      let index = axis < 0 ? shape.count + axis : axis
      guard shape.indices.contains(index) else { return 0 }
      return Double(Swift.max(shape[index].evaluate(bindings) ?? 0, 0))
    }
    let output = elements(node.result)
    switch node.op {
    case .matmul, .linear:
      // K: the last axis of the first operand.
      return 2 * output * dim(node.operands[0], -1)
    case .linearWeightGrad:
      // [out, in] from [.., N, in] and [.., N, out]: N rows summed.
      return 2 * output * (elements(node.operands[0]) / Swift.max(dim(node.operands[0], -1), 1))
    case .conv1d:
      // Each output element: in/groups × kernel multiply-adds (the weight is [out, in/groups, K]).
      return 2 * output * dim(node.operands[1], 1) * dim(node.operands[1], 2)
    case .conv1dInputGrad, .conv1dWeightGrad:
      return 2 * elements(node.operands[0]) * dim(node.operands[1], 1) * dim(node.operands[1], 2)
    case .fused:
      return node.region?.nodes.reduce(0) { $0 + flops($1, in: graph, bindings: bindings) } ?? output
    case .reshape:
      return 0
    default:
      return output
    }
  }
}
