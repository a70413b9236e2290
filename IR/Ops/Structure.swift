// Ops that carry a region.

extension OpSignature {
  /// `fused` groups a body of ops into one node (built by fusion passes). Its region's block
  /// arguments take the operands' types, the body sees nothing from outside, and the value the
  /// body yields is the result. The type rule is checked by the verifier against the region.
  static let fused = OpSignature(
    operands: ["inputs"], isVariadic: true, attributes: [AttributeSpec("kind", .string, default: .string("generic"))],
    hasRegion: true,
    summary: "a region of ops run as one node; block arguments take the operands, the yielded value is the result",
    typeRuleText: "inputs: t₁, t₂, … with a region ^(t₁, t₂, …) yielding r → r",
    inferType: { _, _ throws(TypeRuleError) in
      throw fail("fused takes its type from its region")
    })
}
