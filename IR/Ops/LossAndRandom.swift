// Dropout masks and the CTC loss with its gradient.

extension OpSignature {
  static let dropoutMask = OpSignature(
    operands: ["like", "seed"],
    attributes: [AttributeSpec("p", .float), AttributeSpec("stream", .int, default: .int(0))],
    summary:
      "a dropout mask shaped like `like`: 0 with probability p, else 1 / (1 - p). Deterministic in (seed, stream), so the backward pass can rebuild the forward's mask; dropout is mul(x, mask)",
    typeRuleText: "like: float d[s], seed: i64[] {p in [0, 1), stream} → d[s]",
    inferType: { operands, attributes throws(TypeRuleError) in
      try requireFloat(operands[0], "like")
      guard operands[1] == TensorType(.i64, []) else { throw fail("seed must be i64[], found \(operands[1])") }
      let p = try attributes.float("p")
      guard p >= 0 && p < 1 else { throw fail("p must lie in [0, 1), found \(p)") }
      return operands[0]
    })

  static let ctcAttributes = [
    AttributeSpec("blank", .int), AttributeSpec("reduction", .string, default: .string("mean"), oneOf: ["mean", "sum", "none"]),
    AttributeSpec("zero_infinity", .bool, default: .bool(false)),
  ]

  static let ctcLoss = OpSignature(
    operands: ["log_probs", "input_lengths", "labels"], attributes: ctcAttributes,
    summary:
      "connectionist temporal classification loss as torch.nn.functional.ctc_loss: labels padded with negative ids; 'mean' divides each sample by its target length (at least 1) then averages",
    typeRuleText:
      "log_probs: float d[B, T, C], input_lengths: i64[B], labels: i64[B, L] {blank in 0..<C, reduction, zero_infinity} → d[] (d[B] for 'none')",
    inferType: { operands, attributes throws(TypeRuleError) in
      try checkCTCOperands(operands, attributes)
      let logProbs = operands[0]
      return try attributes.string("reduction") == "none" ? TensorType(logProbs.dtype, [logProbs.shape[0]]) : TensorType(logProbs.dtype, [])
    })

  static let ctcLossGrad = OpSignature(
    operands: ["log_probs", "input_lengths", "labels", "grad_loss"], attributes: ctcAttributes,
    summary: "gradient of ctc_loss with respect to log_probs, scaled by grad_loss",
    typeRuleText: "as ctc_loss, plus grad_loss of ctc_loss's result type → d[B, T, C]",
    inferType: { operands, attributes throws(TypeRuleError) in
      try checkCTCOperands(Array(operands.prefix(3)), attributes)
      let logProbs = operands[0]
      let lossType = try attributes.string("reduction") == "none" ? TensorType(logProbs.dtype, [logProbs.shape[0]]) : TensorType(logProbs.dtype, [])
      guard operands[3] == lossType else { throw fail("grad_loss must be \(lossType), found \(operands[3])") }
      return logProbs
    })
}

private func checkCTCOperands(_ operands: [TensorType], _ attributes: Attributes) throws(TypeRuleError) {
  let (logProbs, inputLengths, labels) = (operands[0], operands[1], operands[2])
  try requireFloat(logProbs, "log_probs")
  try requireRank(logProbs, 3, "log_probs")
  try requireDType(inputLengths, [.i64], "input_lengths")
  try requireRank(inputLengths, 1, "input_lengths")
  try requireDType(labels, [.i64], "labels")
  try requireRank(labels, 2, "labels")
  try requireEqualDims(inputLengths.shape[0], logProbs.shape[0], "input_lengths batch differs from log_probs'")
  try requireEqualDims(labels.shape[0], logProbs.shape[0], "labels batch differs from log_probs'")
  let blank = try attributes.int("blank")
  if let classes = logProbs.shape[2].constantValue, blank < 0 || blank >= classes {
    throw fail("blank \(blank) is outside the \(classes) classes")
  }
  _ = try attributes.bool("zero_infinity")
}
