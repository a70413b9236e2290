/// Typed conveniences over ``GraphBuilder/apply(_:_:_:name:)`` for the ops model code uses most.
/// Negative axes count from the end, as in PyTorch; the IR stores them non-negative.
extension GraphBuilder {
  public mutating func unary(_ op: Op, _ x: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(op, [x], name: name)
  }

  public mutating func binary(_ op: Op, _ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(op, [a, b], name: name)
  }

  public mutating func add(_ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID { try binary(.add, a, b, name: name) }
  public mutating func sub(_ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID { try binary(.sub, a, b, name: name) }
  public mutating func mul(_ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID { try binary(.mul, a, b, name: name) }
  public mutating func div(_ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID { try binary(.div, a, b, name: name) }

  public mutating func constant(_ value: Double, _ dtype: DType, shape: [DimExpr] = [], name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.constant, [], ["dtype": .dtype(dtype), "shape": .dims(shape), "value": .float(value)], name: name)
  }

  public mutating func cast(_ x: ValueID, to dtype: DType, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.cast, [x], ["to": .dtype(dtype)], name: name)
  }

  public mutating func linear(_ x: ValueID, _ weight: ValueID, _ bias: ValueID? = nil, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.linear, [x, weight] + (bias.map { [$0] } ?? []), name: name)
  }

  public mutating func matmul(_ a: ValueID, _ b: ValueID, name: String? = nil) throws(Diagnostic) -> ValueID { try binary(.matmul, a, b, name: name) }

  public mutating func conv1d(
    _ x: ValueID, _ weight: ValueID, _ bias: ValueID? = nil, stride: Int = 1, padding: Int = 0, dilation: Int = 1, groups: Int = 1,
    name: String? = nil
  ) throws(Diagnostic) -> ValueID {
    try apply(
      .conv1d, [x, weight] + (bias.map { [$0] } ?? []),
      ["stride": .int(stride), "padding": .int(padding), "dilation": .int(dilation), "groups": .int(groups)], name: name)
  }

  public mutating func layerNorm(_ x: ValueID, _ weight: ValueID, _ bias: ValueID, eps: Double, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.layerNorm, [x, weight, bias], ["eps": .float(eps)], name: name)
  }

  public mutating func groupNorm(_ x: ValueID, _ weight: ValueID, _ bias: ValueID, groups: Int, eps: Double, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.groupNorm, [x, weight, bias], ["groups": .int(groups), "eps": .float(eps)], name: name)
  }

  public mutating func softmax(_ x: ValueID, axis: Int, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.softmax, [x], ["axis": .int(normalized(axis, x))], name: name)
  }

  public mutating func logSoftmax(_ x: ValueID, axis: Int, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.logSoftmax, [x], ["axis": .int(normalized(axis, x))], name: name)
  }

  public mutating func transpose(_ x: ValueID, _ perm: [Int], name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.transpose, [x], ["perm": .ints(perm)], name: name)
  }

  public mutating func reshape(_ x: ValueID, _ shape: [DimExpr], name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.reshape, [x], ["shape": .dims(shape)], name: name)
  }

  public mutating func slice(_ x: ValueID, axis: Int, start: DimExpr, end: DimExpr, step: Int = 1, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.slice, [x], ["axis": .int(normalized(axis, x)), "start": .dims([start]), "end": .dims([end]), "step": .int(step)], name: name)
  }

  public mutating func concat(_ xs: [ValueID], axis: Int, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(.concat, xs, ["axis": .int(xs.first.map { normalized(axis, $0) } ?? axis)], name: name)
  }

  public mutating func reduce(_ op: Op, _ x: ValueID, axes: [Int], keepdims: Bool = false, name: String? = nil) throws(Diagnostic) -> ValueID {
    try apply(op, [x], ["axes": .ints(axes.map { normalized($0, x) }.sorted()), "keepdims": .bool(keepdims)], name: name)
  }

  /// A non-negative axis for x's rank.
  public func normalized(_ axis: Int, _ x: ValueID) -> Int { axis < 0 ? axis + type(of: x).rank : axis }
}
