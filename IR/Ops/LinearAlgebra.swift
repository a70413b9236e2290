// Matrix products and 1-D convolution, with the convolution's gradient ops.

extension OpSignature {
  static let matmul = OpSignature(
    operands: ["a", "b"],
    summary: "batched matrix product; leading dimensions broadcast",
    typeRuleText: "a: float d[…p, M, K], b: d[…q, K, N] → d[broadcast(p, q), M, N]",
    inferType: { operands, _ throws(TypeRuleError) in
      let (a, b) = (operands[0], operands[1])
      try requireSameDType([a, b])
      try requireFloat(a, "a")
      guard a.rank >= 2, b.rank >= 2 else { throw fail("matmul operands need rank >= 2, found \(a) and \(b)") }
      try requireEqualDims(a.shape[a.rank - 1], b.shape[b.rank - 2], "contraction dimensions differ")
      let batch = try broadcastShapes([Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2))])
      return TensorType(a.dtype, batch + [a.shape[a.rank - 2], b.shape[b.rank - 1]])
    })

  static let linear = OpSignature(
    operands: ["x", "weight", "bias"], optionalOperands: 1,
    summary: "x · weightᵀ + bias, as torch.nn.Linear (weight is [out, in])",
    typeRuleText: "x: float d[…, in], weight: d[out, in], bias?: d[out] → d[…, out]",
    inferType: { operands, _ throws(TypeRuleError) in
      let (x, weight) = (operands[0], operands[1])
      try requireSameDType(operands)
      try requireFloat(x, "x")
      guard x.rank >= 1 else { throw fail("x must have rank >= 1, found \(x)") }
      try requireRank(weight, 2, "weight")
      try requireEqualDims(x.shape[x.rank - 1], weight.shape[1], "input features differ from weight's")
      if operands.count == 3 {
        try requireRank(operands[2], 1, "bias")
        try requireEqualDims(operands[2].shape[0], weight.shape[0], "bias length differs from output features")
      }
      return TensorType(x.dtype, Array(x.shape.dropLast()) + [weight.shape[0]])
    })

  static let linearWeightGrad = OpSignature(
    operands: ["grad_output", "x"],
    summary: "gradient of linear with respect to its weight: Σ over the leading axes of grad_outputᵀ · x (one GEMM)",
    typeRuleText: "grad_output: float d[…, out], x: d[…, in] (same leading axes) → d[out, in]",
    inferType: { operands, _ throws(TypeRuleError) in
      let (gradOutput, x) = (operands[0], operands[1])
      try requireSameDType(operands)
      try requireFloat(x, "x")
      guard gradOutput.rank >= 1, gradOutput.rank == x.rank else { throw fail("grad_output and x need the same rank >= 1, found \(gradOutput) and \(x)") }
      for axis in 0..<(x.rank - 1) { try requireEqualDims(gradOutput.shape[axis], x.shape[axis], "leading dimension \(axis) differs") }
      return TensorType(x.dtype, [gradOutput.shape[gradOutput.rank - 1], x.shape[x.rank - 1]])
    })

  static let convolutionAttributes = [
    AttributeSpec("stride", .int, default: .int(1)), AttributeSpec("padding", .int, default: .int(0)),
    AttributeSpec("dilation", .int, default: .int(1)), AttributeSpec("groups", .int, default: .int(1)),
  ]

  static let conv1d = OpSignature(
    operands: ["x", "weight", "bias"], optionalOperands: 1, attributes: convolutionAttributes,
    summary: "1-D cross-correlation as torch.nn.Conv1d, zero padding on both sides",
    typeRuleText:
      "x: float d[N, C, L], weight: d[F, C / groups, K], bias?: d[F] {stride s, padding p, dilation r, groups g} → d[N, F, (L + 2p - r(K - 1) - 1) / s + 1]",
    inferType: { operands, attributes throws(TypeRuleError) in
      let (x, weight) = (operands[0], operands[1])
      let geometry = try ConvolutionGeometry(attributes)
      try requireSameDType(operands)
      try requireFloat(x, "x")
      try requireRank(x, 3, "x")
      try requireRank(weight, 3, "weight")
      try geometry.checkChannels(input: x.shape[1], weight: weight)
      if operands.count == 3 {
        try requireRank(operands[2], 1, "bias")
        try requireEqualDims(operands[2].shape[0], weight.shape[0], "bias length differs from output channels")
      }
      guard let kernel = weight.shape[2].constantValue else { throw fail("kernel size must be static") }
      let length = try geometry.outputLength(input: x.shape[2], kernel: kernel)
      return TensorType(x.dtype, [x.shape[0], weight.shape[0], length])
    })

  static let conv1dInputGrad = OpSignature(
    operands: ["grad_output", "weight"],
    attributes: convolutionAttributes + [AttributeSpec("input_length", .dims)],
    summary: "gradient of conv1d with respect to x (a transposed convolution); input_length is [L]",
    typeRuleText:
      "grad_output: float d[N, F, Lout], weight: d[F, C / g, K] {…, input_length: [L]} → d[N, C, L], where Lout matches conv1d's rule",
    inferType: { operands, attributes throws(TypeRuleError) in
      let (gradOutput, weight) = (operands[0], operands[1])
      let geometry = try ConvolutionGeometry(attributes)
      try requireSameDType(operands)
      try requireFloat(gradOutput, "grad_output")
      try requireRank(gradOutput, 3, "grad_output")
      try requireRank(weight, 3, "weight")
      let lengths = try attributes.dims("input_length")
      guard lengths.count == 1 else { throw fail("input_length must hold exactly one dimension") }
      try requireEqualDims(gradOutput.shape[1], weight.shape[0], "grad_output channels differ from weight's")
      guard let kernel = weight.shape[2].constantValue, let perGroup = weight.shape[1].constantValue else {
        throw fail("weight shape must be static")
      }
      try requireEqualDims(
        try geometry.outputLength(input: lengths[0], kernel: kernel), gradOutput.shape[2],
        "grad_output length differs from conv1d's output length for input_length")
      return TensorType(gradOutput.dtype, [gradOutput.shape[0], DimExpr(perGroup * geometry.groups), lengths[0]])
    })

  static let conv1dWeightGrad = OpSignature(
    operands: ["grad_output", "x"],
    attributes: convolutionAttributes + [AttributeSpec("kernel_size", .int)],
    summary: "gradient of conv1d with respect to its weight",
    typeRuleText:
      "grad_output: float d[N, F, Lout], x: d[N, C, L] {…, kernel_size: K} → d[F, C / g, K], where Lout matches conv1d's rule",
    inferType: { operands, attributes throws(TypeRuleError) in
      let (gradOutput, x) = (operands[0], operands[1])
      let geometry = try ConvolutionGeometry(attributes)
      try requireSameDType(operands)
      try requireFloat(x, "x")
      try requireRank(gradOutput, 3, "grad_output")
      try requireRank(x, 3, "x")
      let kernel = try attributes.int("kernel_size")
      guard kernel >= 1 else { throw fail("kernel_size must be positive, found \(kernel)") }
      try requireEqualDims(gradOutput.shape[0], x.shape[0], "batch sizes differ")
      guard let channels = x.shape[1].constantValue, let filters = gradOutput.shape[1].constantValue else {
        throw fail("channel counts must be static")
      }
      guard channels % geometry.groups == 0, filters % geometry.groups == 0 else {
        throw fail("groups \(geometry.groups) must divide channels \(channels) and filters \(filters)")
      }
      try requireEqualDims(
        try geometry.outputLength(input: x.shape[2], kernel: kernel), gradOutput.shape[2],
        "grad_output length differs from conv1d's output length for x")
      return TensorType(x.dtype, [DimExpr(filters), DimExpr(channels / geometry.groups), DimExpr(kernel)])
    })
}

