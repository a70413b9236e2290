import IR
import RealModule

/// One element of a filled (`constant`) tensor, held in its dtype, and the arithmetic the
/// interpreter's kernels do on it.
///
/// Constant folding computes here rather than in the interpreter: Passes depends on IR only
/// (and RealModule, for the same `exp`/`erf`/… the kernels call), so a pass library that links
/// no BLAS and allocates no tensors. A `constant` is one value broadcast to a shape, so folding
/// any elementwise op of constants is one scalar operation, done in the dtype exactly as the
/// kernels in `Sources/Runtime/Kernels/Elementwise.swift` do it (f32 in Float, integers
/// wrapping, casts through Float where the kernel goes through Float). `ScalarValueTests` holds
/// every case to the interpreter. f16 and bf16 are not folded: their rounding lives in Tensor.
enum ScalarValue: Hashable, Sendable {
  case f32(Float)
  case f64(Double)
  case i64(Int64)
  case i32(Int32)
  case bool(Bool)

  /// The element a `constant` of this dtype and attribute value holds (as the fill kernel
  /// converts it); nil for half types and for values an integer cannot hold.
  init?(dtype: DType, attribute value: Double) {
    switch dtype {
    case .f32: self = .f32(Float(value))
    case .f64: self = .f64(value)
    case .i64:
      guard let integer = Int64(exactly: value.rounded(.towardZero)) else { return nil }
      self = .i64(integer)
    case .i32:
      guard let integer = Int32(exactly: value.rounded(.towardZero)) else { return nil }
      self = .i32(integer)
    case .bool: self = .bool(value != 0)
    case .f16, .bf16: return nil
    }
  }

  var dtype: DType {
    switch self {
    case .f32: .f32
    case .f64: .f64
    case .i64: .i64
    case .i32: .i32
    case .bool: .bool
    }
  }

  /// The `value` attribute of a constant holding this element, when a Double carries it exactly.
  /// Never NaN: the verifier's normal-form check compares attributes, and NaN equals nothing.
  var attributeValue: Double? {
    let value: Double
    switch self {
    case .f32(let x): value = Double(x)
    case .f64(let x): value = x
    case .i64(let x):
      guard let exact = Double(exactly: x) else { return nil }
      value = exact
    case .i32(let x): value = Double(x)
    case .bool(let x): value = x ? 1 : 0
    }
    return ScalarValue(dtype: dtype, attribute: value) == self ? value : nil
  }

  /// Whether this is the number one (or zero) of its dtype.
  var isOne: Bool { self == ScalarValue(dtype: dtype, attribute: 1) }
  var isZero: Bool {
    switch self {
    case .f32(let x): x == 0
    case .f64(let x): x == 0
    case .i64(let x): x == 0
    case .i32(let x): x == 0
    case .bool(let x): !x
    }
  }

  /// The element as the kernels read it when widening (`Tensor.doubles`: through Float unless f64).
  private var widened: Double {
    switch self {
    case .f32(let x): Double(x)
    case .f64(let x): x
    case .i64(let x): Double(Float(x))
    case .i32(let x): Double(Float(x))
    case .bool(let x): x ? 1 : 0
    }
  }

  // MARK: Operations (nil: the kernel refuses it, or it is not folded)

  func unary(_ op: Op) -> ScalarValue? {
    switch self {
    case .f32(let x): Self.unaryFloat(op, x).map(ScalarValue.f32)
    case .f64(let x): Self.unaryFloat(op, x).map(ScalarValue.f64)
    case .i64(let x): Self.unaryInteger(op, x).map(ScalarValue.i64)
    case .i32(let x): Self.unaryInteger(op, x).map(ScalarValue.i32)
    case .bool(let x): op == .logicalNot ? .bool(!x) : nil
    }
  }

  func binary(_ op: Op, _ other: ScalarValue) -> ScalarValue? {
    switch (self, other) {
    case (.f32(let a), .f32(let b)): Self.binaryFloat(op, a, b).map { $0.wrap(ScalarValue.f32) }
    case (.f64(let a), .f64(let b)): Self.binaryFloat(op, a, b).map { $0.wrap(ScalarValue.f64) }
    case (.i64(let a), .i64(let b)): Self.binaryInteger(op, a, b).map { $0.wrap(ScalarValue.i64) }
    case (.i32(let a), .i32(let b)): Self.binaryInteger(op, a, b).map { $0.wrap(ScalarValue.i32) }
    case (.bool(let a), .bool(let b)): Self.binaryBool(op, a, b)
    default: nil
    }
  }

