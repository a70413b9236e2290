import IR

/// A reduce_sum or reduce_mean summed inside the loop nest that computes its operand, so the
/// operand is never stored: a group norm's dγ = Σ dy·x̂ over batch and time, a layer norm's
/// dγ over batch and frames, the statistics of a norm's backward.
///
/// The nest's axes before `split` are its rows, shared among threads; the axes from `split` on
/// are each row's block. A sum over rows' blocks (`sumsColumns` false: the last axis reduced)
/// adds up each row's trailing block in f64 while the nest computes it and stores the row's
/// sum rounded to the dtype; reduced axes before the block (batch, in a group norm's dγ) are
/// summed afterwards over those per-row sums by the reduction kernel. That is the interpreter's
/// order, block by block with a rounding in between; the block itself is summed in vector lanes
/// (`omp simd reduction`, as the norms' statistics are). A column sum (`sumsColumns`: the
/// leading axes before `split` reduced, the rest kept) adds each row into f64 sums per chunk of
/// ``rowsPerChunk`` rows, and the chunks are added in order after the nest. Either way the
/// result is the interpreter's within the rounding of an f64 sum, the same on every run and
/// thread count (chunks do not depend on the threads).
struct NestReduction {
  let node: Node
  /// The first axis of each row's block; the axes before it are the rows.
  let split: Int
  /// True for a sum over the rows (the leading axes), per column of the block.
  let sumsColumns: Bool
  /// Reduced axes before the trailing block of a row sum, summed over the per-row sums after
  /// the nest.
  let remainingAxes: [Int]

  /// Rows one thread adds into one set of column sums.
  static let rowsPerChunk = 64

  /// `node` summed inside a nest over `shape`, or nil when it cannot be: not a float sum or
  /// mean of a value of that shape, neither the last axis nor exactly the leading axes reduced,
  /// or rows made of the leading axis alone (a batch of one would run the nest on one thread).
  init?(_ node: Node, nestShape shape: [DimExpr], in graph: Graph) {
    guard node.op == .reduceSum || node.op == .reduceMean, node.region == nil, node.results.count == 1,
      let operand = node.operands.first, case .ints(let axes)? = node.attributes["axes"]
    else { return nil }
    let type = graph.type(of: operand)
    guard type.shape == shape, type.dtype == .f32 || type.dtype == .f64, graph.type(of: node.result).dtype == type.dtype else { return nil }
    let reduced = Set(axes).sorted()
    let rank = shape.count
    if reduced.last == rank - 1 {
      var split = rank - 1
      while split > 0, reduced.contains(split - 1) { split -= 1 }
      self.split = split
      sumsColumns = false
      remainingAxes = reduced.filter { $0 < split }
    } else if reduced == Array(0..<reduced.count) {
      split = reduced.count
      sumsColumns = true
      remainingAxes = []
    } else {
      return nil
    }
    guard split >= 2 else { return nil }
    self.node = node
  }

  /// The value summed.
  var operand: ValueID { node.operands[0] }

  /// The per-row sums of a row sum with reduced axes before its block: the operand's type
  /// with the block kept as 1; nil when the sums are the result itself.
  func partialType(in graph: Graph) -> TensorType? {
    guard !sumsColumns, !remainingAxes.isEmpty else { return nil }
    let type = graph.type(of: operand)
    return TensorType(type.dtype, type.shape.indices.map { $0 < split ? type.shape[$0] : DimExpr(1) })
  }

  /// The number of f64 column sums a column sum accumulates into: one set per chunk of rows.
  func chunkSumsCount(_ context: EmitContext) -> String {
    let sizes = context.dims(context.graph.type(of: operand))
    return "(\(Self.chunkCount(Array(sizes[..<split]))) * \(CNames.product(Array(sizes[split...]))))"
  }

  /// Finishes the sum into `result` after the nest: the reduced axes before the trailing block
  /// over the per-row sums, or the chunks' column sums in order.
  func finish(partial: CTensor, result: CTensor, _ w: CWriter, _ context: EmitContext) {
    guard sumsColumns else {
      ReductionEmitter.floatBlocks(node.op, partial, axes: remainingAxes, result: result, w, context)
      return
    }
    let sizes = context.dims(context.graph.type(of: operand))
    let rows = CNames.product(Array(sizes[..<split]))
    let mean = node.op == .reduceMean ? " / (double)\(rows)" : ""
    w.open("")
    w.line("const int64_t chunks = \(Self.chunkCount(Array(sizes[..<split]))), columns = \(CNames.product(Array(sizes[split...])));")
    w.line("#pragma omp parallel for if(chunks * columns >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t c = 0; c < columns; c++)")
    w.line("double sum = 0.0;")
    w.line("for (int64_t k = 0; k < chunks; k++) sum += \(partial.pointer)[k * columns + c];")
    w.line("\(result.pointer)[c] = (\(result.elementType))(sum\(mean));")
    w.close()
    w.close()
  }

  private static func chunkCount(_ rows: [String]) -> String {
    "((\(CNames.product(rows)) + \(rowsPerChunk - 1)) / \(rowsPerChunk))"
  }
}
