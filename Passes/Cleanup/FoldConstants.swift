import IR

/// Computes at compile time what depends only on constants, and shortens integer length
/// arithmetic on run-time sizes.
///
///     before                                           after
///     %c = constant() {dtype = f32, shape = [],        %c = constant() {…, value = 2.0} : f32[]
///            value = 2.0} : f32[]                      %h = constant() {dtype = f32,
///     %h = mul(%c, %c) : f32[]                                shape = [4], value = 4.0} : f32[4]
///     %b = broadcast_to(%h) {shape = [4]} : f32[4]     …
///
///     %n = dim_size(%x) {axis = 1} : i64[]             %n = dim_size(%x) {axis = 1} : i64[]
///     %1 = sub(%n, 10) ; %2 = floor_div(%1, 5)         %0 = sub(%n, 400)
///     %3 = add(%2, 1) ; … six more layers …            %1 = floor_div(%0, 320)
///     %44 = add(%42, 1) : i64[]                        %44 = add(%1, 1) : i64[]
///
/// A `constant` is one value filled to a shape, so an elementwise op of constants is one
/// scalar operation (`ScalarValue`, in the dtype exactly as the interpreter's kernel), and a
/// reshape, transpose, broadcast or slice of a constant is the same value in another shape.
/// The folded result is again a `constant`: one line whatever its size. `dim_size` of a static
/// dimension is its number. The old nodes are left for `dce`.
public let foldConstants = Pass(
  name: "fold-constants",
  summary: "compute what depends only on constants; shorten integer length arithmetic",
  details: """
    A `constant` is one value filled to a shape, so an elementwise op whose operands are all \
    constants is one scalar operation, done in the value's dtype exactly as the interpreter's \
    kernel does it (f32 in single precision, integers wrapping, casts as the cast kernel), and \
    a reshape, transpose, broadcast or slice of a constant is the same value in another shape. \
    The result is again a `constant`, so the IR stays one line per value whatever the size. \
    `dim_size` of a static dimension becomes its number. Sizes that depend on a symbol (`S`) \
    cannot become numbers, but the length arithmetic on them can shrink: chains of `add`, \
    `sub`, `mul` by a constant, `neg` and `floor_div` by a positive constant on `i64` values are \
    put in the canonical affine form of `DimExpr` (floor divisions merged exactly: \
    ⌊(⌊x/a⌋ + c)/b⌋ = ⌊(x + c·a)/(a·b)⌋ for integers) and re-emitted when that takes fewer ops, \
    so the seven-layer feature-encoder length formula becomes `(S - 400) / 320 + 1`. Half \
    types are not folded; dead nodes are left for `dce`.
    """,
  examples: [
    PassExample(
      "Constant arithmetic and a broadcast of it",
      before: """
        graph @g {
          input %x: f32[4]
          %c = constant() {dtype = f32, shape = [], value = 3.0} : f32[]
          %d = constant() {dtype = f32, shape = [], value = 0.5} : f32[]
          %e = mul(%c, %d) : f32[]
          %f = broadcast_to(%e) {shape = [4]} : f32[4]
          %y = add(%x, %f) : f32[4]
          output y = %y
        }
        """,
      after: """
        graph @g {
          input %x: f32[4]
          %c = constant() {dtype = f32, shape = [], value = 3.0} : f32[]
          %d = constant() {dtype = f32, shape = [], value = 0.5} : f32[]
          %e = constant() {dtype = f32, shape = [], value = 1.5} : f32[]
          %f = constant() {dtype = f32, shape = [4], value = 1.5} : f32[4]
          %y = add(%x, %f) : f32[4]
          output y = %y
        }

        """),
    PassExample(
      "Two convolutions' length formula on a symbolic size: ⌊(⌊(n - 10) / 5⌋ + 1 - 3) / 2⌋ + 1 = ⌊n / 10⌋ - 1",
      before: """
        graph @g {
          input %x: f32[B, S]
          %n = dim_size(%x) {axis = 1} : i64[]
          %k0 = constant() {dtype = i64, shape = [], value = 10.0} : i64[]
          %s0 = constant() {dtype = i64, shape = [], value = 5.0} : i64[]
          %k1 = constant() {dtype = i64, shape = [], value = 3.0} : i64[]
          %s1 = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
          %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
          %a = sub(%n, %k0) : i64[]
          %b = floor_div(%a, %s0) : i64[]
          %c = add(%b, %one) : i64[]
          %d = sub(%c, %k1) : i64[]
          %e = floor_div(%d, %s1) : i64[]
          %frames = add(%e, %one) : i64[]
          output frames = %frames
        }
        """,
      after: """
        graph @g {
          input %x: f32[B, S]
          %n = dim_size(%x) {axis = 1} : i64[]
          %k0 = constant() {dtype = i64, shape = [], value = 10.0} : i64[]
          %s0 = constant() {dtype = i64, shape = [], value = 5.0} : i64[]
          %k1 = constant() {dtype = i64, shape = [], value = 3.0} : i64[]
          %s1 = constant() {dtype = i64, shape = [], value = 2.0} : i64[]
          %one = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
          %a = sub(%n, %k0) : i64[]
          %b = floor_div(%a, %s0) : i64[]
          %c = add(%b, %one) : i64[]
          %d = sub(%c, %k1) : i64[]
          %e = floor_div(%d, %s1) : i64[]
          %0 = constant() {dtype = i64, shape = [], value = 10.0} : i64[]
          %1 = floor_div(%n, %0) : i64[]
          %2 = constant() {dtype = i64, shape = [], value = 1.0} : i64[]
          %frames = sub(%1, %2) : i64[]
          output frames = %frames
        }

        """),
  ]
) { graph in
  var result = graph
  foldFilledConstants(&result)
  try shortenIntegerChains(&result)
  return result
}