  /// `cast` as `ElementwiseKernels.cast` converts one element.
  func cast(to target: DType) -> ScalarValue? {
    if target == dtype { return self }
    switch target {
    case .f32:
      if case .f64(let x) = self { return .f32(Float(x)) }
      return .f32(Float(widened))
    case .f64: return .f64(widened)
    case .i64: return .i64(integerValue)
    case .i32: return .i32(Int32(truncatingIfNeeded: integerValue))
    case .bool: return .bool(widened != 0)
    case .f16, .bf16: return nil
    }
  }

  private var integerValue: Int64 {
    switch self {
    case .f64(let x): Self.saturatingInt64(x)
    case .f32(let x): Self.saturatingInt64(Double(x))
    case .i64(let x): x
    case .i32(let x): Int64(x)
    case .bool(let x): x ? 1 : 0
    }
  }

  private static func saturatingInt64(_ value: Double) -> Int64 {
    if value.isNaN { return 0 }
    if value >= 9.2e18 { return .max }
    if value <= -9.2e18 { return .min }
    return Int64(value)
  }

  private static func unaryFloat<T: BinaryFloatingPoint & Real>(_ op: Op, _ x: T) -> T? {
    switch op {
    case .neg: -x
    case .abs: Swift.abs(x)
    case .exp: T.exp(x)
    case .log: T.log(x)
    case .sqrt: x.squareRoot()
    case .rsqrt: 1 / x.squareRoot()
    case .tanh: T.tanh(x)
    case .erf: T.erf(x)
    case .gelu: x * T.erfc(-x * (1 / T(2).squareRoot())) / 2
    case .sigmoid: 1 / (1 + T.exp(-x))
    case .relu: x > 0 || x.isNaN ? x : 0
    case .reciprocal: 1 / x
    default: nil
    }
  }

  private static func unaryInteger<T: FixedWidthInteger & SignedInteger>(_ op: Op, _ x: T) -> T? {
    switch op {
    case .neg: 0 &- x
    case .abs: x < 0 ? 0 &- x : x
    case .relu: x > 0 ? x : 0
    default: nil
    }
  }

  /// A binary op's result: a value of the operands' type, or a comparison.
  private enum Computed<T> {
    case value(T)
    case predicate(Bool)

    func wrap(_ make: (T) -> ScalarValue) -> ScalarValue {
      switch self {
      case .value(let x): make(x)
      case .predicate(let p): .bool(p)
      }
    }
  }

  private static func comparison<T: Comparable>(_ op: Op, _ a: T, _ b: T) -> Bool? {
    switch op {
    case .eq: a == b
    case .ne: a != b
    case .lt: a < b
    case .le: a <= b
    case .gt: a > b
    case .ge: a >= b
    default: nil
    }
  }

  private static func binaryFloat<T: BinaryFloatingPoint & Real>(_ op: Op, _ a: T, _ b: T) -> Computed<T>? {
    if let predicate = comparison(op, a, b) { return .predicate(predicate) }
    switch op {
    case .add: return .value(a + b)
    case .sub: return .value(a - b)
    case .mul: return .value(a * b)
    case .div: return .value(a / b)
    case .pow: return .value(T.pow(a, b))
    case .maximum: return .value(a.isNaN || b.isNaN ? .nan : Swift.max(a, b))
    case .minimum: return .value(a.isNaN || b.isNaN ? .nan : Swift.min(a, b))
    default: return nil
    }
  }

  private static func binaryInteger<T: FixedWidthInteger & SignedInteger>(_ op: Op, _ a: T, _ b: T) -> Computed<T>? {
    if let predicate = comparison(op, a, b) { return .predicate(predicate) }
    switch op {
    case .add: return .value(a &+ b)
    case .sub: return .value(a &- b)
    case .mul: return .value(a &* b)
    // The kernel's `$0 / $1` traps on min / -1; folding leaves that to run time.
    case .div: return b == 0 ? .value(0) : a.dividedReportingOverflow(by: b).overflow ? nil : .value(a / b)
    case .floorDiv: return b == 0 ? .value(0) : a.dividedReportingOverflow(by: b).overflow ? nil : .value(T(floorDivide(Int(a), Int(b))))
    case .maximum: return .value(Swift.max(a, b))
    case .minimum: return .value(Swift.min(a, b))
    default: return nil
    }
  }

  private static func binaryBool(_ op: Op, _ a: Bool, _ b: Bool) -> ScalarValue? {
    switch op {
    case .logicalAnd: .bool(a && b)
    case .logicalOr: .bool(a || b)
    case .eq: .bool(a == b)
    case .ne: .bool(a != b)
    default: nil
    }
  }
}
