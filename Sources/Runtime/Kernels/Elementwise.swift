import IR
import RealModule

/// Unary, binary, comparison, logical, select and cast kernels.
enum ElementwiseKernels {
  static func unary(_ op: Op, _ x: Tensor) throws -> Tensor {
    let y = Tensor(uninitialized: x.dtype, x.shape)
    switch x.dtype {
    case .f32: try unaryFloat(op, x.pointer(Float.self), y.pointer(Float.self), x.count)
    case .f64: try unaryFloat(op, x.pointer(Double.self), y.pointer(Double.self), x.count)
    case .i64: try unaryInteger(op, x.pointer(Int64.self), y.pointer(Int64.self), x.count)
    case .i32: try unaryInteger(op, x.pointer(Int32.self), y.pointer(Int32.self), x.count)
    case .bool:
      guard op == .logicalNot else { throw InterpreterError.unsupported("\(op) on bool") }
      let (input, output) = (x.pointer(UInt8.self), y.pointer(UInt8.self))
      for index in 0..<x.count { output[index] = input[index] == 0 ? 1 : 0 }
    case .f16, .bf16: throw InterpreterError.unsupported("\(op) on \(x.dtype) without widening")
    }
    return y
  }

  /// Elements per parallel chunk of elementwise work.
  static let chunk = 1 << 15

  private static func unaryFloat<T: KernelFloat>(_ op: Op, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) throws {
    guard floatUnaryOps.contains(op) else { throw InterpreterError.unsupported("\(op) as a unary float op") }
    parallelFor((n + chunk - 1) / chunk, grain: 2) { index in
      let start = index * chunk
      unaryFloatRange(op, x + start, y + start, Swift.min(chunk, n - start))
    }
  }

  static let floatUnaryOps: Set<Op> = [.neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal]

  static func unaryFloatRange<T: KernelFloat>(_ op: Op, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    switch op {
    case .neg: for i in 0..<n { y[i] = -x[i] }
    case .abs: for i in 0..<n { y[i] = Swift.abs(x[i]) }
    case .exp: for i in 0..<n { y[i] = T.exp(x[i]) }
    case .log: for i in 0..<n { y[i] = T.log(x[i]) }
    case .sqrt: for i in 0..<n { y[i] = x[i].squareRoot() }
    case .rsqrt: for i in 0..<n { y[i] = 1 / x[i].squareRoot() }
    case .tanh: for i in 0..<n { y[i] = T.tanh(x[i]) }
    case .erf: for i in 0..<n { y[i] = T.erf(x[i]) }
    case .gelu:
      let invSqrt2 = 1 / T(2).squareRoot()
      // erfc(-x/√2) is 1 + erf(x/√2) without its cancellation for x < -3 (where 1 + erf
      // loses every digit it has: 1% at x = -4.4 in float32). Φ(x) is formed before the product,
      // as torch's x * 0.5 * (1 + erf) halves first: gelu of the largest float is itself, not inf.
      for i in 0..<n { y[i] = x[i] * (T.erfc(-x[i] * invSqrt2) / 2) }
    case .sigmoid: for i in 0..<n { y[i] = 1 / (1 + T.exp(-x[i])) }
    // NaN passes through, as torch.relu (clamp_min) lets it.
    case .relu: for i in 0..<n { y[i] = x[i] > 0 || x[i].isNaN ? x[i] : 0 }
    case .reciprocal: for i in 0..<n { y[i] = 1 / x[i] }
    default: preconditionFailure("\(op) is not in floatUnaryOps")
    }
  }

  private static func unaryInteger<T: FixedWidthInteger & SignedInteger>(_ op: Op, _ x: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) throws {
    switch op {
    case .neg: for i in 0..<n { y[i] = 0 &- x[i] }
    case .abs: for i in 0..<n { y[i] = x[i] < 0 ? 0 &- x[i] : x[i] }
    case .relu: for i in 0..<n { y[i] = x[i] > 0 ? x[i] : 0 }
    default: throw InterpreterError.unsupported("\(op) on integers")
    }
  }

