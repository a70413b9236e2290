// Elementwise ops: unary maths, binary arithmetic with NumPy broadcasting, comparisons,
// logic, select and cast.

extension OpSignature {
  static func unary(_ op: Op, floatOnly: Bool) -> OpSignature {
    let summaries: [Op: String] = [
      .neg: "-x", .abs: "|x|", .exp: "e^x", .log: "natural logarithm", .sqrt: "square root",
      .rsqrt: "1 / sqrt(x)", .tanh: "hyperbolic tangent", .erf: "error function",
      .gelu: "x · Φ(x), the exact (erf) GELU", .sigmoid: "1 / (1 + e^-x)", .relu: "max(x, 0)",
      .reciprocal: "1 / x",
    ]
    return OpSignature(
      operands: ["x"], summary: summaries[op] ?? op.rawValue,
      typeRuleText: floatOnly ? "x: float T → T" : "x: numeric T → T",
      inferType: { operands, _ throws(TypeRuleError) in
        if floatOnly { try requireFloat(operands[0], "x") } else { try requireNumeric(operands[0], "x") }
        return operands[0]
      })
  }

  static let geluGrad = OpSignature(
    operands: ["x", "grad_output"], summary: "gradient of gelu: grad_output · (Φ(x) + x·φ(x))",
    typeRuleText: "x: float T, grad_output: T → T",
    inferType: { operands, _ throws(TypeRuleError) in
      try requireFloat(operands[0], "x")
      guard operands[0] == operands[1] else { throw fail("x and grad_output differ: \(operands[0]) and \(operands[1])") }
      return operands[0]
    })

  static let logicalNot = OpSignature(
    operands: ["x"], summary: "logical negation", typeRuleText: "x: bool[s] → bool[s]",
    inferType: { operands, _ throws(TypeRuleError) in
      try requireDType(operands[0], [.bool], "x")
      return operands[0]
    })

  static func binaryArithmetic(_ op: Op) -> OpSignature {
    let summaries: [Op: String] = [
      .add: "a + b", .sub: "a - b", .mul: "a · b", .div: "a / b (true division; integer division truncates)",
      .maximum: "elementwise maximum", .minimum: "elementwise minimum",
    ]
    return OpSignature(
      operands: ["a", "b"], summary: summaries[op] ?? op.rawValue,
      typeRuleText: "a: numeric d[s], b: d[t] → d[broadcast(s, t)]",
      inferType: { operands, _ throws(TypeRuleError) in
        try requireSameDType(operands)
        try requireNumeric(operands[0], "a")
        return TensorType(operands[0].dtype, try broadcastShapes(operands.map(\.shape)))
      })
  }

  static let pow = OpSignature(
    operands: ["a", "b"], summary: "a raised to b", typeRuleText: "a: float d[s], b: d[t] → d[broadcast(s, t)]",
    inferType: { operands, _ throws(TypeRuleError) in
      try requireSameDType(operands)
      try requireFloat(operands[0], "a")
      return TensorType(operands[0].dtype, try broadcastShapes(operands.map(\.shape)))
    })

  static let floorDiv = OpSignature(
    operands: ["a", "b"], summary: "integer division rounding towards negative infinity",
    typeRuleText: "a: integer d[s], b: d[t] → d[broadcast(s, t)]",
    inferType: { operands, _ throws(TypeRuleError) in
      try requireSameDType(operands)
      try requireDType(operands[0], [.i64, .i32], "a")
      return TensorType(operands[0].dtype, try broadcastShapes(operands.map(\.shape)))
    })

  static func comparison(_ op: Op) -> OpSignature {
    let symbols: [Op: String] = [.eq: "==", .ne: "!=", .lt: "<", .le: "<=", .gt: ">", .ge: ">="]
    return OpSignature(
      operands: ["a", "b"], summary: "a \(symbols[op] ?? op.rawValue) b",
      typeRuleText: "a: d[s], b: d[t] → bool[broadcast(s, t)]",
      inferType: { operands, _ throws(TypeRuleError) in
        try requireSameDType(operands)
        return TensorType(.bool, try broadcastShapes(operands.map(\.shape)))
      })
  }

  static func logical(_ op: Op) -> OpSignature {
    OpSignature(
      operands: ["a", "b"], summary: op == .logicalAnd ? "logical and" : "logical or",
      typeRuleText: "a: bool[s], b: bool[t] → bool[broadcast(s, t)]",
      inferType: { operands, _ throws(TypeRuleError) in
        try requireDType(operands[0], [.bool], "a")
        try requireDType(operands[1], [.bool], "b")
        return TensorType(.bool, try broadcastShapes(operands.map(\.shape)))
      })
  }

  static let select = OpSignature(
    operands: ["condition", "on_true", "on_false"],
    summary: "on_true where condition holds, else on_false",
    typeRuleText: "condition: bool[r], on_true: d[s], on_false: d[t] → d[broadcast(r, s, t)]",
    inferType: { operands, _ throws(TypeRuleError) in
      try requireDType(operands[0], [.bool], "condition")
      try requireSameDType([operands[1], operands[2]])
      return TensorType(operands[1].dtype, try broadcastShapes(operands.map(\.shape)))
    })

  static let cast = OpSignature(
    operands: ["x"], attributes: [AttributeSpec("to", .dtype)],
    summary: "converts elements to another dtype (round to nearest even; float to int truncates)",
    typeRuleText: "x: d[s] {to: e} → e[s]",
    inferType: { operands, attributes throws(TypeRuleError) in
      operands[0].with(dtype: try attributes.dtype("to"))
    })
}
