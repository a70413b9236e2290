import IR

/// The iteration space of a reduction region: a full shape whose trailing `rowAxes` form the
/// rows a reduction runs along (a layer norm's features, a softmax's keys). One loop nest
/// walks the rows; per row it may compute full-shape elementwise values, reduce them to
/// per-row values (keepdims or not) and use those again, and accumulate column sums across
/// rows (a norm's dγ and dβ).
struct RowSpace: Equatable {
  var full: [DimExpr]
  var rowAxes: [Int]
  /// False for group norm, whose rows are channel groups: only full-shape work joins it.
  var allowsRowValues = true

  /// The row space a reduction-like node runs over, if it is one.
  init?(of node: Node, in graph: Graph) {
    let input = graph.type(of: node.operands.first ?? node.result).shape
    let rank = input.count
    switch node.op {
    case .layerNorm:
      guard rank >= 1 else { return nil }
      self.init(full: input, rowAxes: [rank - 1])
    case .softmax, .logSoftmax:
      guard case .int(let axis)? = node.attributes["axis"], axis == rank - 1 else { return nil }
      self.init(full: input, rowAxes: [axis])
    case .groupNorm:
      self.init(full: input, rowAxes: [], allowsRowValues: false)
    case .reduceSum, .reduceMean, .reduceMax:
      guard case .ints(let axes)? = node.attributes["axes"], !axes.isEmpty, axes.count < rank else { return nil }
      let complement = (0..<rank).filter { !axes.contains($0) }
      if axes == Array((rank - axes.count)..<rank) {
        self.init(full: input, rowAxes: axes)
      } else if complement == Array((rank - complement.count)..<rank), node.op != .reduceMax {
        // A column sum (over the leading axes): its rows are the remaining trailing axes.
        self.init(full: input, rowAxes: complement)
      } else {
        return nil
      }
    default:
      return nil
    }
  }

  init(full: [DimExpr], rowAxes: [Int], allowsRowValues: Bool = true) {
    self.full = full
    self.rowAxes = rowAxes
    self.allowsRowValues = allowsRowValues
  }

  private var columnAxes: [Int] { (0..<full.count).filter { !rowAxes.contains($0) } }

  /// Shapes of per-row values: the reduced axes kept as 1, or dropped.
  private var rowValueShapes: [[DimExpr]] {
    guard allowsRowValues else { return [] }
    let kept = full.indices.map { rowAxes.contains($0) ? DimExpr(1) : full[$0] }
    let dropped = columnAxes.map { full[$0] }
    return [kept, dropped]
  }

  /// Whether a node can run inside this row space's loop nest.
  func admits(_ node: Node, in graph: Graph) -> Bool {
    guard node.results.count == 1 else { return false }
    let shape = graph.type(of: node.result).shape
    if FusionOpClass.elementwise.contains(node.op) { return shape == full || rowValueShapes.contains(shape) }
    // Row reductions over the same rows, and column sums across them (which name the rows by
    // the axes they keep), share the loop nest.
    guard allowsRowValues, let other = RowSpace(of: node, in: graph) else { return false }
    return other == self
  }

  /// Whether a node is a column sum over this space (read once per row, accumulated across rows).
  func isColumnSum(_ node: Node, in graph: Graph) -> Bool {
    guard allowsRowValues, node.op == .reduceSum || node.op == .reduceMean,
      case .ints(let axes)? = node.attributes["axes"], graph.type(of: node.operands[0]).shape == full
    else { return false }
    return axes == columnAxes
  }
}
