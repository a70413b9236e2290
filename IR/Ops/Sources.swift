// Ops without tensor operands: constants and index ramps, and the run-time size of a dimension.

extension OpSignature {
  static let constant = OpSignature(
    operands: [],
    attributes: [AttributeSpec("dtype", .dtype), AttributeSpec("shape", .dims), AttributeSpec("value", .float)],
    summary: "a tensor filled with one value (converted to dtype)",
    typeRuleText: "{dtype: d, shape: s, value: float} → d[s]",
    inferType: { _, attributes throws(TypeRuleError) in
      TensorType(try attributes.dtype("dtype"), try attributes.dims("shape"))
    })

  static let iota = OpSignature(
    operands: [],
    attributes: [AttributeSpec("dtype", .dtype), AttributeSpec("shape", .dims), AttributeSpec("axis", .int)],
    summary: "each element holds its index along axis (0, 1, 2, …)",
    typeRuleText: "{dtype: numeric d, shape: s, axis: a} → d[s]",
    inferType: { _, attributes throws(TypeRuleError) in
      let type = TensorType(try attributes.dtype("dtype"), try attributes.dims("shape"))
      try requireNumeric(type, "dtype")
      try checkAxis(try attributes.int("axis"), rank: type.rank)
      return type
    })

  static let dimSize = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("axis", .int)],
    summary: "the size of one dimension of x, as a scalar (symbolic sizes become run-time values)",
    typeRuleText: "x: d[s] {axis: a} → i64[]",
    inferType: { operands, attributes throws(TypeRuleError) in
      try checkAxis(try attributes.int("axis"), rank: operands[0].rank)
      return TensorType(.i64, [])
    })
}
