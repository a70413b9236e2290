// Small checks shared by the type rules.

func fail(_ reason: String) -> TypeRuleError { .invalid(reason) }

func requireFloat(_ type: TensorType, _ role: String) throws(TypeRuleError) {
  guard type.dtype.isFloatingPoint else { throw fail("\(role) must be floating point, found \(type)") }
}

func requireNumeric(_ type: TensorType, _ role: String) throws(TypeRuleError) {
  guard type.dtype != .bool else { throw fail("\(role) must be numeric, found \(type)") }
}

func requireDType(_ type: TensorType, _ dtypes: [DType], _ role: String) throws(TypeRuleError) {
  guard dtypes.contains(type.dtype) else {
    throw fail("\(role) must be \(dtypes.map(\.rawValue).joined(separator: " or ")), found \(type)")
  }
}

func requireRank(_ type: TensorType, _ rank: Int, _ role: String) throws(TypeRuleError) {
  guard type.rank == rank else { throw fail("\(role) must have rank \(rank), found \(type)") }
}

func requireSameDType(_ types: [TensorType]) throws(TypeRuleError) {
  guard let first = types.first else { return }
  for type in types.dropFirst() where type.dtype != first.dtype {
    throw fail("operand dtypes differ: \(first) and \(type)")
  }
}

func requireEqualDims(_ a: DimExpr, _ b: DimExpr, _ what: String) throws(TypeRuleError) {
  guard a == b else { throw fail("\(what): \(a) vs \(b)") }
}

/// Checks that an axis lies in 0..<rank (the IR stores non-negative axes only).
func checkAxis(_ axis: Int, rank: Int, _ name: String = "axis") throws(TypeRuleError) {
  guard axis >= 0 && axis < rank else { throw fail("\(name) \(axis) is out of range for rank \(rank)") }
}

/// NumPy broadcasting over static and symbolic dimensions: equal dimensions match, and a
/// static 1 stretches to the other side.
func broadcastShapes(_ shapes: [[DimExpr]]) throws(TypeRuleError) -> [DimExpr] {
  let rank = shapes.map(\.count).max() ?? 0
  var result = [DimExpr](repeating: 1, count: rank)
  for shape in shapes {
    let offset = rank - shape.count
    for (index, dim) in shape.enumerated() {
      let current = result[offset + index]
      if current == dim || dim == 1 { continue }
      if current == 1 { result[offset + index] = dim; continue }
      throw fail("shapes \(shapes.map { "[" + $0.map(\.description).joined(separator: ", ") + "]" }.joined(separator: " and ")) do not broadcast")
    }
  }
  return result
}

/// Element-count equality for reshapes: static factors must multiply to the same number and
/// the symbolic dimensions must carry over unchanged (as a multiset).
func sameElementCount(_ a: [DimExpr], _ b: [DimExpr]) -> Bool {
  func split(_ shape: [DimExpr]) -> (Int?, [String]) {
    var product: Int? = 1
    var symbolic: [String] = []
    for dim in shape {
      if let value = dim.constantValue {
        if let current = product {
          let (next, overflow) = current.multipliedReportingOverflow(by: value)
          product = overflow ? nil : next
        }
      } else {
        symbolic.append(dim.description)
      }
    }
    return (product, symbolic.sorted())
  }
  let (productA, symbolicA) = split(a)
  let (productB, symbolicB) = split(b)
  return productA != nil && productA == productB && symbolicA == symbolicB
}

func shapeText(_ shape: [DimExpr]) -> String { "[" + shape.map(\.description).joined(separator: ", ") + "]" }
