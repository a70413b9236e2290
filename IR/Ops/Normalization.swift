// Normalisations and the softmax family.

extension OpSignature {
  static let groupNorm = OpSignature(
    operands: ["x", "weight", "bias"],
    attributes: [AttributeSpec("groups", .int), AttributeSpec("eps", .float, default: .float(1e-5))],
    summary: "torch.nn.GroupNorm over [N, C, L]: statistics per sample and channel group, affine per channel",
    typeRuleText: "x: float d[N, C, L], weight: d[C], bias: d[C] {groups g (divides C), eps} → d[N, C, L]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      try requireSameDType(operands)
      try requireFloat(x, "x")
      try requireRank(x, 3, "x")
      let groups = try attributes.int("groups")
      guard let channels = x.shape[1].constantValue else { throw fail("channels must be static") }
      guard groups >= 1, channels % groups == 0 else { throw fail("groups \(groups) must divide channels \(channels)") }
      for (index, name) in ["weight", "bias"].enumerated() {
        try requireRank(operands[index + 1], 1, name)
        try requireEqualDims(operands[index + 1].shape[0], x.shape[1], "\(name) length differs from channels")
      }
      return x
    })

  static let layerNorm = OpSignature(
    operands: ["x", "weight", "bias"],
    attributes: [AttributeSpec("eps", .float, default: .float(1e-5))],
    summary: "torch.nn.LayerNorm over the last axis (biased variance)",
    typeRuleText: "x: float d[…, D], weight: d[D], bias: d[D] {eps} → d[…, D]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let x = operands[0]
      try requireSameDType(operands)
      try requireFloat(x, "x")
      guard let last = x.shape.last else { throw fail("x must have rank >= 1") }
      for (index, name) in ["weight", "bias"].enumerated() {
        try requireRank(operands[index + 1], 1, name)
        try requireEqualDims(operands[index + 1].shape[0], last, "\(name) length differs from the normalised axis")
      }
      _ = try attributes.float("eps")
      return x
    })

  static func softmax(_ op: Op) -> OpSignature {
    OpSignature(
      operands: ["x"], attributes: [AttributeSpec("axis", .int)],
      summary: op == .softmax ? "exp(x) / Σ exp(x) along axis" : "x - log Σ exp(x) along axis, computed stably",
      typeRuleText: "x: float d[s] {axis} → d[s]",
      inferType: { operands, attributes throws(TypeRuleError) in
        try requireFloat(operands[0], "x")
        try checkAxis(try attributes.int("axis"), rank: operands[0].rank)
        return operands[0]
      })
  }
}
