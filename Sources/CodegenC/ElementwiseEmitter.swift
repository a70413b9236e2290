import IR

/// Where a nest reads a value from outside: a buffer (broadcast by strides) or a literal that
/// is the same everywhere (a filled constant, a `dim_size`).
enum NestOperand {
  case buffer(CTensor)
  case literal(String)
  /// A C local already holding this element's value (a normalisation's output, computed in
  /// the loop the nest's body is emitted into).
  case local(String)
}

/// Elementwise ops: the C expression of each op on scalars, and a fused group of them as one
/// loop nest over its iteration space (contiguous innermost loop, so gcc and clang vectorise it
/// at -O3; broadcast operands read with stride 0).
enum ElementwiseEmitter {
  /// The ops whose result element i reads only element i of each (broadcast) operand.
  static let ops: Set<Op> = [
    .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .geluGrad, .logicalNot,
    .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr,
    .select, .cast,
  ]

  /// Emits `members` (in order, all over `shape`) as one loop nest. Values of `outputs` are
  /// stored to their buffers; the rest stay in registers. `reductions` are summed in the same
  /// nest (``NestReduction``) into their `target` buffers.
  static func emitNest(
    members: [Node], shape: [DimExpr], reads: [ValueID: NestOperand], outputs: [(ValueID, CTensor)],
    reductions: [(reduction: NestReduction, target: CTensor)] = [], _ w: CWriter, _ context: EmitContext
  ) throws {
    // A flat loop when every buffer is read whole or as one repeated element.
    let flat = reads.values.allSatisfy { operand in
      guard case .buffer(let tensor) = operand else { return true }
      return tensor.type.shape == shape || tensor.type.shape.allSatisfy { $0 == 1 }
    }
    let element = NestElement(members: members, shape: shape, reads: reads, outputs: outputs, flat: flat)
    let computed = members.map { "%\(context.name($0.result)) = \($0.op)" }.joined(separator: ", ")
    let summed = reductions.map { "%\(context.name($0.reduction.node.result)) = \($0.reduction.node.op)" }.joined(separator: ", ")
    let parts = [computed, summed.isEmpty ? "" : "summed: " + summed].filter { !$0.isEmpty }
    w.comment("loop nest over [\(shape.map(\.description).joined(separator: ", "))]: " + parts.joined(separator: "; "))
    w.open("")
    if reductions.isEmpty {
      let sizes = shape.map(context.dim)
      try emitLoops(flat ? [CNames.product(sizes)] : sizes, parallel: true, simd: true, w, context) { indices in
        _ = try element.emit(at: indices, w, context)
      }
    } else {
      try NestReduction.emitLoops(element, reductions: reductions, w, context)
    }
    w.close()
  }

  /// Rejects elementwise ops on dtypes the expressions below do not cover.
  static func check(_ node: Node, in graph: Graph) throws {
    _ = try scalar(node, node.operands.map { _ in "x" }, node.operands.map { graph.type(of: $0).dtype }, graph.type(of: node.result).dtype)
  }

