import IR

/// What a gradient rule writes with: a builder over the graph being differentiated, plus the
/// helpers rules share (constants of the right dtype, reducing a broadcast gradient back to
/// an operand's shape, element counts that may be symbolic).
struct GradientBuilder {
  var builder: GraphBuilder

  func type(_ value: ValueID) -> TensorType { builder.type(of: value) }

  mutating func apply(_ op: Op, _ operands: [ValueID], _ attributes: Attributes = [:]) throws(Diagnostic) -> ValueID {
    try builder.apply(op, operands, attributes)
  }

  /// A scalar constant with `like`'s dtype.
  mutating func scalar(_ value: Double, like: ValueID) throws(Diagnostic) -> ValueID {
    try builder.constant(value, type(like).dtype)
  }

  mutating func add(_ a: ValueID, _ b: ValueID) throws(Diagnostic) -> ValueID { try builder.add(a, b) }
  mutating func sub(_ a: ValueID, _ b: ValueID) throws(Diagnostic) -> ValueID { try builder.sub(a, b) }
  mutating func mul(_ a: ValueID, _ b: ValueID) throws(Diagnostic) -> ValueID { try builder.mul(a, b) }
  mutating func div(_ a: ValueID, _ b: ValueID) throws(Diagnostic) -> ValueID { try builder.div(a, b) }
  mutating func neg(_ a: ValueID) throws(Diagnostic) -> ValueID { try builder.unary(.neg, a) }

  mutating func scaled(_ a: ValueID, _ factor: Double) throws(Diagnostic) -> ValueID {
    try mul(a, try scalar(factor, like: a))
  }

  mutating func select(_ condition: ValueID, _ onTrue: ValueID, _ onFalse: ValueID) throws(Diagnostic) -> ValueID {
    try apply(.select, [condition, onTrue, onFalse])
  }

  mutating func zeros(like value: ValueID) throws(Diagnostic) -> ValueID {
    let type = type(value)
    return try apply(.constant, [], ["dtype": .dtype(type.dtype), "shape": .dims(type.shape), "value": .float(0)])
  }

  mutating func reduceSum(_ x: ValueID, axes: [Int], keepdims: Bool) throws(Diagnostic) -> ValueID {
    guard !axes.isEmpty else { return x }
    return try builder.reduce(.reduceSum, x, axes: axes, keepdims: keepdims)
  }

  /// Sums a gradient over the axes broadcasting added, so that it takes `shape`.
  mutating func sumTo(_ gradient: ValueID, _ shape: [DimExpr]) throws(Diagnostic) -> ValueID {
    var result = gradient
    let extra = type(result).rank - shape.count
    if extra > 0 { result = try reduceSum(result, axes: Array(0..<extra), keepdims: false) }
    let current = type(result).shape
    let stretched = shape.indices.filter { shape[$0] == 1 && current[$0] != 1 }
    if !stretched.isEmpty { result = try reduceSum(result, axes: stretched, keepdims: true) }
    return result
  }

  /// Broadcasts a reduced gradient back over `axes` to `shape` (the adjoint of a reduction).
  mutating func expand(_ gradient: ValueID, reducedAxes axes: [Int], keepdims: Bool, to shape: [DimExpr]) throws(Diagnostic) -> ValueID {
    var result = gradient
    if !keepdims {
      let kept = shape.enumerated().map { axes.contains($0.offset) ? DimExpr(1) : $0.element }
      result = try builder.reshape(result, kept)
    }
    return try apply(.broadcastTo, [result], ["shape": .dims(shape)])
  }

  /// The number of elements over `axes` of `x`, as a scalar of x's dtype (run-time sizes for
  /// symbolic dimensions).
  mutating func count(of x: ValueID, axes: [Int]) throws(Diagnostic) -> ValueID {
    let shape = type(x).shape
    var staticCount = 1
    var dynamic: ValueID?
    for axis in axes {
      if let value = shape[axis].constantValue {
        staticCount *= value
        continue
      }
      let size = try builder.cast(try apply(.dimSize, [x], ["axis": .int(axis)]), to: type(x).dtype)
      dynamic = try dynamic.map { existing throws(Diagnostic) in try mul(existing, size) } ?? size
    }
    let constant = try scalar(Double(staticCount), like: x)
    return try dynamic.map { value throws(Diagnostic) in try mul(value, constant) } ?? constant
  }
}