/// Replaces every top-level node whose value follows from constants by a `constant`.
private func foldFilledConstants(_ graph: inout Graph) {
  var elements: [ValueID: ScalarValue] = [:]
  for index in graph.nodes.indices {
    let node = graph.nodes[index]
    guard node.region == nil else { continue }
    if let element = node.constantElement {
      elements[node.result] = element
      continue
    }
    let type = graph.type(of: node.result)
    guard let element = foldedElement(node, operandType: { graph.type(of: $0) }, element: { elements[$0] }),
      element.dtype == type.dtype, let value = element.attributeValue
    else { continue }
    graph.nodes[index] = .constant(node.result, type, value: value)
    elements[node.result] = element
  }
}

/// The element `node` fills its result with, when its operands are constants (or, for
/// `dim_size`, when the dimension is static).
private func foldedElement(
  _ node: Node, operandType: (ValueID) -> TensorType, element: (ValueID) -> ScalarValue?
) -> ScalarValue? {
  switch node.op {
  case .dimSize:
    guard case .int(let axis)? = node.attributes["axis"], let size = operandType(node.operands[0]).shape[axis].constantValue else {
      return nil
    }
    return .i64(Int64(size))
  case .neg, .abs, .exp, .log, .sqrt, .rsqrt, .tanh, .erf, .gelu, .sigmoid, .relu, .reciprocal, .logicalNot:
    return element(node.operands[0])?.unary(node.op)
  case .add, .sub, .mul, .div, .pow, .maximum, .minimum, .floorDiv, .eq, .ne, .lt, .le, .gt, .ge, .logicalAnd, .logicalOr:
    guard let a = element(node.operands[0]), let b = element(node.operands[1]) else { return nil }
    return a.binary(node.op, b)
  case .select:
    guard case .bool(let condition)? = element(node.operands[0]), let onTrue = element(node.operands[1]),
      let onFalse = element(node.operands[2])
    else { return nil }
    return condition ? onTrue : onFalse
  case .cast:
    guard case .dtype(let target)? = node.attributes["to"] else { return nil }
    return element(node.operands[0])?.cast(to: target)
  case .reshape, .transpose, .broadcastTo, .slice:
    return element(node.operands[0])
  case .geluGrad, .constant, .iota, .matmul, .linear, .conv1d, .linearWeightGrad, .conv1dInputGrad, .conv1dWeightGrad,
    .groupNorm, .layerNorm, .softmax, .logSoftmax, .concat, .pad, .reduceSum, .reduceMean, .reduceMax, .argmax,
    .dropoutMask, .ctcLoss, .ctcLossGrad, .fused:
    return nil
  }
}
