import IR

/// Lowers a list of nodes (a fused region's body, or one top-level node) into the statements
/// of one C function: runs of elementwise ops over one shape become one loop nest whose
/// intermediate values stay in registers, and the sums of that shape's values that follow
/// (over each row's trailing axes, or column sums over the leading ones) are accumulated in the
/// nest (``NestReduction``); every other op is a kernel call on buffers. Values the body yields are written straight into the function's result pointers;
/// other buffers are scratch, allocated where they are defined and freed when the function
/// returns.
final class RegionEmitter {
  private enum Item {
    case nest([Node], shape: [DimExpr], reductions: [NestReduction])
    case kernel(Node)
    /// A softmax with the casts around it (``HalfSoftmax``).
    case halfSoftmax(HalfSoftmax)
    /// A layer_norm or group_norm whose result only the elementwise nest after it reads, that
    /// nest's body computed in the normalisation's own loop (no buffer for the normalised
    /// values unless they are yielded).
    case normalized(Node, epilogue: [Node], shape: [DimExpr])

    /// The nodes whose operands the item reads.
    var readers: [Node] {
      switch self {
      case .nest(let members, _, let reductions): members + reductions.map(\.node)
      case .kernel(let node): [node]
      case .halfSoftmax(let fused): fused.nodes
      case .normalized(let node, let epilogue, _): [node] + epilogue
      }
    }

    /// The values the item defines.
    var results: [ValueID] { readers.flatMap(\.results) }
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
    CTensor(pointer: scratchBuffer(CNames.type(type.dtype), count: context.count(type), note: note), type: type)
  }

