/// The type of an IR value: an element type and a shape whose dimensions may be symbolic.
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
  public var dtype: DType
  public var shape: [DimExpr]

  public init(_ dtype: DType, _ shape: [DimExpr]) {
    self.dtype = dtype
    self.shape = shape
  }

  public var rank: Int { shape.count }

  /// The element count when every dimension is static (nil also when it overflows).
  public var staticElementCount: Int? {
    var count = 1
    for dim in shape {
      guard let value = dim.constantValue else { return nil }
      let (product, overflow) = count.multipliedReportingOverflow(by: value)
      if overflow { return nil }
      count = product
    }
    return count
  }

  public var isStatic: Bool { shape.allSatisfy(\.isStatic) }

  public var symbols: Set<String> { shape.reduce(into: []) { $0.formUnion($1.symbols) } }

  public func with(dtype: DType) -> TensorType { TensorType(dtype, shape) }
  public func with(shape: [DimExpr]) -> TensorType { TensorType(dtype, shape) }

  public var description: String {
    "\(dtype)[\(shape.map(\.description).joined(separator: ", "))]"
  }
}
