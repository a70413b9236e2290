// Reductions over axes.

extension OpSignature {
  static func reduction(_ op: Op) -> OpSignature {
    let what = [Op.reduceSum: "sum", .reduceMean: "mean", .reduceMax: "maximum"][op] ?? op.rawValue
    return OpSignature(
      operands: ["x"], attributes: [AttributeSpec("axes", .ints), AttributeSpec("keepdims", .bool, default: .bool(false))],
      summary: "\(what) over the listed axes (distinct, ascending)",
      typeRuleText: "x: numeric d[s] {axes, keepdims} → d[s without axes] (or with them as 1 when keepdims)",
      inferType: { operands, attributes throws(TypeRuleError) in
        let x = operands[0]
        try requireNumeric(x, "x")
        let axes = try attributes.ints("axes")
        try checkAxes(axes, rank: x.rank)
        let keep = try attributes.bool("keepdims")
        var shape: [DimExpr] = []
        for (index, dim) in x.shape.enumerated() {
          if axes.contains(index) { if keep { shape.append(1) } } else { shape.append(dim) }
        }
        return x.with(shape: shape)
      })
  }

  static let argmax = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("axis", .int)],
    summary: "index of the largest element along axis (first on ties)",
    typeRuleText: "x: numeric d[s] {axis} → i64[s without axis]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      try requireNumeric(x, "x")
      let axis = try attributes.int("axis")
      try checkAxis(axis, rank: x.rank)
      var shape = x.shape
      shape.remove(at: axis)
      return TensorType(.i64, shape)
    })
}

func checkAxes(_ axes: [Int], rank: Int) throws(TypeRuleError) {
  guard !axes.isEmpty else { throw fail("axes must not be empty") }
  for axis in axes { try checkAxis(axis, rank: rank) }
  guard axes == axes.sorted(), Set(axes).count == axes.count else {
    throw fail("axes \(axes) must be distinct and ascending")
  }
}
