import IR

/// The loops of a nest that sums as it runs.
extension NestReduction {
  /// Emits the nest of `element` with its `reductions` (all with one split) summed into their
  /// `target`s: per-row sums (or the result) for row sums, per-chunk f64 column sums for column
  /// sums.
  static func emitLoops(
    _ element: NestElement, reductions: [(reduction: NestReduction, target: CTensor)], _ w: CWriter, _ context: EmitContext
  ) throws {
    let split = reductions[0].reduction.split
    let sizes = element.shape.map(context.dim)
    let rowSums = reductions.filter { !$0.reduction.sumsColumns }
    let columnSums = reductions.filter(\.reduction.sumsColumns)
    let block = Array(sizes[split...])
    let innerSizes = element.flat ? [CNames.product(block)] : block
    let accumulators = rowSums.map { _ in context.fresh("acc") }
    // One row: its accumulators, the block's loops with the body, the row's sums stored at `row`.
    func emitRow(outer: [String], row: String, columns: [String]) throws {
      if !accumulators.isEmpty { w.line("double " + accumulators.map { "\($0) = 0.0" }.joined(separator: ", ") + ";") }
      var inner: [String] = []
      for (axis, size) in innerSizes.enumerated() {
        let index = context.fresh("i")
        if axis == innerSizes.count - 1 {
          w.line(accumulators.isEmpty ? "#pragma omp simd" : "#pragma omp simd reduction(+:\(accumulators.joined(separator: ", ")))")
        }
        w.open("for (int64_t \(index) = 0; \(index) < \(size); \(index)++)")
        inner.append(index)
      }
      let indices = element.flat ? ["(\(row) * \(innerSizes[0]) + \(inner[0]))"] : outer + inner
      let locals = try element.emit(at: indices, loading: rowSums.map(\.reduction.operand) + columnSums.map(\.reduction.operand), w, context)
      for (accumulator, local) in zip(accumulators, locals) { w.line("\(accumulator) += (double)\(local);") }
      let column = element.flat ? inner[0] : offset(inner, context.strides(TensorType(.f64, Array(element.shape[split...]))))
      for (sums, local) in zip(columns, locals.dropFirst(rowSums.count)) { w.line("\(sums)[\(column)] += (double)\(local);") }
      for _ in inner { w.close() }
      for ((reduction, target), accumulator) in zip(rowSums, accumulators) {
        let mean = reduction.node.op == .reduceMean ? " / (double)\(CNames.product(block))" : ""
        w.line("\(target.pointer)[\(row)] = (\(target.elementType))(\(accumulator)\(mean));")
      }
    }

    if columnSums.isEmpty {
      // Rows in parallel, as an elementwise nest's outer loops.
      let outerSizes = element.flat ? [CNames.product(Array(sizes[..<split]))] : Array(sizes[..<split])
      let collapse = outerSizes.count > 1 ? " collapse(\(outerSizes.count))" : ""
      w.line("#pragma omp parallel for\(collapse) if(\(CNames.product(sizes)) >= ASRC_PARALLEL_MIN)")
      var outer: [String] = []
      for size in outerSizes {
        let index = context.fresh("i")
        w.open("for (int64_t \(index) = 0; \(index) < \(size); \(index)++)")
        outer.append(index)
      }
      let row = element.flat ? outer[0] : offset(outer, context.strides(TensorType(.f64, Array(element.shape[..<split]))))
      try emitRow(outer: outer, row: row, columns: [])
      for _ in outer { w.close() }
      return
    }

    // Chunks of rows in parallel, each adding its rows into its own column sums.
    let rowSizes = Array(sizes[..<split])
    let (rows, chunk, row) = (context.fresh("rows"), context.fresh("chunk"), context.fresh("row"))
    w.line("const int64_t \(rows) = \(CNames.product(rowSizes));")
    w.line("#pragma omp parallel for if(\(CNames.product(sizes)) >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t \(chunk) = 0; \(chunk) < (\(rows) + \(rowsPerChunk - 1)) / \(rowsPerChunk); \(chunk)++)")
    let columnCount = CNames.product(block)
    var columns: [String] = []
    for (_, target) in columnSums {
      let sums = context.fresh("columns")
      w.line("double *\(sums) = \(target.pointer) + \(chunk) * \(columnCount);")
      w.line("for (int64_t c = 0; c < \(columnCount); c++) \(sums)[c] = 0.0;")
      columns.append(sums)
    }
    w.open("for (int64_t \(row) = \(chunk) * \(rowsPerChunk); \(row) < \(rows) && \(row) < (\(chunk) + 1) * \(rowsPerChunk); \(row)++)")
    var outer: [String] = []
    if !element.flat {
      // The row's index on each leading axis.
      for axis in rowSizes.indices {
        let index = context.fresh("i")
        let stride = CNames.product(Array(rowSizes[(axis + 1)...]))
        w.line("const int64_t \(index) = (\(row) / \(stride)) % \(rowSizes[axis]);")
        outer.append(index)
      }
    }
    try emitRow(outer: outer, row: row, columns: columns)
    w.close()
    w.close()
  }
}
