import IR

/// The iteration space of a reduction region: a full shape whose trailing `rowAxes` form the
/// rows a reduction runs along (a layer norm's features, a softmax's keys), and the
/// `columnAxes` a column sum adds up across rows (a norm's dγ and dβ). One loop nest walks the
/// rows; per row it may compute full-shape elementwise values, reduce them to per-row values
/// (keepdims or not) and use those again, and accumulate column sums across rows.
///
/// Some spaces have no per-row shape: a group norm's rows are channel groups, and a column
/// sum over batch and time that keeps the channels (`[N, C, L]` summed over axes 0 and 2, a
/// group norm's dγ and dβ, a convolution's bias gradient) names rows no reduction of the full
/// tensor to one value per row matches. Those take full-shape elementwise work and their
/// column sums only, so that a sum of a product (dγ = Σ dy·x̂) is accumulated while the product
/// is computed instead of being stored at full size and read back.
struct RowSpace: Equatable {
  var full: [DimExpr]
  var rowAxes: [Int]
  /// The axes a column sum over this space reduces: all but the affine parameters' axes.
  var columnAxes: [Int]
  /// False where no per-row shape exists (group norm, a column sum that is not over a leading
  /// block): only full-shape work and column sums join.
  var allowsRowValues: Bool

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
      // γ and β are per channel (axis 1): dγ and dβ sum over every other axis.
      guard rank >= 2 else { return nil }
      self.init(full: input, columnAxes: (0..<rank).filter { $0 != 1 })
    case .reduceSum, .reduceMean, .reduceMax:
      guard case .ints(let axes)? = node.attributes["axes"], !axes.isEmpty, axes.count < rank else { return nil }
      let complement = (0..<rank).filter { !axes.contains($0) }
      if axes == Array((rank - axes.count)..<rank) {
        self.init(full: input, rowAxes: axes)
      } else if node.op == .reduceMax {
        return nil
      } else if complement == Array((rank - complement.count)..<rank) {
        // A column sum (over the leading axes): its rows are the remaining trailing axes.
        self.init(full: input, rowAxes: complement)
      } else if axes.max() == rank - 1 {
        // A column sum whose last block is trailing (over batch and time, channels kept): a
        // loop nest sums each row's trailing block while computing it, then the rows.
        self.init(full: input, columnAxes: axes.sorted())
      } else {
        return nil
      }
    default:
      return nil
    }
  }

  /// A space with rows along the trailing `rowAxes`; column sums reduce the other axes.
  init(full: [DimExpr], rowAxes: [Int]) {
    self.full = full
    self.rowAxes = rowAxes
    columnAxes = (0..<full.count).filter { !rowAxes.contains($0) }
    allowsRowValues = true
  }

  /// A space without per-row values whose column sums reduce `columnAxes`.
  init(full: [DimExpr], columnAxes: [Int]) {
    self.full = full
    rowAxes = []
    self.columnAxes = columnAxes
    allowsRowValues = false
  }

  /// Shapes of per-row values: the reduced axes kept as 1, or dropped.
  private var rowValueShapes: [[DimExpr]] {
    guard allowsRowValues else { return [] }
    let kept = full.indices.map { rowAxes.contains($0) ? DimExpr(1) : full[$0] }
    let dropped = full.indices.filter { !rowAxes.contains($0) }.map { full[$0] }
    return [kept, dropped]
  }

  /// Whether a node can run inside this row space's loop nest.
  func admits(_ node: Node, in graph: Graph) -> Bool {
    guard node.results.count == 1 else { return false }
    let shape = graph.type(of: node.result).shape
    if FusionOpClass.elementwise.contains(node.op) { return shape == full || rowValueShapes.contains(shape) }
    if isColumnSum(node, in: graph) { return true }
    // Row reductions over the same rows, and column sums across them (which name the rows by
    // the axes they keep), share the loop nest.
    guard allowsRowValues, let other = RowSpace(of: node, in: graph) else { return false }
    return other == self
  }

  /// Whether a node is a column sum over this space (read once per row, accumulated across rows).
  func isColumnSum(_ node: Node, in graph: Graph) -> Bool {
    guard node.op == .reduceSum || node.op == .reduceMean, case .ints(let axes)? = node.attributes["axes"],
      graph.type(of: node.operands[0]).shape == full
    else { return false }
    return axes.sorted() == columnAxes
  }
}
