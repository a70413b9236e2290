/// Element types of IR tensors.
public enum DType: String, CaseIterable, Hashable, Sendable, CustomStringConvertible {
  case f32, f16, bf16, f64, i64, i32, bool

  public var description: String { rawValue }

  public var isFloatingPoint: Bool {
    switch self {
    case .f32, .f16, .bf16, .f64: true
    case .i64, .i32, .bool: false
    }
  }

  public var isInteger: Bool { self == .i64 || self == .i32 }

  /// Storage size of one element in bytes.
  public var byteSize: Int {
    switch self {
    case .f64, .i64: 8
    case .f32, .i32: 4
    case .f16, .bf16: 2
    case .bool: 1
    }
  }
}