  /// dy · (Φ(x) + x·φ(x)), the exact GELU's derivative, in one pass.
  static func geluGrad(_ x: Tensor, _ dy: Tensor) throws -> Tensor {
    let y = Tensor(uninitialized: x.dtype, x.shape)
    switch x.dtype {
    case .f32: geluGrad(x.pointer(Float.self), dy.pointer(Float.self), y.pointer(Float.self), x.count)
    case .f64: geluGrad(x.pointer(Double.self), dy.pointer(Double.self), y.pointer(Double.self), x.count)
    default: throw InterpreterError.unsupported("gelu_grad on \(x.dtype)")
    }
    return y
  }

  private static func geluGrad<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ dy: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    parallelFor((n + chunk - 1) / chunk, grain: 2) { index in
      let start = index * chunk
      geluGradRange(x + start, 1, dy + start, 1, y + start, Swift.min(chunk, n - start))
    }
  }

  /// gelu_grad over one run, each input contiguous (stride 1) or repeated (stride 0).
  static func geluGradRange<T: KernelFloat>(_ x: UnsafeMutablePointer<T>, _ sx: Int, _ dy: UnsafeMutablePointer<T>, _ sd: Int, _ y: UnsafeMutablePointer<T>, _ n: Int) {
    let invSqrt2 = 1 / T(2).squareRoot()
    let invSqrt2Pi = 1 / (2 * T.pi).squareRoot()
    for i in 0..<n {
      let v = x[i * sx]
      let cdf = (1 + T.erf(v * invSqrt2)) / 2
      let pdf = T.exp(-v * v / 2) * invSqrt2Pi
      y[i] = dy[i * sd] * (cdf + v * pdf)
    }
  }

  /// A float binary op over one run (the fused elementwise kernel's tiles): each input
  /// contiguous or repeated, the same arithmetic as the whole-tensor kernels.
  static func binaryFloatRange<T: KernelFloat>(_ op: Op, _ a: UnsafeMutablePointer<T>, _ sa: Int, _ b: UnsafeMutablePointer<T>, _ sb: Int, _ out: UnsafeMutablePointer<T>, _ count: Int) {
    switch op {
    case .add: stridedLoop(count, a, sa, b, sb, out) { $0 + $1 }
    case .sub: stridedLoop(count, a, sa, b, sb, out) { $0 - $1 }
    case .mul: stridedLoop(count, a, sa, b, sb, out) { $0 * $1 }
    case .div: stridedLoop(count, a, sa, b, sb, out) { $0 / $1 }
    case .pow: stridedLoop(count, a, sa, b, sb, out) { T.pow($0, $1) }
    case .maximum: stridedLoop(count, a, sa, b, sb, out) { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    case .minimum: stridedLoop(count, a, sa, b, sb, out) { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
    default: preconditionFailure("\(op) is not a float binary op")
    }
  }

  /// A comparison over one run, writing bools as bytes.
  static func compareRange<T: KernelFloat>(_ op: Op, _ a: UnsafeMutablePointer<T>, _ sa: Int, _ b: UnsafeMutablePointer<T>, _ sb: Int, _ out: UnsafeMutablePointer<UInt8>, _ count: Int) {
    guard let predicate: (T, T) -> Bool = comparison(op) else { preconditionFailure("\(op) is not a comparison") }
    for i in 0..<count { out[i] = predicate(a[i * sa], b[i * sb]) ? 1 : 0 }
  }

  static func binary(_ op: Op, _ a: Tensor, _ b: Tensor, outputShape: [Int], outputDType: DType) throws -> Tensor {
    let y = Tensor(uninitialized: outputDType, outputShape)
    let loop = StridedLoop(
      shape: outputShape,
      strides: [StridedLoop.broadcastStrides(a.shape, to: outputShape), StridedLoop.broadcastStrides(b.shape, to: outputShape)])
    if a.dtype == outputDType, floatArithmetic.contains(op) {
      switch a.dtype {
      case .f32: floatBinary(op, a.pointer(Float.self), b.pointer(Float.self), y.pointer(Float.self), loop)
      case .f64: floatBinary(op, a.pointer(Double.self), b.pointer(Double.self), y.pointer(Double.self), loop)
      default: break
      }
      if a.dtype == .f32 || a.dtype == .f64 { return y }
    }
    switch a.dtype {
    case .f32: try binaryTyped(op, a.pointer(Float.self), b.pointer(Float.self), y, loop, compute: floatOperation(op))
    case .f64: try binaryTyped(op, a.pointer(Double.self), b.pointer(Double.self), y, loop, compute: floatOperation(op))
    case .i64: try binaryTyped(op, a.pointer(Int64.self), b.pointer(Int64.self), y, loop, compute: integerOperation(op))
    case .i32: try binaryTyped(op, a.pointer(Int32.self), b.pointer(Int32.self), y, loop, compute: integerOperation(op))
    case .bool: try binaryTyped(op, a.pointer(UInt8.self), b.pointer(UInt8.self), y, loop, compute: boolOperation(op))
    case .f16, .bf16: throw InterpreterError.unsupported("\(op) on \(a.dtype) without widening")
    }
    return y
  }

  static let floatArithmetic: Set<Op> = [.add, .sub, .mul, .div]

  /// The hot float arithmetic, without closures in the inner loops: runs of the innermost axis
  /// with each operand either contiguous, a repeated scalar, or strided; large same-shape
  /// operands split over the cores.
  private static func floatBinary<T: KernelFloat>(_ op: Op, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, _ y: UnsafeMutablePointer<T>, _ loop: StridedLoop) {
    let n = loop.shape.reduce(1, *)
    let contiguous = contiguousStrides(loop.shape)
    func run(_ out: UnsafeMutablePointer<T>, _ x: UnsafeMutablePointer<T>, _ sx: Int, _ z: UnsafeMutablePointer<T>, _ sz: Int, _ count: Int) {
      switch op {
      case .add: stridedLoop(count, x, sx, z, sz, out) { $0 + $1 }
      case .sub: stridedLoop(count, x, sx, z, sz, out) { $0 - $1 }
      case .mul: stridedLoop(count, x, sx, z, sz, out) { $0 * $1 }
      default: stridedLoop(count, x, sx, z, sz, out) { $0 / $1 }
      }
    }
    let aStrides = loop.strides[0]
    let bStrides = loop.strides[1]
    let aFull = aStrides == contiguous
    let bFull = bStrides == contiguous
    let aScalar = aStrides.allSatisfy { $0 == 0 }
    let bScalar = bStrides.allSatisfy { $0 == 0 }
    if (aFull || aScalar) && (bFull || bScalar) {
      parallelFor((n + chunk - 1) / chunk, grain: 2) { index in
        let start = index * chunk
        let count = Swift.min(chunk, n - start)
        run(y + start, aScalar ? a : a + start, aScalar ? 0 : 1, bScalar ? b : b + start, bScalar ? 0 : 1, count)
      }
      return
    }
    loop.run { outOffset, offsets, count, inner in
      run(y + outOffset, a + offsets[0], inner[0], b + offsets[1], inner[1], count)
    }
  }

  /// A comparison result (bool) or an arithmetic result (same type).
  enum Computed<T> {
    case value((T, T) -> T)
    case predicate((T, T) -> Bool)
  }

  private static func comparison<T: Comparable>(_ op: Op) -> ((T, T) -> Bool)? {
    switch op {
    case .eq: { $0 == $1 }
    case .ne: { $0 != $1 }
    case .lt: { $0 < $1 }
    case .le: { $0 <= $1 }
    case .gt: { $0 > $1 }
    case .ge: { $0 >= $1 }
    default: nil
    }
  }

  private static func floatOperation<T: KernelFloat>(_ op: Op) throws -> Computed<T> {
    if let predicate: (T, T) -> Bool = comparison(op) { return .predicate(predicate) }
    switch op {
    case .add: return .value { $0 + $1 }
    case .sub: return .value { $0 - $1 }
    case .mul: return .value { $0 * $1 }
    case .div: return .value { $0 / $1 }
    case .pow: return .value { T.pow($0, $1) }
    // NaN propagates, as torch.maximum / torch.minimum do.
    case .maximum: return .value { $0.isNaN || $1.isNaN ? .nan : Swift.max($0, $1) }
    case .minimum: return .value { $0.isNaN || $1.isNaN ? .nan : Swift.min($0, $1) }
    default: throw InterpreterError.unsupported("\(op) on floats")
    }
  }

  private static func integerOperation<T: FixedWidthInteger & SignedInteger>(_ op: Op) throws -> Computed<T> {
    if let predicate: (T, T) -> Bool = comparison(op) { return .predicate(predicate) }
    switch op {
    case .add: return .value { $0 &+ $1 }
    case .sub: return .value { $0 &- $1 }
    case .mul: return .value { $0 &* $1 }
    case .div: return .value { $1 == 0 ? 0 : $0 / $1 }
    case .floorDiv: return .value { $1 == 0 ? 0 : T(floorDivide(Int($0), Int($1))) }
    case .maximum: return .value { Swift.max($0, $1) }
    case .minimum: return .value { Swift.min($0, $1) }
    default: throw InterpreterError.unsupported("\(op) on integers")
    }
  }

  private static func boolOperation(_ op: Op) throws -> Computed<UInt8> {
    switch op {
    case .logicalAnd: return .value { ($0 != 0 && $1 != 0) ? 1 : 0 }
    case .logicalOr: return .value { ($0 != 0 || $1 != 0) ? 1 : 0 }
    case .eq: return .predicate { ($0 != 0) == ($1 != 0) }
    case .ne: return .predicate { ($0 != 0) != ($1 != 0) }
    default: throw InterpreterError.unsupported("\(op) on bool")
    }
  }

  private static func binaryTyped<T>(
    _ op: Op, _ a: UnsafeMutablePointer<T>, _ b: UnsafeMutablePointer<T>, _ y: Tensor, _ loop: StridedLoop, compute: Computed<T>
  ) throws {
    switch compute {
    case .value(let function):
      let out = y.pointer(T.self)
      let n = y.count
      // Same shapes (the common case): contiguous chunks over both cores.
      if loop.strides[0] == loop.strides[1], loop.strides[0] == contiguousStrides(loop.shape) {
        parallelFor((n + chunk - 1) / chunk, grain: 2) { index in
          let start = index * chunk
          for position in start..<Swift.min(start + chunk, n) { out[position] = function(a[position], b[position]) }
        }
        return
      }
      loop.run { outOffset, offsets, count, inner in
        var (ia, ib) = (offsets[0], offsets[1])
        for index in 0..<count {
          out[outOffset + index] = function(a[ia], b[ib])
          ia += inner[0]
          ib += inner[1]
        }
      }
    case .predicate(let function):
      let out = y.pointer(UInt8.self)
      loop.run { outOffset, offsets, count, inner in
        var (ia, ib) = (offsets[0], offsets[1])
        for index in 0..<count {
          out[outOffset + index] = function(a[ia], b[ib]) ? 1 : 0
          ia += inner[0]
          ib += inner[1]
        }
      }
    }
  }

  static func select(_ condition: Tensor, _ onTrue: Tensor, _ onFalse: Tensor, outputShape: [Int]) -> Tensor {
    let y = Tensor(uninitialized: onTrue.dtype, outputShape)
    let loop = StridedLoop(shape: outputShape, strides: [condition, onTrue, onFalse].map { StridedLoop.broadcastStrides($0.shape, to: outputShape) })
    let size = onTrue.dtype.byteSize
    let (c, t, f, out) = (condition.pointer(UInt8.self), onTrue.storage.data, onFalse.storage.data, y.storage.data)
    loop.run { outOffset, offsets, count, inner in
      var (ic, it, iff) = (offsets[0], offsets[1], offsets[2])
      for index in 0..<count {
        let source = c[ic] != 0 ? t + it * size : f + iff * size
        (out + (outOffset + index) * size).copyMemory(from: source, byteCount: size)
        ic += inner[0]
        it += inner[1]
        iff += inner[2]
      }
    }
    return y
  }

  /// Converts between any two dtypes: floats to integers truncate toward zero, to bool is `!= 0`,
  /// to half types rounds to nearest even.
  static func cast(_ x: Tensor, to dtype: DType) -> Tensor {
    if x.dtype == dtype { return x }
    let y = Tensor(uninitialized: dtype, x.shape)
    let n = x.count
    switch dtype {
    case .f32:
      let out = y.pointer(Float.self)
      switch x.dtype {
      case .f64: let input = x.pointer(Double.self); for i in 0..<n { out[i] = Float(input[i]) }
      default: let values = x.floats; for i in 0..<n { out[i] = values[i] }
      }
    case .f64:
      let out = y.pointer(Double.self)
      let values = x.doubles
      for i in 0..<n { out[i] = values[i] }
    case .f16:
      let out = y.pointer(UInt16.self)
      // float64 goes through float32 first, as PyTorch's conversion does (so a value just
      // above a float16 tie can round to the tie and then to even, as it does in PyTorch).
      let values = x.floats
      for i in 0..<n { out[i] = HalfPrecision.floatToF16(values[i]) }
    case .bf16:
      let out = y.pointer(UInt16.self)
      let values = x.floats
      for i in 0..<n { out[i] = HalfPrecision.floatToBF16(values[i]) }
    case .i64:
      let out = y.pointer(Int64.self)
      switch x.dtype {
      case .f64: let input = x.pointer(Double.self); for i in 0..<n { out[i] = saturatingInt64(input[i]) }
      case .f32, .f16, .bf16: let values = x.floats; for i in 0..<n { out[i] = saturatingInt64(Double(values[i])) }
      default: let values = x.int64s; for i in 0..<n { out[i] = values[i] }
      }
    case .i32:
      let out = y.pointer(Int32.self)
      // The i64 tensor must outlive the loop: a pointer alone does not keep its storage, which
      // went back to the pool and was overwritten (found by FoldConstantsKernelTests).
      let wide = cast(x, to: .i64)
      withExtendedLifetime(wide) {
        let values = wide.pointer(Int64.self)
        for i in 0..<n { out[i] = Int32(truncatingIfNeeded: values[i]) }
      }
    case .bool:
      let out = y.pointer(UInt8.self)
      let values = x.doubles
      for i in 0..<n { out[i] = values[i] != 0 ? 1 : 0 }
    }
    return y
  }

  private static func saturatingInt64(_ value: Double) -> Int64 {
    if value.isNaN { return 0 }
    if value >= 9.2e18 { return .max }
    if value <= -9.2e18 { return .min }
    return Int64(value)
  }
}

/// out[i] = f(x[i·sx], z[i·sz]), with the common stride patterns as separate loops so that the
/// compiler vectorises them.
@inline(__always)
func stridedLoop<T>(_ count: Int, _ x: UnsafeMutablePointer<T>, _ sx: Int, _ z: UnsafeMutablePointer<T>, _ sz: Int, _ out: UnsafeMutablePointer<T>, _ f: (T, T) -> T) {
  if sx == 1 && sz == 1 {
    for i in 0..<count { out[i] = f(x[i], z[i]) }
  } else if sx == 1 && sz == 0 {
    let scalar = z[0]
    for i in 0..<count { out[i] = f(x[i], scalar) }
  } else if sx == 0 && sz == 1 {
    let scalar = x[0]
    for i in 0..<count { out[i] = f(scalar, z[i]) }
  } else {
    for i in 0..<count { out[i] = f(x[i * sx], z[i * sz]) }
  }
}
