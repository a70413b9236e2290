import IR

/// Data movement (transpose, reshape, slice, concat, pad, broadcast_to) and the sources that
/// fill a buffer (constant, iota): strided copies, element by element in the dtype's C type.
enum ShapeEmitter {
  static let ops: Set<Op> = [.transpose, .reshape, .slice, .concat, .pad, .broadcastTo, .constant, .iota]

  static func emit(_ node: Node, operands: [CTensor], result: CTensor, _ w: CWriter, _ context: EmitContext) throws {
    let attributes = node.attributes
    switch node.op {
    case .constant:
      fill(result, with: CNames.literal(try attributes.float("value"), result.type.dtype), w, context)
    case .iota:
      let axis = try attributes.int("axis")
      let sizes = context.dims(result.type)
      let inner = CNames.product(Array(sizes[(axis + 1)...]))
      let index = context.fresh("i")
      w.open("for (int64_t \(index) = 0; \(index) < \(context.count(result.type)); \(index)++)")
      let position = "(double)((\(index) / \(inner)) % \(sizes[axis]))"
      let value = CNames.isHalf(result.type.dtype) ? ElementwiseEmitter.castExpression(position, from: .f64, to: result.type.dtype) : "(\(result.elementType))\(position)"
      w.line("\(result.pointer)[\(index)] = \(value);")
      w.close()
    case .reshape:
      w.line("memmove(\(result.pointer), \(operands[0].pointer), (size_t)\(context.count(result.type)) * sizeof(\(result.elementType)));")
    case .transpose:
      let perm = try attributes.ints("perm")
      let strides = context.strides(operands[0].type)
      gather(operands[0], into: result, strides: perm.map { strides[$0] }, base: nil, w, context)
    case .slice:
      let axis = try attributes.int("axis")
      let step = try attributes.int("step")
      let start = context.dim(try attributes.dims("start")[0])
      var strides = context.strides(operands[0].type)
      let base = "\(start) * \(strides[axis])"
      strides[axis] = "(\(strides[axis]) * \(step))"
      gather(operands[0], into: result, strides: strides, base: base, w, context)
    case .broadcastTo:
      gather(operands[0], into: result, strides: context.broadcastStrides(operands[0].type, to: result.type.shape), base: nil, w, context)
    case .concat:
      let axis = try attributes.int("axis")
      let outer = CNames.product(Array(context.dims(result.type)[..<axis]))
      let rowOut = CNames.product(Array(context.dims(result.type)[axis...]))
      var column = "0"
      for operand in operands {
        let block = CNames.product(Array(context.dims(operand.type)[axis...]))
        let row = context.fresh("r")
        w.open("for (int64_t \(row) = 0; \(row) < \(outer); \(row)++)")
        w.line("memcpy(\(result.pointer) + \(row) * \(rowOut) + \(column), \(operand.pointer) + \(row) * \(block), (size_t)\(block) * sizeof(\(result.elementType)));")
        w.close()
        column = column == "0" ? block : "\(column) + \(block)"
      }
    case .pad:
      let pads = try attributes.ints("pads")
      fill(result, with: CNames.literal(try attributes.float("value"), result.type.dtype), w, context)
      let x = operands[0]
      let outStrides = context.strides(result.type)
      let base = x.type.shape.indices.map { "\(pads[2 * $0]) * \(outStrides[$0])" }.joined(separator: " + ")
      let inStrides = context.strides(x.type)
      emitLoops(context.dims(x.type), parallel: true, w, context) { indices in
        let target = offset(indices, outStrides, base: base.isEmpty ? nil : base)
        w.line("\(result.pointer)[\(target)] = \(x.pointer)[\(offset(indices, inStrides))];")
      }
    default:
      throw CodegenCError.unsupported(op: node.op, value: context.name(node.result), reason: "not a shape op")
    }
  }

  /// Every element of `result` set to one C expression.
  static func fill(_ result: CTensor, with value: String, _ w: CWriter, _ context: EmitContext) {
    let index = context.fresh("i")
    w.line("#pragma omp parallel for if(\(context.count(result.type)) >= ASRC_PARALLEL_MIN)")
    w.open("for (int64_t \(index) = 0; \(index) < \(context.count(result.type)); \(index)++)")
    w.line("\(result.pointer)[\(index)] = \(value);")
    w.close()
  }

  /// result[i…] = x[base + Σ i·stride]: output in row-major order, input by strides.
  static func gather(_ x: CTensor, into result: CTensor, strides: [String], base: String?, _ w: CWriter, _ context: EmitContext) {
    let outStrides = context.strides(result.type)
    emitLoops(context.dims(result.type), parallel: true, w, context) { indices in
      w.line("\(result.pointer)[\(offset(indices, outStrides))] = \(x.pointer)[\(offset(indices, strides, base: base))];")
    }
  }
}