/// The stride, padding, dilation and groups shared by conv1d and its gradients.
struct ConvolutionGeometry {
  var stride: Int, padding: Int, dilation: Int, groups: Int

  init(_ attributes: Attributes) throws(TypeRuleError) {
    stride = try attributes.int("stride")
    padding = try attributes.int("padding")
    dilation = try attributes.int("dilation")
    groups = try attributes.int("groups")
    guard stride >= 1 else { throw fail("stride must be positive, found \(stride)") }
    guard padding >= 0 else { throw fail("padding must be non-negative, found \(padding)") }
    guard dilation >= 1 else { throw fail("dilation must be positive, found \(dilation)") }
    guard groups >= 1 else { throw fail("groups must be positive, found \(groups)") }
  }

  /// (L + 2p - r(K - 1) - 1) / s + 1, rejecting static lengths that yield no frame.
  func outputLength(input: DimExpr, kernel: Int) throws(TypeRuleError) -> DimExpr {
    let span = dilation * (kernel - 1) + 1
    let length = (input + DimExpr(2 * padding - span)).floorDivided(by: stride) + 1
    if let value = input.constantValue, value + 2 * padding < span {
      throw fail("input length \(value) is shorter than the receptive field \(span)")
    }
    return length
  }

  /// Checks that the weight's per-group channels match the input and groups divide evenly.
  func checkChannels(input channels: DimExpr, weight: TensorType) throws(TypeRuleError) {
    guard let inputChannels = channels.constantValue else { throw fail("input channels must be static") }
    guard let filters = weight.shape[0].constantValue, let perGroup = weight.shape[1].constantValue else {
      throw fail("weight shape must be static")
    }
    guard inputChannels % groups == 0, filters % groups == 0 else {
      throw fail("groups \(groups) must divide input channels \(inputChannels) and filters \(filters)")
    }
    guard perGroup == inputChannels / groups else {
      throw fail("weight expects \(perGroup * groups) input channels (\(perGroup) per group), x has \(inputChannels)")
    }
  }
}
