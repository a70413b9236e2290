import IR

/// Kernels with no half version (norms, softmax, reductions, argmax, dropout, CTC) on f16 or
/// bf16 values, run as the interpreter runs every op on them: half operands widened into f32
/// scratch, the f32 kernel, the result rounded back to its half dtype. Elementwise ops do the
/// same per element inside their loop nests; data movement copies the bits; matmul, linear and
/// the convolutions have half GEMMs of their own (`ContractionEmitter`).
enum HalfWidening {
  static func applies(to node: Node, _ graph: Graph) -> Bool {
    guard !ContractionEmitter.ops.contains(node.op), !ShapeEmitter.ops.contains(node.op) else { return false }
    return (node.operands + node.results).contains { CNames.isHalf(graph.type(of: $0).dtype) }
  }

  static func emit(
    _ node: Node, operands: [CTensor], result: CTensor, scratch: (TensorType, String) -> CTensor, _ w: CWriter, _ context: EmitContext
  ) throws {
    let wideOperands = operands.map { operand -> CTensor in
      guard CNames.isHalf(operand.type.dtype) else { return operand }
      let wide = scratch(TensorType(.f32, operand.type.shape), "f32 copy of a \(operand.type.dtype) operand")
      convert(operand, into: wide, with: CNames.widen(operand.type.dtype), w, context)
      return wide
    }
    let half = CNames.isHalf(result.type.dtype)
    let wideResult = half ? scratch(TensorType(.f32, result.type.shape), "f32 result, rounded to \(result.type.dtype) below") : result
    try KernelEmitter.emit(node, operands: wideOperands, result: wideResult, scratch: scratch, w, context)
    if half { convert(wideResult, into: result, with: CNames.narrow(result.type.dtype), w, context) }
  }

  /// `into[i] = function(from[i])` over every element, on every thread when there are many
  /// (a convolution's bf16 result over the conv stack is tens of millions of elements).
  static func convert(_ from: CTensor, into: CTensor, with function: String, _ w: CWriter, _ context: EmitContext) {
    let index = context.fresh("i")
    let count = context.count(from.type)
    w.line("#pragma omp parallel for simd if((\(count)) >= ASRC_PARALLEL_MIN)")
    w.line("for (int64_t \(index) = 0; \(index) < \(count); \(index)++) \(into.pointer)[\(index)] = \(function)(\(from.pointer)[\(index)]);")
  }
}
