/// An open-addressing map from three 32-bit numbers to a 32-bit number, cleared and refilled
/// every frame: the beam search's merge and history tables, where `Dictionary`'s SipHash of a
/// struct key took a fifth of the decoding time.
struct TripleTable {
  private var keys: [SIMD4<Int32>]
  /// -1: empty.
  private var values: [Int32]
  private var mask: Int

  init() {
    keys = Array(repeating: .zero, count: 64)
    values = Array(repeating: -1, count: 64)
    mask = 63
  }

  /// Empties the table, making room for `count` entries.
  mutating func removeAll(keepingRoomFor count: Int) {
    var size = values.count
    while size < count * 2 { size *= 2 }
    if size != values.count {
      keys = Array(repeating: .zero, count: size)
      values = Array(repeating: -1, count: size)
      mask = size - 1
    } else {
      for index in values.indices { values[index] = -1 }
    }
  }

  /// The value stored for the key, or nil after storing `value` for it. The table must have
  /// room (``removeAll(keepingRoomFor:)``).
  mutating func value(for a: Int32, _ b: Int32, _ c: Int32, insertingIfAbsent value: Int32) -> Int32? {
    let key = SIMD4(a, b, c, 0)
    var hash = UInt64(UInt32(bitPattern: a)) &* 0x9e37_79b9_7f4a_7c15 ^ UInt64(UInt32(bitPattern: b)) &* 0xc2b2_ae3d_27d4_eb4f
      ^ UInt64(UInt32(bitPattern: c)) &* 0x1656_67b1_9e37_79f9
    hash ^= hash >> 29
    var index = Int(truncatingIfNeeded: hash) & mask
    while values[index] >= 0 {
      if keys[index] == key { return values[index] }
      index = (index + 1) & mask
    }
    keys[index] = key
    values[index] = value
    return nil
  }
}