  /// The C expression computing one element, as the interpreter's kernels do in the same dtype.
  static func scalar(_ node: Node, _ operands: [String], _ types: [DType], _ result: DType) throws -> String {
    let op = node.op
    if op != .cast, types.contains(where: CNames.isHalf) {
      // As the interpreter: half operands widened to f32, the op computed in f32, a half result
      // rounded back (so a chain of half ops rounds after every op, as it does).
      let wide = zip(operands, types).map { CNames.isHalf($1) ? "\(CNames.widen($1))(\($0))" : $0 }
      let expression = try scalar(node, wide, types.map { CNames.isHalf($0) ? .f32 : $0 }, CNames.isHalf(result) ? .f32 : result)
      return CNames.isHalf(result) ? "\(CNames.narrow(result))(\(expression))" : expression
    }
    let dtype = types.first ?? result
    let isFloat = dtype == .f32 || dtype == .f64
    let isInteger = dtype == .i64 || dtype == .i32
    let suffix = dtype == .f32 ? "f" : ""
    let type = CNames.type(dtype)
    func unsupported() -> CodegenCError {
      .unsupported(op: op, value: "", reason: "\(op) on \(types.map(\.rawValue).joined(separator: ", ")) has no C lowering")
    }
    func constant(_ value: Double) -> String { CNames.literal(value, dtype) }
    let a = operands.first ?? "0"
    let b = operands.count > 1 ? operands[1] : "0"
    switch op {
    case .neg:
      if isFloat { return "(-\(a))" }
      if isInteger { return "(\(type))(0 - (uint64_t)\(a))" }
    case .abs:
      if isFloat { return "fabs\(suffix)(\(a))" }
      if isInteger { return "(\(a) < 0 ? (\(type))(0 - (uint64_t)\(a)) : \(a))" }
    case .relu:
      // NaN passes through, as torch.relu lets it.
      if isFloat { return "((\(a) > 0 || isnan(\(a))) ? \(a) : \(constant(0)))" }
      if isInteger { return "(\(a) > 0 ? \(a) : 0)" }
    case .exp, .log, .tanh, .erf:
      if isFloat { return "\(op.rawValue)\(suffix)(\(a))" }
    case .sqrt: if isFloat { return "sqrt\(suffix)(\(a))" }
    case .rsqrt: if isFloat { return "(\(constant(1)) / sqrt\(suffix)(\(a)))" }
    case .reciprocal: if isFloat { return "(\(constant(1)) / \(a))" }
    case .sigmoid: if isFloat { return "(\(constant(1)) / (\(constant(1)) + exp\(suffix)(-\(a))))" }
    case .gelu:
      // erfc(-x/√2) rather than 1 + erf(x/√2): no cancellation for x < -3 (as the interpreter).
      // f32 uses the prelude's vectorisable asrc_geluf.
      if dtype == .f32 { return "asrc_geluf(\(a))" }
      if isFloat { return "(\(a) * (erfc(-\(a) * \(inverseSqrt2(dtype))) / \(constant(2))))" }
    case .geluGrad:
      // f32 takes the prelude's vectorisable asrc_gelu_gradf: glibc's erff and expf are scalar
      // calls, and gelu_grad over the conv stack was a sixth of a small model's step.
      if dtype == .f32 { return "asrc_gelu_gradf(\(a), \(b))" }
      if isFloat {
        let cdf = "((\(constant(1)) + erf\(suffix)(\(a) * \(inverseSqrt2(dtype)))) / \(constant(2)))"
        let pdf = "(exp\(suffix)(-\(a) * \(a) / \(constant(2))) * \(inverseSqrt2Pi(dtype)))"
        return "(\(b) * (\(cdf) + \(a) * \(pdf)))"
      }
    case .logicalNot: if dtype == .bool { return "(uint8_t)(\(a) == 0)" }
    case .add, .sub, .mul:
      let symbol = op == .add ? "+" : op == .sub ? "-" : "*"
      if isFloat { return "(\(a) \(symbol) \(b))" }
      if isInteger { return "(\(type))((uint64_t)\(a) \(symbol) (uint64_t)\(b))" }
    case .div:
      if isFloat { return "(\(a) / \(b))" }
      if isInteger { return "(\(b) == 0 ? 0 : \(a) / \(b))" }
    case .floorDiv: if isInteger { return "(\(type))asrc_floordiv_or_zero(\(a), \(b))" }
    case .pow: if isFloat { return "pow\(suffix)(\(a), \(b))" }
    case .maximum, .minimum:
      // Swift.max(x, y) is `y >= x ? y : x`, min `y < x ? y : x`; floats propagate NaN.
      let pick = op == .maximum ? "(\(b) >= \(a) ? \(b) : \(a))" : "(\(b) < \(a) ? \(b) : \(a))"
      if isFloat { return "((isnan(\(a)) || isnan(\(b))) ? \(constant(.nan)) : \(pick))" }
      if isInteger { return pick }
    case .eq, .ne, .lt, .le, .gt, .ge:
      let symbol = [Op.eq: "==", .ne: "!=", .lt: "<", .le: "<=", .gt: ">", .ge: ">="][op]!
      if isFloat || isInteger { return "(uint8_t)(\(a) \(symbol) \(b))" }
      if dtype == .bool && (op == .eq || op == .ne) { return "(uint8_t)((\(a) != 0) \(symbol) (\(b) != 0))" }
    case .logicalAnd: if dtype == .bool { return "(uint8_t)(\(a) != 0 && \(b) != 0)" }
    case .logicalOr: if dtype == .bool { return "(uint8_t)(\(a) != 0 || \(b) != 0)" }
    case .select:
      return "(\(a) ? \(b) : \(operands[2]))"
    case .cast:
      return castExpression(a, from: dtype, to: result)
    default: break
    }
    throw unsupported()
  }

  /// Conversions as the interpreter's cast: floats to integers truncate (saturating, NaN to 0),
  /// to i32 through i64, to bool is `!= 0`; f16 and bf16 convert through f32 both ways (f64
  /// and integers round to f32 first, as the interpreter's `floats` do).
  static func castExpression(_ a: String, from source: DType, to target: DType) -> String {
    if source == target { return a }
    if CNames.isHalf(source) { return castExpression("\(CNames.widen(source))(\(a))", from: .f32, to: target) }
    let sourceIsFloat = source == .f32 || source == .f64
    switch target {
    case .f16, .bf16: return "\(CNames.narrow(target))(\(source == .bool ? "(\(a) != 0 ? 1.0f : 0.0f)" : "(float)\(a)"))"
    case .f32: return "(float)\(a)"
    case .f64: return "(double)\(a)"
    case .i64: return sourceIsFloat ? "asrc_saturating_i64((double)\(a))" : "(int64_t)\(a)"
    case .i32:
      let wide = sourceIsFloat ? "asrc_saturating_i64((double)\(a))" : "(int64_t)\(a)"
      return "(int32_t)(uint32_t)(uint64_t)\(wide)"
    case .bool: return "(uint8_t)((double)\(a) != 0)"
    }
  }

  static func inverseSqrt2(_ dtype: DType) -> String {
    dtype == .f32 ? "\(1 / Float(2).squareRoot())f" : "\(1 / Double(2).squareRoot())"
  }

  static func inverseSqrt2Pi(_ dtype: DType) -> String {
    dtype == .f32 ? "\(1 / (2 * Float.pi).squareRoot())f" : "\(1 / (2 * Double.pi).squareRoot())"
  }
}
