import IR

/// The interpreter's kernel for every op: one switch, one line per op family, so a new op
/// shows up here as a compiler error until it has a kernel.
enum Kernels {
  static func execute(
    _ op: Op, _ operands: [Tensor], _ attributes: Attributes, resultType: (dtype: DType, shape: [Int]), bindings: [String: Int]
  ) throws -> Tensor {
    let shape = resultType.shape
    switch op {
    case .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .logicalNot:
      return try ElementwiseKernels.unary(op, operands[0])
    case .geluGrad: return try ElementwiseKernels.geluGrad(operands[0], operands[1])
    case .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
      return try ElementwiseKernels.binary(op, operands[0], operands[1], outputShape: shape, outputDType: resultType.dtype)
    case .select: return ElementwiseKernels.select(operands[0], operands[1], operands[2], outputShape: shape)
    case .cast: return ElementwiseKernels.cast(operands[0], to: resultType.dtype)
    case .constant:
      let y = Tensor(uninitialized: resultType.dtype, shape)
      ShapeKernels.fill(y, with: try attributes.float("value"))
      return y
    case .iota: return ShapeKernels.iota(resultType.dtype, shape: shape, axis: try attributes.int("axis"))
    case .dimSize: return .scalar(Int64(operands[0].shape[try attributes.int("axis")]))
    case .matmul: return LinearAlgebraKernels.matmul(operands[0], operands[1], outputShape: shape)
    case .linear: return LinearAlgebraKernels.linear(operands[0], operands[1], operands.count > 2 ? operands[2] : nil)
    case .linearWeightGrad: return LinearAlgebraKernels.linearWeightGrad(operands[0], operands[1])
    case .conv1d: return try LinearAlgebraKernels.conv1d(operands[0], operands[1], operands.count > 2 ? operands[2] : nil, attributes: attributes, outputShape: shape)
    case .conv1dInputGrad: return try LinearAlgebraKernels.conv1dInputGrad(operands[0], operands[1], attributes: attributes, outputShape: shape)
    case .conv1dWeightGrad: return try LinearAlgebraKernels.conv1dWeightGrad(operands[0], operands[1], attributes: attributes, outputShape: shape)
    case .groupNorm: return NormalizationKernels.groupNorm(operands[0], operands[1], operands[2], groups: try attributes.int("groups"), eps: try attributes.float("eps"))
    case .layerNorm: return NormalizationKernels.layerNorm(operands[0], operands[1], operands[2], eps: try attributes.float("eps"))
    case .softmax, .logSoftmax: return NormalizationKernels.softmax(operands[0], axis: try attributes.int("axis"), logarithm: op == .logSoftmax)
    case .transpose: return ShapeKernels.transpose(operands[0], perm: try attributes.ints("perm"))
    case .reshape: return operands[0].reshaped(shape)
    case .slice:
      guard let start = try attributes.dims("start")[0].evaluate(bindings) else {
        throw InterpreterError.invalidValue("slice start has an unbound symbol")
      }
      return ShapeKernels.slice(operands[0], axis: try attributes.int("axis"), start: start, step: try attributes.int("step"), outputShape: shape)
    case .concat: return ShapeKernels.concat(operands, axis: try attributes.int("axis"), outputShape: shape)
    case .pad: return ShapeKernels.pad(operands[0], pads: try attributes.ints("pads"), value: try attributes.float("value"), outputShape: shape)
    case .broadcastTo: return ShapeKernels.broadcast(operands[0], to: shape)
    case .reduceSum, .reduceMean, .reduceMax: return try ReductionKernels.reduce(op, operands[0], axes: try attributes.ints("axes"), outputShape: shape)
    case .argmax: return ReductionKernels.argmax(operands[0], axis: try attributes.int("axis"), outputShape: shape)
    case .dropoutMask:
      return RandomKernels.dropoutMask(like: operands[0], seed: operands[1].int64s[0], p: try attributes.float("p"), stream: try attributes.int("stream"))
    case .ctcLoss: return try CTCKernels.loss(operands[0], operands[1], operands[2], attributes: attributes, outputShape: shape)
    case .ctcLossGrad: return try CTCKernels.gradient(operands[0], operands[1], operands[2], operands[3], attributes: attributes)
    case .fused: throw InterpreterError.unsupported("fused nodes run through the interpreter's region executor")
    }
  }
}