  /// A scratch array of `count` (a C expression) elements of the C type `elementType`, freed
  /// when the function returns; its pointer's name.
  func scratchBuffer(_ elementType: String, count: String, note: String) -> String {
    let name = context.fresh("t")
    scratch.append((name, elementType))
    w.line("\(name) = (\(elementType) *)asrc_alloc(\(count) * (int64_t)sizeof(\(elementType))); // \(CNames.commentSafe(note))")
    w.line("if (!\(name)) { status = asrc_fail(ctx, \"out of memory\"); goto done; }")
    return name
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
    // 2. Items, in order: a nest grows while ops share its shape (and do not read what it
    // sums), and takes the sums over its shape that follow it. Such a sum with no nest before
    // it starts one of its own (rows shared among threads, where the reduction kernel runs on
    // one thread).
    var items: [Item] = []
    for node in nodes where literals[node.result] == nil {
      if node.region == nil, ElementwiseEmitter.ops.contains(node.op) {
        let shape = graph.type(of: node.result).shape
        if case .nest(let members, let current, let reductions)? = items.last, current == shape,
          !node.operands.contains(where: { operand in reductions.contains { $0.node.result == operand } })
        {
          items[items.count - 1] = .nest(members + [node], shape: shape, reductions: reductions)
          continue
        }
        items.append(.nest([node], shape: shape, reductions: []))
      } else if case .nest(let members, let shape, let reductions)? = items.last,
        let reduction = NestReduction(node, nestShape: shape, in: graph), reductions.allSatisfy({ $0.split == reduction.split })
      {
        items[items.count - 1] = .nest(members, shape: shape, reductions: reductions + [reduction])
      } else if let operand = node.operands.first, literals[operand] == nil,
        let reduction = NestReduction(node, nestShape: graph.type(of: operand).shape, in: graph)
      {
        items.append(.nest([], shape: graph.type(of: operand).shape, reductions: [reduction]))
      } else {
        items.append(.kernel(node))
      }
    }
    items = Self.fusingHalfSoftmax(items, yields: Set(yields), graph: graph)
    items = Self.fusingNormalizationEpilogues(items, graph: graph)
    // Cheap values a later nest of the same shape reads are computed again there.
    let nests = items.enumerated().compactMap { index, item -> (index: Int, members: [Node], readers: [Node], shape: [DimExpr])? in
      guard case .nest(let members, let shape, _) = item else { return nil }
      return (index, members, item.readers, shape)
    }
    let clones = NestRecomputation.plan(nests: nests, readersOf: Self.readers(of: items), yields: Set(yields))
    for (index, repeated) in clones {
      guard case .nest(let members, let shape, let reductions) = items[index] else { continue }
      items[index] = .nest(repeated + members, shape: shape, reductions: reductions)
    }
    // 3. Which values need memory: read by another item (or any kernel), or yielded. A value
    // belongs to the item that first computes it (a nest may compute it again).
    var itemOf: [ValueID: Int] = [:]
    for (index, item) in items.enumerated() { for result in item.results where itemOf[result] == nil { itemOf[result] = index } }
    let readersOf = Self.readers(of: items)
    var needsBuffer = Set(yields)
    for item in items {
      switch item {
      case .nest(let members, _, _):
        let inside = Set(members.map(\.result))
        for reader in item.readers { for operand in reader.operands where itemOf[operand] != nil && !inside.contains(operand) { needsBuffer.insert(operand) } }
      case .kernel(let node):
        for operand in node.operands { needsBuffer.insert(operand) }
      case .halfSoftmax(let fused):
        needsBuffer.insert(fused.input)
      case .normalized(let node, let epilogue, _):
        for operand in node.operands { needsBuffer.insert(operand) }
        let inside = Set(epilogue.map(\.result) + [node.result])
        for member in epilogue { for operand in member.operands where itemOf[operand] != nil && !inside.contains(operand) { needsBuffer.insert(operand) } }
      }
    }
    // Each yielded value is written to the first result it yields as.
    var resultFor: [ValueID: CTensor] = [:]
    for (value, result) in zip(yields, results) where resultFor[value] == nil && arguments[value] == nil { resultFor[value] = result }
    // A kernel's result that only the nest right after it reads is written into the buffer of
    // a value of its type that nest stores: each element is read before its own is written
    // (the memory plan's in-place rule), so the kernel needs no scratch of its own (a group
    // norm or a contraction feeding its epilogue).
    var hostOf: [ValueID: ValueID] = [:]
    var hosts: Set<ValueID> = []
    for (index, item) in items.enumerated() {
      guard case .kernel(let node) = item, node.op != .reshape, node.region == nil, node.results.count == 1, resultFor[node.result] == nil,
        readersOf[node.result] == [index + 1], case .nest(let members, let shape, _) = items[index + 1],
        graph.type(of: node.result).shape == shape
      else { continue }
      let type = graph.type(of: node.result)
      if let host = members.first(where: { needsBuffer.contains($0.result) && !hosts.contains($0.result) && graph.type(of: $0.result) == type }) {
        hostOf[node.result] = host.result
        hosts.insert(host.result)
      }
    }

    func allocate(_ value: ValueID) -> CTensor {
      if let existing = buffers[value] { return existing }
      if let host = hostOf[value] {
        let tensor = CTensor(pointer: allocate(host).pointer, type: graph.type(of: value))
        buffers[value] = tensor
        return tensor
      }
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
      case .nest(let members, let shape, let reductions):
        var reads: [ValueID: NestOperand] = [:]
        let inside = Set(members.map(\.result))
        for reader in members + reductions.map(\.node) {
          for operand in reader.operands where !inside.contains(operand) {
            if let literal = literals[operand], buffers[operand] == nil {
              reads[operand] = .literal(literal)
            } else {
              reads[operand] = .buffer(buffer(operand))
            }
          }
        }
        var outputs: [(ValueID, CTensor)] = []
        for member in members where needsBuffer.contains(member.result) { outputs.append((member.result, allocate(member.result))) }
        var targets: [(reduction: NestReduction, target: CTensor)] = []
        var finishing: [(reduction: NestReduction, partial: CTensor, result: CTensor)] = []
        for reduction in reductions {
          let result = allocate(reduction.node.result)
          if reduction.sumsColumns {
            let sums = scratchBuffer("double", count: reduction.chunkSumsCount(context), note: "column sums per chunk of rows of %" + context.name(reduction.node.result))
            // f64 sums, one set of columns per chunk of rows: no IR type describes them.
            let partial = CTensor(pointer: sums, type: TensorType(.f64, [DimExpr]()))
            targets.append((reduction, partial))
            finishing.append((reduction, partial, result))
          } else if let type = reduction.partialType(in: graph) {
            let partial = scratchTensor(type, note: "per-row sums of %" + context.name(reduction.node.result))
            targets.append((reduction, partial))
            finishing.append((reduction, partial, result))
          } else {
            targets.append((reduction, result))
          }
        }
        try ElementwiseEmitter.emitNest(members: members, shape: shape, reads: reads, outputs: outputs, reductions: targets, w, context)
        for (reduction, partial, result) in finishing { reduction.finish(partial: partial, result: result, w, context) }
      case .normalized(let node, let epilogue, let shape):
        let operands = node.operands.map(buffer)
        var reads: [ValueID: NestOperand] = [:]
        let inside = Set(epilogue.map(\.result))
        for member in epilogue {
          for operand in member.operands where !inside.contains(operand) && operand != node.result {
            reads[operand] = literals[operand].flatMap { buffers[operand] == nil ? NestOperand.literal($0) : nil } ?? .buffer(buffer(operand))
          }
        }
        var outputs: [(ValueID, CTensor)] = []
        for member in epilogue where needsBuffer.contains(member.result) { outputs.append((member.result, allocate(member.result))) }
        // A normalised value the function yields (the backward's saved activation) is stored too.
        if needsBuffer.contains(node.result) { outputs.append((node.result, allocate(node.result))) }
        w.comment(context.describe(node))
        w.comment("and in its loop: " + epilogue.map { "%\(context.name($0.result)) = \($0.op)" }.joined(separator: ", "))
        try NormalizationEmitter.emit(
          node, operands: operands, result: CTensor(pointer: "NULL", type: graph.type(of: node.result)), w, context
        ) { [w, context] value, position in
          var element = NestElement(members: epilogue, shape: shape, reads: reads, outputs: outputs, flat: true)
          element.reads[node.result] = .local(value)
          _ = try element.emit(at: [position], w, context)
        }
      case .halfSoftmax(let fused):
        let (x, y) = (buffer(fused.input), allocate(fused.output))
        for node in fused.nodes { w.comment(context.describe(node)) }
        try fused.emit(x: x, y: y, w, context)
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

extension RegionEmitter {
  /// Items with each softmax kernel merged with a lone widening cast before it and a lone
  /// narrowing cast after it, where nothing else reads the values between them.
  private static func fusingHalfSoftmax(_ items: [Item], yields: Set<ValueID>, graph: Graph) -> [Item] {
    let readersOf = readers(of: items)
    var fused: [Item] = []
    var index = 0
    while index < items.count {
      guard case .kernel(let softmax) = items[index], softmax.op == .softmax, softmax.region == nil, softmax.results.count == 1 else {
        fused.append(items[index])
        index += 1
        continue
      }
      var widening: Node?
      if case .nest(let members, _, let reductions)? = fused.last, members.count == 1, reductions.isEmpty,
        HalfSoftmax.isCast(members[0], widens: true, in: graph), members[0].result == softmax.operands[0],
        readersOf[members[0].result] == [index], !yields.contains(members[0].result)
      {
        widening = members[0]
      }
      var narrowing: Node?
      if index + 1 < items.count, case .nest(let members, _, let reductions) = items[index + 1], members.count == 1, reductions.isEmpty,
        HalfSoftmax.isCast(members[0], widens: false, in: graph), members[0].operands == [softmax.result],
        readersOf[softmax.result] == [index + 1], !yields.contains(softmax.result)
      {
        narrowing = members[0]
      }
      guard widening != nil || narrowing != nil else {
        fused.append(items[index])
        index += 1
        continue
      }
      if widening != nil { fused.removeLast() }
      fused.append(.halfSoftmax(HalfSoftmax(widening: widening, softmax: softmax, narrowing: narrowing)))
      index += narrowing != nil ? 2 : 1
    }
    return fused
  }

  /// Items with each layer_norm or group_norm kernel merged with the elementwise nest right
  /// after it, where only that nest reads the normalised values (the function may yield them
  /// too) and every other operand of the nest is read whole or as one element.
  private static func fusingNormalizationEpilogues(_ items: [Item], graph: Graph) -> [Item] {
    let readersOf = readers(of: items)
    var fused: [Item] = []
    var index = 0
    while index < items.count {
      // A half-precision norm runs widened (HalfWidening): only f32 and f64 norms loop here.
      guard case .kernel(let node) = items[index], node.op == .layerNorm || node.op == .groupNorm, node.region == nil, node.results.count == 1,
        !HalfWidening.applies(to: node, graph), index + 1 < items.count, case .nest(let members, let shape, let reductions) = items[index + 1], reductions.isEmpty,
        graph.type(of: node.result).shape == shape, readersOf[node.result] == [index + 1]
      else {
        fused.append(items[index])
        index += 1
        continue
      }
      let inside = Set(members.map(\.result) + [node.result])
      let flat = members.allSatisfy { member in
        member.operands.allSatisfy { operand in
          inside.contains(operand) || graph.type(of: operand).shape == shape || graph.type(of: operand).shape.allSatisfy { $0.constantValue == 1 }
        }
      }
      guard flat else {
        fused.append(items[index])
        index += 1
        continue
      }
      fused.append(.normalized(node, epilogue: members, shape: shape))
      index += 2
    }
    return fused
  }

  /// The items reading each value.
  private static func readers(of items: [Item]) -> [ValueID: Set<Int>] {
    var readers: [ValueID: Set<Int>] = [:]
    for (index, item) in items.enumerated() {
      for reader in item.readers { for operand in reader.operands { readers[operand, default: []].insert(index) } }
    }
    return readers
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
