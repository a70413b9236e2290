import IR

/// Lowers a list of nodes (a fused region's body, or one top-level node) into the statements
/// of one C function: runs of elementwise ops over one shape become one loop nest whose
/// intermediate values stay in registers; every other op is a kernel call on buffers. Values
/// the body yields are written straight into the function's result pointers; other buffers
/// are scratch, allocated where they are defined and freed when the function returns.
final class RegionEmitter {
  private enum Item {
    case nest([Node], shape: [DimExpr])
    case kernel(Node)
  }

  private let context: EmitContext
  private let w: CWriter
  /// Scratch pointers, declared at the top of the function (so `goto done` may skip their
  /// definitions) and freed at `done`.
  private(set) var scratch: [(name: String, type: String)] = []

  init(context: EmitContext, writer: CWriter) {
    self.context = context
    self.w = writer
  }

  /// A scratch buffer of `type`, freed when the function returns.
  func scratchTensor(_ type: TensorType, note: String) -> CTensor {
    let name = context.fresh("t")
    let elementType = CNames.type(type.dtype)
    scratch.append((name, elementType))
    w.line("\(name) = (\(elementType) *)asrc_alloc(\(context.count(type)) * (int64_t)sizeof(\(elementType))); // \(CNames.commentSafe(note))")
    w.line("if (!\(name)) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    return CTensor(pointer: name, type: type)
  }

  /// Emits `nodes`, reading `arguments` and writing the yielded values into `results`.
  func lower(_ nodes: [Node], arguments: [ValueID: CTensor], yields: [ValueID], results: [CTensor]) throws {
    let graph = context.graph
    var literals: [ValueID: String] = [:]
    var buffers = arguments
    // 1. Literals: filled constants and run-time sizes read the same everywhere.
    for node in nodes {
      switch node.op {
      case .constant:
        literals[node.result] = CNames.literal(try node.attributes.float("value"), graph.type(of: node.result).dtype)
      case .dimSize:
        let dim = graph.type(of: node.operands[0]).shape[try node.attributes.int("axis")]
        literals[node.result] = "((int64_t)\(context.dim(dim)))"
      default: break
      }
    }
    // 2. Items, in order: a nest grows while ops share its shape.
    var items: [Item] = []
    for node in nodes where literals[node.result] == nil {
      if node.region == nil, ElementwiseEmitter.ops.contains(node.op) {
        let shape = graph.type(of: node.result).shape
        if case .nest(let members, let current)? = items.last, current == shape {
          items[items.count - 1] = .nest(members + [node], shape: shape)
          continue
        }
        items.append(.nest([node], shape: shape))
      } else {
        items.append(.kernel(node))
      }
    }
    // 3. Which values need memory: read by another item, or yielded.
    var itemOf: [ValueID: Int] = [:]
    for (index, item) in items.enumerated() {
      switch item {
      case .nest(let members, _): for member in members { itemOf[member.result] = index }
      case .kernel(let node): for result in node.results { itemOf[result] = index }
      }
    }
    var needsBuffer = Set(yields)
    for (index, item) in items.enumerated() {
      switch item {
      case .nest(let members, _):
        for member in members { for operand in member.operands where itemOf[operand] != nil && itemOf[operand] != index { needsBuffer.insert(operand) } }
      case .kernel(let node):
        for operand in node.operands { needsBuffer.insert(operand) }
      }
    }
    // Each yielded value is written to the first result it yields as.
    var resultFor: [ValueID: CTensor] = [:]
    for (value, result) in zip(yields, results) where resultFor[value] == nil && arguments[value] == nil { resultFor[value] = result }

    func allocate(_ value: ValueID) -> CTensor {
      if let result = resultFor[value] {
        buffers[value] = result
        return result
      }
      let tensor = scratchTensor(graph.type(of: value), note: "%" + context.name(value))
      buffers[value] = tensor
      return tensor
    }

    /// The buffer of an operand; a literal read by a kernel is filled into memory first.
    func buffer(_ value: ValueID) -> CTensor {
      if let tensor = buffers[value] { return tensor }
      let tensor = allocate(value)
      ShapeEmitter.fill(tensor, with: literals[value] ?? "0", w, context)
      return tensor
    }

    // 4. Emit.
    for item in items {
      switch item {
      case .nest(let members, let shape):
        var reads: [ValueID: NestOperand] = [:]
        let inside = Set(members.map(\.result))
        for member in members {
          for operand in member.operands where !inside.contains(operand) {
            if let literal = literals[operand], buffers[operand] == nil {
              reads[operand] = .literal(literal)
            } else {
              reads[operand] = .buffer(buffer(operand))
            }
          }
        }
        var outputs: [(ValueID, CTensor)] = []
        for member in members where needsBuffer.contains(member.result) { outputs.append((member.result, allocate(member.result))) }
        try ElementwiseEmitter.emitNest(members: members, shape: shape, reads: reads, outputs: outputs, w, context)
      case .kernel(let node):
        let operands = node.operands.map(buffer)
        if nodes.count > 1 { w.comment(context.describe(node)) }
        if node.op == .reshape, resultFor[node.result] == nil {
          // A view: the same memory under another shape.
          let type = graph.type(of: node.result)
          let name = context.fresh("view")
          w.line("\(CNames.type(type.dtype)) *\(name) = \(operands[0].pointer);")
          buffers[node.result] = CTensor(pointer: name, type: type)
          continue
        }
        if let region = node.region {
          // A region nested in a body: lowered in place, in its own block.
          let results = node.results.map(allocate)
          w.open("")
          let inner = RegionEmitter(context: context, writer: w)
          try inner.lower(
            region.nodes, arguments: Dictionary(zip(region.arguments, operands), uniquingKeysWith: { first, _ in first }),
            yields: region.yields, results: results)
          scratch += inner.scratch
          w.close()
          continue
        }
        let result = allocate(node.result)
        w.open("")
        if HalfWidening.applies(to: node, graph) {
          try HalfWidening.emit(node, operands: operands, result: result, scratch: scratchTensor, w, context)
        } else {
          try KernelEmitter.emit(node, operands: operands, result: result, scratch: scratchTensor, w, context)
        }
        w.close()
      }
    }
    // 5. Yields not written in place: arguments, literals, and values yielded twice.
    for (value, result) in zip(yields, results) {
      let source = buffer(value)
      if source.pointer != result.pointer {
        w.line("memmove(\(result.pointer), \(source.pointer), (size_t)\(context.count(result.type)) * sizeof(\(result.elementType)));")
      }
    }
  }
}

/// The kernel of one op on buffers, by family.
enum KernelEmitter {
  /// `scratch` gives buffers freed when the function returns (the half GEMMs' f32 sums).
  static func emit(
    _ node: Node, operands: [CTensor], result: CTensor, scratch: (TensorType, String) -> CTensor, _ w: CWriter, _ context: EmitContext
  ) throws {
    let op = node.op
    if ContractionEmitter.ops.contains(op) { return try ContractionEmitter.emit(node, operands: operands, result: result, scratch: scratch, w, context) }
    if NormalizationEmitter.ops.contains(op) { return try NormalizationEmitter.emit(node, operands: operands, result: result, w, context) }
    if ReductionEmitter.ops.contains(op) { return try ReductionEmitter.emit(node, operands: operands, result: result, w, context) }
    if ShapeEmitter.ops.contains(op) { return try ShapeEmitter.emit(node, operands: operands, result: result, w, context) }
    if LossEmitter.ops.contains(op) { return try LossEmitter.emit(node, operands: operands, result: result, w, context) }
    throw CodegenCError.unsupported(op: op, value: context.name(node.result), reason: "no C kernel for this op")
  }
}
