/// Every operation the IR knows. The text name is the raw value.
///
/// Each op's facts live in predictable places: its signature and type rule in
/// `IR/Ops/<Family>.swift`, and (from later modules) its interpreter kernel, gradient rule
/// and C emitter in one file per concern, each switching over this enum so that the compiler
/// points at every place a new op must be taught.
public enum Op: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
  // Elementwise, unary.
  case neg, abs, exp, log, sqrt, rsqrt, tanh, erf, gelu, sigmoid, relu, reciprocal
  case geluGrad = "gelu_grad"
  case logicalNot = "not"
  // Elementwise, binary (NumPy broadcasting, equal dtypes).
  case add, sub, mul, div, pow, maximum, minimum
  case floorDiv = "floor_div"
  case eq, ne, lt, le, gt, ge
  case logicalAnd = "and"
  case logicalOr = "or"
  case select, cast
  // Sources.
  case constant, iota
  case dimSize = "dim_size"
  // Linear algebra and convolution.
  case matmul, linear, conv1d
  case linearWeightGrad = "linear_weight_grad"
  case conv1dInputGrad = "conv1d_input_grad"
  case conv1dWeightGrad = "conv1d_weight_grad"
  // Normalisation and activations over an axis.
  case groupNorm = "group_norm"
  case layerNorm = "layer_norm"
  case softmax
  case logSoftmax = "log_softmax"
  // Shape.
  case transpose, reshape, slice, concat, pad
  case broadcastTo = "broadcast_to"
  // Reductions.
  case reduceSum = "reduce_sum"
  case reduceMean = "reduce_mean"
  case reduceMax = "reduce_max"
  case argmax
  // Randomness and losses.
  case dropoutMask = "dropout_mask"
  case ctcLoss = "ctc_loss"
  case ctcLossGrad = "ctc_loss_grad"
  // Structure.
  case fused

  public var description: String { rawValue }

  /// The op's operands, attributes and type rule.
  public var signature: OpSignature {
    switch self {
    case .neg, .abs, .relu: .unary(self, floatOnly: false)
    case .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .reciprocal: .unary(self, floatOnly: true)
    case .logicalNot: .logicalNot
    case .geluGrad: .geluGrad
    case .add, .sub, .mul, .div, .maximum, .minimum: .binaryArithmetic(self)
    case .pow: .pow
    case .floorDiv: .floorDiv
    case .eq, .ne, .lt, .le, .gt, .ge: .comparison(self)
    case .logicalAnd, .logicalOr: .logical(self)
    case .select: .select
    case .cast: .cast
    case .constant: .constant
    case .iota: .iota
    case .dimSize: .dimSize
    case .matmul: .matmul
    case .linear: .linear
    case .linearWeightGrad: .linearWeightGrad
    case .conv1d: .conv1d
    case .conv1dInputGrad: .conv1dInputGrad
    case .conv1dWeightGrad: .conv1dWeightGrad
    case .groupNorm: .groupNorm
    case .layerNorm: .layerNorm
    case .softmax: .softmax(self)
    case .logSoftmax: .softmax(self)
    case .transpose: .transpose
    case .reshape: .reshape
    case .slice: .slice
    case .concat: .concat
    case .pad: .pad
    case .broadcastTo: .broadcastTo
    case .reduceSum, .reduceMean, .reduceMax: .reduction(self)
    case .argmax: .argmax
    case .dropoutMask: .dropoutMask
    case .ctcLoss: .ctcLoss
    case .ctcLossGrad: .ctcLossGrad
    case .fused: .fused
    }
  }
}

/// How an op is called and typed: its operands, its attributes and its type rule.
public struct OpSignature: Sendable {
  public typealias TypeRule = @Sendable ([TensorType], Attributes) throws(TypeRuleError) -> TensorType

  /// Operand names, in order. Optional operands come last.
  public var operands: [String]
  /// How many trailing operands may be left out.
  public var optionalOperands: Int = 0
  /// The last operand repeats (one or more times).
  public var isVariadic: Bool = false
  public var attributes: [AttributeSpec] = []
  /// The op carries one region whose yielded values are its results (one or more).
  public var hasRegion: Bool = false
  /// One line for the op reference.
  public var summary: String
  /// The type rule as it reads in docs/ir.md.
  public var typeRuleText: String
  public var inferType: TypeRule

  public var operandCountRange: ClosedRange<Int> {
    isVariadic ? operands.count...Int.max : (operands.count - optionalOperands)...operands.count
  }
}

/// A declared attribute: its name, kind and default (nil: required).
public struct AttributeSpec: Sendable {
  public var name: String
  public var kind: AttributeKind
  public var defaultValue: Attribute?
  /// For string attributes: the values allowed.
  public var allowedStrings: [String]?

  public init(_ name: String, _ kind: AttributeKind, default defaultValue: Attribute? = nil, oneOf allowed: [String]? = nil) {
    self.name = name
    self.kind = kind
    self.defaultValue = defaultValue
    self.allowedStrings = allowed
  }
}

/// Why a type rule rejected its operands or attributes.
public enum TypeRuleError: Error, Equatable, Sendable, CustomStringConvertible {
  case missingAttribute(String, AttributeKind)
  case invalid(String)

  public var description: String {
    switch self {
    case .missingAttribute(let name, let kind): "attribute '\(name)' (\(kind)) is missing"
    case .invalid(let reason): reason
    }
  }
}
