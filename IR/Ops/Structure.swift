// Ops that carry a region.

extension OpSignature {
  /// `fused` groups a body of ops into one node (built by fusion passes). Its region's block
  /// arguments take the operands' types, the body sees nothing from outside, and the values the
  /// body yields are the results, one each (several make a multi-result region). The type rule
  /// is checked by the verifier against the region.
  static let fused = OpSignature(
    operands: ["inputs"], isVariadic: true, attributes: [AttributeSpec("kind", .string, default: .string("generic"))],
    hasRegion: true,
    summary: "a region of ops run as one node; block arguments take the operands, the yielded values are the results (one or more)",
    typeRuleText: "inputs: t₁, t₂, … with a region ^(t₁, t₂, …) yielding r₁, r₂, … → (r₁, r₂, …)",
    inferType: { _, _ throws(TypeRuleError) in
      throw fail("fused takes its type from its region")
    })
}
