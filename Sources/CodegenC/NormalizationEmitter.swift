import IR

/// layer_norm, group_norm, softmax and log_softmax as the interpreter computes them: norm
/// statistics two-pass in f64, the normalised value rounded to the dtype before the affine
/// step; softmax's sum in the dtype. Rows (groups, softmax lines) are shared among OpenMP
/// threads, each row summed by one thread; the sums run in vector lanes (`omp simd
/// reduction`: a fixed order, so the same result on every run and thread count, within
/// rounding of the interpreter's sequential order).
enum NormalizationEmitter {
  static let ops: Set<Op> = [.layerNorm, .groupNorm, .softmax, .logSoftmax]

  /// Writes the result, or with `epilogue` (layer_norm and group_norm) hands each normalised
  /// element to it instead: the C local holding the value and its flat position, for the
  /// elementwise nest that reads the result to be computed in the same loop.
  static func emit(
    _ node: Node, operands: [CTensor], result: CTensor, _ w: CWriter, _ context: EmitContext, epilogue: ((_ value: String, _ position: String) throws -> Void)? = nil
  ) throws {
    let x = operands[0]
    let type = x.elementType
    let y = result.pointer
    /// The innermost loop over a row: `value` is the element at `position`.
    func normalizeLoop(_ header: String, position: String, value: String) throws {
      guard let epilogue else {
        w.line("\(header) \(y)[\(position)] = \(value);")
        return
      }
      w.line("#pragma omp simd")
      w.open(header)
      let local = context.fresh("normalized")
      w.line("const \(type) \(local) = \(value);")
      try epilogue(local, position)
      w.close()
    }
    switch node.op {
    case .layerNorm:
      let sizes = context.dims(x.type)
      let width = sizes.last ?? "INT64_C(1)"
      let (gamma, beta) = (operands[1].pointer, operands[2].pointer)
      w.open("")
      w.line("const int64_t width = \(width), rows = \(CNames.product(Array(sizes.dropLast())));")
      w.line("const double eps = \(CNames.literal(try node.attributes.float("eps"), .f64));")
      w.line("#pragma omp parallel for if(rows * width >= ASRC_PARALLEL_MIN)")
      w.open("for (int64_t row = 0; row < rows; row++)")
      w.line("const \(type) *in = \(x.pointer) + row * width;")
      if epilogue == nil { w.line("\(type) *out = \(y) + row * width;") }
      w.line("double sum = 0.0;")
      w.line("#pragma omp simd reduction(+:sum)")
      w.line("for (int64_t i = 0; i < width; i++) sum += (double)in[i];")
      w.line("const double mean = sum / (double)width;")
      w.line("double squares = 0.0;")
      w.line("#pragma omp simd reduction(+:squares)")
      w.line("for (int64_t i = 0; i < width; i++) { const double centered = (double)in[i] - mean; squares += centered * centered; }")
      w.line("const double scale = 1.0 / sqrt(squares / (double)width + eps);")
      if epilogue == nil {
        w.line("for (int64_t i = 0; i < width; i++) out[i] = (\(type))(((double)in[i] - mean) * scale) * \(gamma)[i] + \(beta)[i];")
      } else {
        try normalizeLoop(
          "for (int64_t i = 0; i < width; i++)", position: "row * width + i", value: "(\(type))(((double)in[i] - mean) * scale) * \(gamma)[i] + \(beta)[i]")
      }
      w.close()
      w.close()
    case .groupNorm:
      let sizes = context.dims(x.type)
      let groups = try node.attributes.int("groups")
      let (gamma, beta) = (operands[1].pointer, operands[2].pointer)
      w.open("")
      w.line("const int64_t batch = \(sizes[0]), channels = \(sizes[1]), length = \(sizes[2]), groups = \(groups);")
      w.line("const int64_t per_group = channels / groups;")
      w.line("const double eps = \(CNames.literal(try node.attributes.float("eps"), .f64));")
      w.line("#pragma omp parallel for if(batch * channels * length >= ASRC_PARALLEL_MIN)")
      w.open("for (int64_t item = 0; item < batch * groups; item++)")
      w.line("const int64_t n = item / groups, g = item % groups;")
      w.line("const int64_t base = (n * channels + g * per_group) * length, count = per_group * length;")
      w.line("const double divisor = (double)(count > 1 ? count : 1);")
      w.line("double sum = 0.0;")
      w.line("#pragma omp simd reduction(+:sum)")
      w.line("for (int64_t i = 0; i < count; i++) sum += (double)\(x.pointer)[base + i];")
      w.line("const double mean = sum / divisor;")
      w.line("double squares = 0.0;")
      w.line("#pragma omp simd reduction(+:squares)")
      w.line("for (int64_t i = 0; i < count; i++) { const double centered = (double)\(x.pointer)[base + i] - mean; squares += centered * centered; }")
      w.line("const double scale = 1.0 / sqrt(squares / divisor + eps);")
      w.open("for (int64_t c = 0; c < per_group; c++)")
      w.line("const int64_t channel = g * per_group + c, row = base + c * length;")
      w.line("const \(type) weight = \(gamma)[channel], bias = \(beta)[channel];")
      try normalizeLoop("for (int64_t t = 0; t < length; t++)", position: "row + t", value: "(\(type))(((double)\(x.pointer)[row + t] - mean) * scale) * weight + bias")
      w.close()
      w.close()
      w.close()
    case .softmax, .logSoftmax:
      let axis = try node.attributes.int("axis")
      let sizes = context.dims(x.type)
      let suffix = x.type.dtype == .f32 ? "f" : ""
      w.open("")
      w.line("const int64_t outer = \(CNames.product(Array(sizes[..<axis]))), extent = \(sizes[axis]), inner = \(CNames.product(Array(sizes[(axis + 1)...])));")
      w.line("#pragma omp parallel for if(outer * extent * inner >= ASRC_PARALLEL_MIN)")
      w.open("for (int64_t item = 0; item < outer * inner; item++)")
      w.line("const int64_t o = item / inner, i = item % inner, base = o * extent * inner + i;")
      w.line("\(type) maximum = -INFINITY;")
      // Swift.max(maximum, v) is `v >= maximum ? v : maximum`. A maximum is exact in any
      // order, so it runs in vector lanes (a NaN makes every output NaN either way).
      w.line("#pragma omp simd reduction(max:maximum)")
      w.line("for (int64_t e = 0; e < extent; e++) { const \(type) v = \(x.pointer)[base + e * inner]; maximum = v >= maximum ? v : maximum; }")
      w.line("if (!isfinite(maximum)) maximum = 0;")
      w.line("\(type) sum = 0;")
      if node.op == .logSoftmax {
        w.line("for (int64_t e = 0; e < extent; e++) sum += exp\(suffix)(\(x.pointer)[base + e * inner] - maximum);")
        w.line("const \(type) log_sum = log\(suffix)(sum) + maximum;")
        w.line("for (int64_t e = 0; e < extent; e++) \(y)[base + e * inner] = \(x.pointer)[base + e * inner] - log_sum;")
      } else {
        // The exponentials first (a loop without a sum vectorises), then the sum in order.
        let exp = x.type.dtype == .f32 ? "asrc_expf" : "exp"
        // Each lane's element is read before it is written, so `omp simd` holds in place too.
        w.line("#pragma omp simd")
        w.line("for (int64_t e = 0; e < extent; e++) \(y)[base + e * inner] = \(exp)(\(x.pointer)[base + e * inner] - maximum);")
        w.line("#pragma omp simd reduction(+:sum)")
        w.line("for (int64_t e = 0; e < extent; e++) sum += \(y)[base + e * inner];")
        w.line("#pragma omp simd")
        w.line("for (int64_t e = 0; e < extent; e++) \(y)[base + e * inner] /= sum;")
      }
      w.close()
      w.close()
    default:
      throw CodegenCError.unsupported(op: node.op, value: context.name(node.result), reason: "not a normalisation")
    }
  }
}
