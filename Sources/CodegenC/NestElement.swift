import IR

/// The body of an elementwise loop nest: one element of every member computed into C locals,
/// operands read from their buffers (broadcast by strides) or as literals, and the values
/// something else reads stored to their buffers.
struct NestElement {
  var members: [Node]
  var shape: [DimExpr]
  var reads: [ValueID: NestOperand]
  var outputs: [(ValueID, CTensor)]
  /// One loop over the whole space (every buffer is read whole or as one repeated element)
  /// rather than one loop per axis.
  var flat: Bool

  /// Emits one element at `indices` (the flat position alone, or one index per axis of
  /// `shape`) and returns the C locals holding the `loading` values, which may be members or
  /// operands read from outside.
  func emit(at indices: [String], loading extra: [ValueID] = [], _ w: CWriter, _ context: EmitContext) throws -> [String] {
    let graph = context.graph
    var locals: [ValueID: String] = [:]
    func read(_ value: ValueID) -> String {
      if let local = locals[value] { return local }
      let expression: String
      switch reads[value] {
      case .literal(let text), .local(let text): expression = text
      case .buffer(let tensor):
        let position: String
        if flat {
          position = tensor.type.shape == shape ? (indices.first ?? "0") : "0"
        } else {
          position = offset(indices, context.broadcastStrides(tensor.type, to: shape))
        }
        expression = "\(tensor.pointer)[\(position)]"
      case nil: expression = "0 /* missing */"
      }
      let local = context.fresh("e")
      w.line("const \(CNames.type(graph.type(of: value).dtype)) \(local) = \(expression);")
      locals[value] = local
      return local
    }
    for member in members {
      let operands = member.operands.map(read)
      let types = member.operands.map { graph.type(of: $0).dtype }
      let resultType = graph.type(of: member.result).dtype
      let local = context.fresh("t")
      let expression = try ElementwiseEmitter.scalar(member, operands, types, resultType)
      w.line("const \(CNames.type(resultType)) \(local) = \(expression); // %\(CNames.commentSafe(context.name(member.result))) = \(member.op)")
      locals[member.result] = local
    }
    // Loaded before the stores: a store may go over a buffer read at the same position.
    let loaded = extra.map(read)
    let position = flat ? (indices.first ?? "0") : offset(indices, context.strides(TensorType(.f32, shape)))
    for (value, tensor) in outputs {
      w.line("\(tensor.pointer)[\(position)] = \(read(value));")
    }
    return loaded
  }
}
