// Ops that move, reshape, cut and join data without arithmetic.

extension OpSignature {
  static let transpose = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("perm", .ints)],
    summary: "permutes axes: result axis i is x's axis perm[i]",
    typeRuleText: "x: d[s] {perm: a permutation of 0..<rank} → d[s[perm[0]], s[perm[1]], …]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      let perm = try attributes.ints("perm")
      guard perm.sorted() == Array(0..<x.rank) else { throw fail("perm \(perm) is not a permutation of 0..<\(x.rank)") }
      return x.with(shape: perm.map { x.shape[$0] })
    })

  static let reshape = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("shape", .dims)],
    summary: "same elements in row-major order, new shape",
    typeRuleText: "x: d[s] {shape: t} → d[t], where t has as many elements as s (static factors multiply equal, symbolic dimensions carry over)",
    inferType: { operands, attributes throws(TypeRuleError) in
      let shape = try attributes.dims("shape")
      guard sameElementCount(operands[0].shape, shape) else {
        throw fail("cannot reshape \(operands[0]) to \(shapeText(shape)): element counts differ")
      }
      return operands[0].with(shape: shape)
    })

  static let slice = OpSignature(
    operands: ["x"],
    attributes: [
      AttributeSpec("axis", .int), AttributeSpec("start", .dims), AttributeSpec("end", .dims),
      AttributeSpec("step", .int, default: .int(1)),
    ],
    summary: "elements start, start + step, … below end along axis; start and end are [dim] (may be symbolic)",
    typeRuleText: "x: d[s] {axis a, start [b], end [e], step k} → d[s with s[a] = (e - b + k - 1) / k]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      let axis = try attributes.int("axis")
      try checkAxis(axis, rank: x.rank)
      let (starts, ends, step) = (try attributes.dims("start"), try attributes.dims("end"), try attributes.int("step"))
      guard starts.count == 1, ends.count == 1 else { throw fail("start and end must each hold one dimension") }
      guard step >= 1 else { throw fail("step must be positive, found \(step)") }
      let extent = ends[0] - starts[0]
      if let value = extent.constantValue, value < 0 { throw fail("slice end \(ends[0]) is before start \(starts[0])") }
      if let start = starts[0].constantValue, start < 0 { throw fail("slice start \(start) is negative") }
      if let end = ends[0].constantValue, let size = x.shape[axis].constantValue, end > size {
        throw fail("slice end \(end) is past the axis size \(size)")
      }
      if let overshoot = (ends[0] - x.shape[axis]).constantValue, overshoot > 0 {
        throw fail("slice end \(ends[0]) is past the axis size \(x.shape[axis])")
      }
      var shape = x.shape
      shape[axis] = (extent + DimExpr(step - 1)).floorDivided(by: step)
      return x.with(shape: shape)
    })

  static let concat = OpSignature(
    operands: ["xs"], isVariadic: true, attributes: [AttributeSpec("axis", .int)],
    summary: "joins operands along axis",
    typeRuleText: "xs: d[s₁], d[s₂], … equal but on axis → d[s with s[axis] = Σ sᵢ[axis]]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let first = operands[0]
      let axis = try attributes.int("axis")
      try checkAxis(axis, rank: first.rank)
      try requireSameDType(operands)
      var total = DimExpr(0)
      for operand in operands {
        guard operand.rank == first.rank else { throw fail("ranks differ: \(first) and \(operand)") }
        for index in 0..<first.rank where index != axis {
          try requireEqualDims(operand.shape[index], first.shape[index], "dimension \(index) differs")
        }
        total = total + operand.shape[axis]
      }
      var shape = first.shape
      shape[axis] = total
      return first.with(shape: shape)
    })

  static let pad = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("pads", .ints), AttributeSpec("value", .float, default: .float(0))],
    summary: "pads with a constant: pads holds (before, after) for each axis in order",
    typeRuleText: "x: d[s] {pads: [b₀, a₀, b₁, a₁, …] (non-negative), value} → d[sᵢ + bᵢ + aᵢ]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      let pads = try attributes.ints("pads")
      guard pads.count == 2 * x.rank else { throw fail("pads needs \(2 * x.rank) entries for rank \(x.rank), found \(pads.count)") }
      guard pads.allSatisfy({ $0 >= 0 }) else { throw fail("pads must be non-negative, found \(pads)") }
      return x.with(shape: x.shape.enumerated().map { $1 + DimExpr(pads[2 * $0] + pads[2 * $0 + 1]) })
    })

  static let broadcastTo = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("shape", .dims)],
    summary: "stretches size-1 axes (and prepends axes) to shape",
    typeRuleText: "x: d[s] {shape: t} → d[t], where broadcast(s, t) = t",
    inferType: { operands, attributes throws(TypeRuleError) in
      let shape = try attributes.dims("shape")
      guard try broadcastShapes([operands[0].shape, shape]) == shape, operands[0].rank <= shape.count else {
        throw fail("cannot broadcast \(operands[0]) to \(shapeText(shape))")
      }
      return operands[0].with(shape: shape)
    })
}
