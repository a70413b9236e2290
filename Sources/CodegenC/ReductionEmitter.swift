import IR

/// reduce_sum, reduce_mean, reduce_max and argmax, as the interpreter computes them: floats
/// one contiguous block of axes at a time (last block first) with f64 accumulators and each
/// block's result rounded to the dtype; integers in one pass with wrapping i64 sums.
enum ReductionEmitter {
  static let ops: Set<Op> = [.reduceSum, .reduceMean, .reduceMax, .argmax]

  static func emit(_ node: Node, operands: [CTensor], result: CTensor, _ w: CWriter, _ context: EmitContext) throws {
    let x = operands[0]
    if node.op == .argmax {
      try argmax(x, axis: try node.attributes.int("axis"), result: result, w, context)
      return
    }
    let axes = try node.attributes.ints("axes")
    switch x.type.dtype {
    case .f32, .f64: floatBlocks(node.op, x, axes: axes, result: result, w, context)
    case .i64, .i32: integer(node.op, x, axes: axes, result: result, w, context)
    default:
      throw CodegenCError.unsupported(op: node.op, value: context.name(node.result), reason: "\(node.op) on \(x.type.dtype)")
    }
  }

  /// Float sum, mean or max over `axes`, one contiguous block at a time (last first).
  static func floatBlocks(_ op: Op, _ x: CTensor, axes: [Int], result: CTensor, _ w: CWriter, _ context: EmitContext) {
    // The blocks of consecutive axes, last first (the interpreter's order).
    var blocks: [ClosedRange<Int>] = []
    for axis in axes.sorted() {
      if let last = blocks.last, last.upperBound == axis - 1 { blocks[blocks.count - 1] = last.lowerBound...axis } else { blocks.append(axis...axis) }
    }
    blocks.reverse()
    var sizes = context.dims(x.type)
    var source = x.pointer
    let type = x.elementType
    w.open("")
    for (position, block) in blocks.enumerated() {
      let outer = CNames.product(Array(sizes[..<block.lowerBound]))
      let reduced = CNames.product(Array(sizes[block]))
      let inner = CNames.product(Array(sizes[(block.upperBound + 1)...]))
      for axis in block { sizes[axis] = "INT64_C(1)" }
      let isLast = position == blocks.count - 1
      let target = isLast ? result.pointer : context.fresh("partial")
      if !isLast {
        w.line("\(type) *\(target) = (\(type) *)asrc_alloc(\(CNames.product(sizes)) * (int64_t)sizeof(\(type)));")
        w.line("if (!\(target)) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
      }
      let accumulator = context.fresh("acc")
      w.comment("axes \(block.lowerBound)...\(block.upperBound): [outer, reduced, inner] = [\(outer), \(reduced), \(inner)]")
      w.open("")
      w.line("const int64_t outer = \(outer), reduced = \(reduced), inner = \(inner);")
      w.line("double *\(accumulator) = (double *)asrc_alloc(inner * (int64_t)sizeof(double));")
      w.line("if (!\(accumulator)) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
      w.open("for (int64_t o = 0; o < outer; o++)")
      w.line("for (int64_t i = 0; i < inner; i++) \(accumulator)[i] = \(op == .reduceMax ? "-INFINITY" : "0.0");")
      w.open("for (int64_t r = 0; r < reduced; r++)")
      w.line("const \(type) *row = \(source) + (o * reduced + r) * inner;")
      if op == .reduceMax {
        w.line("for (int64_t i = 0; i < inner; i++) if ((double)row[i] > \(accumulator)[i] || isnan(row[i])) \(accumulator)[i] = (double)row[i];")
      } else {
        w.line("for (int64_t i = 0; i < inner; i++) \(accumulator)[i] += (double)row[i];")
      }
      w.close()
      let divisor = op == .reduceMean ? "(double)reduced" : "1.0"
      w.line("for (int64_t i = 0; i < inner; i++) \(target)[o * inner + i] = (\(type))(\(accumulator)[i] / \(divisor));")
      w.close()
      w.line("free(\(accumulator));")
      w.close()
      if position > 0 { w.line("free(\(source));") }
      source = target
    }
    w.close()
  }

  private static func integer(_ op: Op, _ x: CTensor, axes: [Int], result: CTensor, _ w: CWriter, _ context: EmitContext) {
    let sizes = context.dims(x.type)
    var kept = sizes
    for axis in axes { kept[axis] = "INT64_C(1)" }
    let keptStrides = kept.indices.map { axes.contains($0) ? "0" : CNames.product(Array(kept[($0 + 1)...])) }
    let outCount = CNames.product(kept)
    let reducedCount = CNames.product(axes.map { sizes[$0] })
    let accumulator = context.fresh("acc")
    w.open("")
    w.line("int64_t *\(accumulator) = (int64_t *)asrc_alloc(\(outCount) * (int64_t)sizeof(int64_t));")
    w.line("if (!\(accumulator)) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    w.line("for (int64_t i = 0; i < \(outCount); i++) \(accumulator)[i] = \(op == .reduceMax ? "INT64_MIN" : "0");")
    let inStrides = context.strides(x.type)
    emitLoops(sizes, w, context) { indices in
      let target = "\(accumulator)[\(offset(indices, keptStrides))]"
      let value = "(int64_t)\(x.pointer)[\(offset(indices, inStrides))]"
      if op == .reduceMax {
        w.line("if (\(value) > \(target)) \(target) = \(value);")
      } else {
        w.line("\(target) = (int64_t)((uint64_t)\(target) + (uint64_t)\(value));")
      }
    }
    if op == .reduceMean {
      w.line("for (int64_t i = 0; i < \(outCount); i++) \(accumulator)[i] /= (\(reducedCount) > 0 ? \(reducedCount) : 1);")
    }
    let store = x.type.dtype == .i32 ? "(int32_t)(uint32_t)(uint64_t)" : ""
    w.line("for (int64_t i = 0; i < \(outCount); i++) \(result.pointer)[i] = \(store)\(accumulator)[i];")
    w.line("free(\(accumulator));")
    w.close()
  }

  private static func argmax(_ x: CTensor, axis: Int, result: CTensor, _ w: CWriter, _ context: EmitContext) throws {
    let sizes = context.dims(x.type)
    let outer = CNames.product(Array(sizes[..<axis]))
    let inner = CNames.product(Array(sizes[(axis + 1)...]))
    w.open("")
    w.line("const int64_t outer = \(outer), extent = \(sizes[axis]), inner = \(inner);")
    w.open("for (int64_t o = 0; o < outer; o++)")
    w.open("for (int64_t i = 0; i < inner; i++)")
    w.line("int64_t best = 0;")
    w.line("double best_value = -INFINITY;")
    w.open("for (int64_t e = 0; e < extent; e++)")
    w.line("const double value = (double)\(x.pointer)[(o * extent + e) * inner + i];")
    w.line("if (value > best_value || (isnan(value) && !isnan(best_value))) { best_value = value; best = e; }")
    w.close()
    w.line("\(result.pointer)[o * inner + i] = best;")
    w.close()
    w.close()
    w.close()
  }
}
