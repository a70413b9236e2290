import IR

/// A dense, row-major host tensor: a dtype, a static shape and its bytes.
///
/// Tensors are values with reference-counted storage: kernels always write into fresh
/// storage, so sharing storage between copies is safe.
public struct Tensor: @unchecked Sendable {
  public let dtype: DType
  public let shape: [Int]
  public let storage: TensorStorage

  public var count: Int { shape.reduce(1, *) }
  public var rank: Int { shape.count }
  public var byteCount: Int { count * dtype.byteSize }

  /// Uninitialised storage for a result.
  public init(uninitialized dtype: DType, _ shape: [Int]) {
    self.dtype = dtype
    self.shape = shape
    storage = TensorStorage(byteCount: shape.reduce(1, *) * dtype.byteSize)
  }

  public init(dtype: DType, shape: [Int], storage: TensorStorage) {
    precondition(storage.byteCount >= shape.reduce(1, *) * dtype.byteSize, "storage too small for shape")
    self.dtype = dtype
    self.shape = shape
    self.storage = storage
  }

  public init(_ values: [Float], shape: [Int]) {
    self.init(uninitialized: .f32, shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { storage.data.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
  }

  public init(_ values: [Double], shape: [Int]) {
    self.init(uninitialized: .f64, shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { storage.data.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
  }

  public init(_ values: [Int64], shape: [Int]) {
    self.init(uninitialized: .i64, shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    values.withUnsafeBufferPointer { storage.data.copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
  }

  public init(_ values: [Bool], shape: [Int]) {
    self.init(uninitialized: .bool, shape)
    precondition(values.count == count, "\(values.count) values for shape \(shape)")
    let bytes = storage.data.assumingMemoryBound(to: UInt8.self)
    for (index, value) in values.enumerated() { bytes[index] = value ? 1 : 0 }
  }

  /// A scalar (rank 0).
  public static func scalar(_ value: Float) -> Tensor { Tensor([value], shape: []) }
  public static func scalar(_ value: Int64) -> Tensor { Tensor([value], shape: []) }

  /// A tensor of zeros.
  public static func zeros(_ dtype: DType, _ shape: [Int]) -> Tensor {
    let tensor = Tensor(uninitialized: dtype, shape)
    tensor.storage.data.initializeMemory(as: UInt8.self, repeating: 0, count: tensor.byteCount)
    return tensor
  }

  /// Typed pointer to the elements (the caller picks the Swift type matching dtype).
  public func pointer<T>(_: T.Type) -> UnsafeMutablePointer<T> { storage.data.assumingMemoryBound(to: T.self) }

  /// The same elements with another shape of equal count (no copy).
  public func reshaped(_ newShape: [Int]) -> Tensor {
    precondition(newShape.reduce(1, *) == count, "reshape \(shape) to \(newShape)")
    return Tensor(dtype: dtype, shape: newShape, storage: storage)
  }

  /// Elements converted to Float (any dtype).
  public var floats: [Float] {
    switch dtype {
    case .f32: return Array(UnsafeBufferPointer(start: pointer(Float.self), count: count))
    case .f64: return UnsafeBufferPointer(start: pointer(Double.self), count: count).map { Float($0) }
    case .i64: return UnsafeBufferPointer(start: pointer(Int64.self), count: count).map { Float($0) }
    case .i32: return UnsafeBufferPointer(start: pointer(Int32.self), count: count).map { Float($0) }
    case .bool: return UnsafeBufferPointer(start: pointer(UInt8.self), count: count).map { $0 != 0 ? 1 : 0 }
    case .f16: return UnsafeBufferPointer(start: pointer(UInt16.self), count: count).map(HalfPrecision.f16ToFloat)
    case .bf16: return UnsafeBufferPointer(start: pointer(UInt16.self), count: count).map(HalfPrecision.bf16ToFloat)
    }
  }

  /// Elements converted to Double (any dtype).
  public var doubles: [Double] {
    dtype == .f64 ? Array(UnsafeBufferPointer(start: pointer(Double.self), count: count)) : floats.map(Double.init)
  }

  /// Elements converted to Int64 (integer and bool dtypes; floats truncate).
  public var int64s: [Int64] {
    switch dtype {
    case .i64: return Array(UnsafeBufferPointer(start: pointer(Int64.self), count: count))
    case .i32: return UnsafeBufferPointer(start: pointer(Int32.self), count: count).map { Int64($0) }
    case .bool: return UnsafeBufferPointer(start: pointer(UInt8.self), count: count).map { Int64($0) }
    default: return floats.map { Int64($0) }
    }
  }
}

/// Owned, aligned bytes for one tensor.
public final class TensorStorage: @unchecked Sendable {
  public let data: UnsafeMutableRawPointer
  public let byteCount: Int

  public init(byteCount: Int) {
    self.byteCount = byteCount
    data = StoragePool.shared.allocate(byteCount: byteCount)
  }

  deinit { StoragePool.shared.release(data, byteCount: byteCount) }
}

/// Conversions between Float and the 16-bit float formats, rounding to nearest even.
public enum HalfPrecision {
  public static func floatToBF16(_ value: Float) -> UInt16 {
    let bits = value.bitPattern
    if value.isNaN { return UInt16(bits >> 16) | 0x40 }
    let rounding = UInt32(0x7FFF) + ((bits >> 16) & 1)
    return UInt16((bits &+ rounding) >> 16)
  }

  public static func bf16ToFloat(_ bits: UInt16) -> Float { Float(bitPattern: UInt32(bits) << 16) }

  public static func floatToF16(_ value: Float) -> UInt16 { Float16(value).bitPattern }

  public static func f16ToFloat(_ bits: UInt16) -> Float { Float(Float16(bitPattern: bits)) }
}
