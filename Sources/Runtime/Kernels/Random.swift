import IR

/// Dropout masks from a counter-based hash of (seed, stream, element index): the same
/// arguments always give the same mask, on any thread and in any order.
enum RandomKernels {
  static func dropoutMask(like: Tensor, seed: Int64, p: Double, stream: Int) -> Tensor {
    let y = Tensor(uninitialized: like.dtype, like.shape)
    let keep = p >= 1 ? 0 : 1 / (1 - p)
    let key = mix(UInt64(bitPattern: seed) &* 0x9E37_79B9_7F4A_7C15 ^ mix(UInt64(truncatingIfNeeded: stream) &+ 0xD1B5_4A32_D192_ED03))
    for index in 0..<like.count {
      let bits = mix(key &+ UInt64(index) &* 0xBF58_476D_1CE4_E5B9)
      let uniform = Double(bits >> 11) * 0x1.0p-53
      let value = uniform < p ? 0 : keep
      switch like.dtype {
      case .f64: y.pointer(Double.self)[index] = value
      default: y.pointer(Float.self)[index] = Float(value)
      }
    }
    return y
  }

  /// SplitMix64's finaliser: a bijective mix of 64 bits.
  static func mix(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
