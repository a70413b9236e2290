import IR

/// A softmax between the casts mixed precision puts around it, as one kernel.
///
/// In a bf16 graph attention's scores come out of a bf16 matmul, so the softmax region reads
///
///     %s = cast(%scores.bf16) {to = f32}
///     %p = softmax(%s) {axis = 3}
///     %p.bf16 = cast(%p) {to = bf16}
///
/// Lowered op by op that is three passes over [B, heads, T, T] and two f32 buffers of that size
/// (page-faulted on every call). Here each row is widened as it is read, its exponentials kept
/// in a per-thread f32 row, and the quotients rounded as they are written: the same operations
/// in the same order as the three kernels, so the same bits. Either cast may be missing (the
/// training graph keeps the f32 probabilities for the backward); the fusion applies only where
/// nothing else reads the value between the casts and the softmax.
struct HalfSoftmax {
  /// The widening cast feeding the softmax, if fused.
  let widening: Node?
  let softmax: Node
  /// The narrowing cast of the softmax's result, if fused.
  let narrowing: Node?

  var nodes: [Node] { [widening, softmax, narrowing].compactMap { $0 } }
  /// The value the kernel reads and the value it writes.
  var input: ValueID { widening?.operands[0] ?? softmax.operands[0] }
  var output: ValueID { narrowing?.result ?? softmax.result }

  /// Whether `node` is a cast from a half dtype to f32 (`widens`) or from f32 to a half dtype.
  static func isCast(_ node: Node, widens: Bool, in graph: Graph) -> Bool {
    guard node.op == .cast, node.region == nil, node.operands.count == 1 else { return false }
    let (from, to) = (graph.type(of: node.operands[0]).dtype, graph.type(of: node.result).dtype)
    return widens ? (CNames.isHalf(from) && to == .f32) : (from == .f32 && CNames.isHalf(to))
  }

  /// Emits the kernel reading `x` (half or f32) and writing `y` (half or f32).
  func emit(x: CTensor, y: CTensor, _ w: CWriter, _ context: EmitContext) throws {
    let axis = try softmax.attributes.int("axis")
    let sizes = context.dims(context.graph.type(of: softmax.operands[0]))
    let read = { (index: String) in CNames.isHalf(x.type.dtype) ? "\(CNames.widen(x.type.dtype))(\(x.pointer)[\(index)])" : "\(x.pointer)[\(index)]" }
    let write = { (index: String, value: String) in
      CNames.isHalf(y.type.dtype) ? "\(y.pointer)[\(index)] = \(CNames.narrow(y.type.dtype))(\(value));" : "\(y.pointer)[\(index)] = \(value);"
    }
    let at = "base + e * inner"
    w.open("")
    w.line("const int64_t outer = \(CNames.product(Array(sizes[..<axis]))), extent = \(sizes[axis]), inner = \(CNames.product(Array(sizes[(axis + 1)...])));")
    w.line("int failure = 0;")
    w.line("#pragma omp parallel if(outer * extent * inner >= ASRC_PARALLEL_MIN)")
    w.open("")
    w.comment("one f32 row of exponentials per thread")
    w.line("float *row = (float *)asrc_alloc(extent * (int64_t)sizeof(float));")
    w.line("if (!row) {")
    w.line("  #pragma omp atomic write")
    w.line("  failure = 1;")
    w.line("}")
    w.line("#pragma omp for")
    w.open("for (int64_t item = 0; item < outer * inner; item++)")
    w.line("if (!row) continue;")
    w.line("const int64_t o = item / inner, i = item % inner, base = o * extent * inner + i;")
    w.line("float maximum = -INFINITY;")
    w.line("#pragma omp simd reduction(max:maximum)")
    w.line("for (int64_t e = 0; e < extent; e++) { const float v = \(read(at)); maximum = v >= maximum ? v : maximum; }")
    w.line("if (!isfinite(maximum)) maximum = 0;")
    w.line("#pragma omp simd")
    w.line("for (int64_t e = 0; e < extent; e++) row[e] = asrc_expf(\(read(at)) - maximum);")
    w.line("float sum = 0;")
    w.line("#pragma omp simd reduction(+:sum)")
    w.line("for (int64_t e = 0; e < extent; e++) sum += row[e];")
    w.line("#pragma omp simd")
    w.line("for (int64_t e = 0; e < extent; e++) \(write(at, "row[e] / sum"))")
    w.close()
    w.line("free(row);")
    w.close()
    w.line("if (failure) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    w.close()
  }
}
