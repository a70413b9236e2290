/// The family an op belongs to: the file under `IR/Ops/` that declares it. Drawings colour
/// nodes by family, so a reader sees at a glance where the matmuls, norms and reshapes are.
public enum OpFamily: String, CaseIterable, Sendable {
  case elementwise
  case sources
  case linearAlgebra = "linear algebra"
  case normalization
  case shape
  case reduction
  case lossAndRandom = "loss and random"
  case structure
}

extension Op {
  public var family: OpFamily {
    switch self {
    case .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .geluGrad, .logicalNot,
      .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr,
      .select, .cast:
      .elementwise
    case .constant, .iota, .dimSize: .sources
    case .matmul, .linear, .conv1d, .linearWeightGrad, .conv1dInputGrad, .conv1dWeightGrad: .linearAlgebra
    case .groupNorm, .layerNorm, .softmax, .logSoftmax: .normalization
    case .transpose, .reshape, .slice, .concat, .pad, .broadcastTo: .shape
    case .reduceSum, .reduceMean, .reduceMax, .argmax: .reduction
    case .dropoutMask, .ctcLoss, .ctcLossGrad: .lossAndRandom
    case .fused: .structure
    }
  }
}
