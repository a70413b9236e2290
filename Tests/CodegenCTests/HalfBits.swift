import IR
import Runtime

/// f16 and bf16 tensors as bit patterns: building them, reading them, and how far apart two
/// of them are in units in the last place.
enum HalfBits {
  static func tensor(_ values: [Float], shape: [Int], dtype: DType) -> Tensor {
    tensor(bits: values.map { dtype == .f16 ? HalfPrecision.floatToF16($0) : HalfPrecision.floatToBF16($0) }, shape: shape, dtype: dtype)
  }

  static func tensor(bits: [UInt16], shape: [Int], dtype: DType) -> Tensor {
    let tensor = Tensor(uninitialized: dtype, shape)
    for (index, value) in bits.enumerated() { tensor.pointer(UInt16.self)[index] = value }
    return tensor
  }

  static func bits(_ tensor: Tensor) -> [UInt16] { Array(UnsafeBufferPointer(start: tensor.pointer(UInt16.self), count: tensor.count)) }

  /// The raw bytes of any tensor, for bit-for-bit comparisons.
  static func bytes(_ tensor: Tensor) -> [UInt8] {
    Array(UnsafeRawBufferPointer(start: tensor.storage.data, count: tensor.byteCount))
  }

  /// Distance in ulps between two half values of one format (+0 and -0 are 0 apart; two NaNs
  /// are 0 apart, a NaN and a number infinitely far).
  static func ulps(_ a: UInt16, _ b: UInt16, _ dtype: DType) -> Int {
    let exponentMask: UInt16 = dtype == .f16 ? 0x7C00 : 0x7F80
    func isNaN(_ x: UInt16) -> Bool { x & exponentMask == exponentMask && x & ~exponentMask & 0x7FFF != 0 }
    if isNaN(a) || isNaN(b) { return isNaN(a) && isNaN(b) ? 0 : Int.max }
    func ordered(_ x: UInt16) -> Int { x & 0x8000 != 0 ? -Int(x & 0x7FFF) : Int(x) }
    return Swift.abs(ordered(a) - ordered(b))
  }
}
