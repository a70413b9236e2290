import IR

/// A tensor as generated code sees it: a C pointer expression and the IR type.
struct CTensor {
  var pointer: String
  var type: TensorType
  var elementType: String { CNames.type(type.dtype) }
}

/// What every emitter shares: the graph (for names and types), the symbol table and fresh
/// local names.
final class EmitContext {
  let graph: Graph
  /// Symbol name → index in the step function's `sizes` argument.
  let symbols: [String: Int]
  private var counter = 0

  init(graph: Graph, symbols: [String: Int]) {
    self.graph = graph
    self.symbols = symbols
  }

  /// A fresh C identifier with a readable stem.
  func fresh(_ stem: String) -> String {
    counter += 1
    return "\(stem)\(counter)"
  }

  func dim(_ expression: DimExpr) -> String { CNames.dim(expression, symbols: symbols) }

  func dims(_ type: TensorType) -> [String] { type.shape.map(dim) }

  func count(_ type: TensorType) -> String { CNames.product(dims(type)) }

  /// Row-major strides of a shape as C expressions.
  func strides(_ type: TensorType) -> [String] {
    let sizes = dims(type)
    return sizes.indices.map { CNames.product(Array(sizes[($0 + 1)...])) }
  }

  /// Strides of `type` read as broadcast to `shape` ("0" on prepended and stretched axes), as
  /// the interpreter's `StridedLoop.broadcastStrides`: a static 1 stretches.
  func broadcastStrides(_ type: TensorType, to shape: [DimExpr]) -> [String] {
    let own = strides(type)
    let offset = shape.count - type.rank
    return shape.indices.map { axis in
      if axis < offset { return "0" }
      let dim = type.shape[axis - offset]
      if dim == 1 && shape[axis] != 1 { return "0" }
      return own[axis - offset]
    }
  }

  /// `%name = op(%a, %b) {attributes} : type` on one line, for comments.
  func describe(_ node: Node) -> String {
    Printer.print(node, in: graph).split(separator: "\n").first.map(String.init) ?? node.op.rawValue
  }

  func name(_ value: ValueID) -> String { graph.name(of: value) }
}

/// Nested `for` loops over a shape: `body` gets the index variables and writes the innermost
/// statements. A rank-0 shape runs the body once.
///
/// `parallel` (for bodies whose iterations write disjoint elements and do not jump out) shares
/// the loops among OpenMP threads when the nest covers at least `ASRC_PARALLEL_MIN` elements:
/// a single loop in contiguous chunks, else the outer loops, the innermost staying whole in one
/// thread for the vectoriser. Each element is computed as on one thread, so results do not
/// depend on the thread count.
///
/// `simd` (for bodies whose element i reads only element i of any operand it may overwrite, as
/// elementwise nests do) vectorises the innermost loop without gcc's run-time overlap test,
/// which fails when the memory plan lets the result overwrite an operand in place and would
/// leave such a loop scalar.
func emitLoops(
  _ sizes: [String], parallel: Bool = false, simd: Bool = false, _ w: CWriter, _ context: EmitContext, body: ([String]) throws -> Void
) rethrows {
  let vector = simd ? " simd" : ""
  if parallel, !sizes.isEmpty {
    let collapse = sizes.count > 2 ? " collapse(\(sizes.count - 1))" : ""
    w.line("#pragma omp parallel for\(sizes.count == 1 ? vector : "")\(collapse) if(\(CNames.product(sizes)) >= ASRC_PARALLEL_MIN)")
  }
  var indices: [String] = []
  for (axis, size) in sizes.enumerated() {
    let index = context.fresh("i")
    if simd, axis == sizes.count - 1, !(parallel && sizes.count == 1) { w.line("#pragma omp simd") }
    w.open("for (int64_t \(index) = 0; \(index) < \(size); \(index)++)")
    indices.append(index)
  }
  try body(indices)
  for _ in sizes { w.close() }
}

/// Σ index·stride as a C expression ("0" when empty); zero strides drop out.
func offset(_ indices: [String], _ strides: [String], base: String? = nil) -> String {
  var terms: [String] = base.map { [$0] } ?? []
  for (index, stride) in zip(indices, strides) where stride != "0" {
    terms.append(stride == "INT64_C(1)" ? index : "\(index) * \(stride)")
  }
  return terms.isEmpty ? "0" : terms.joined(separator: " + ")
}
