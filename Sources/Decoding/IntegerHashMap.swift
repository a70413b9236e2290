/// An open-addressing hash map from 64-bit keys to 32-bit values, for the n-gram tables and the
/// character tries: millions of small entries, where `Dictionary`'s per-entry overhead and
/// generic hashing would dominate the loading time and memory of a large language model.
///
/// Keys are built by the callers from two numbers (a node and a word or byte); `UInt64.max`
/// marks an empty slot and is never a key (nodes stay below `UInt32.max`).
struct IntegerHashMap: Sendable {
  private var keys: [UInt64]
  private var values: [UInt32]
  private var mask: Int
  private(set) var count = 0

  private static let empty = UInt64.max

  /// A map that holds `capacity` entries before it grows.
  init(capacity: Int = 0) {
    var size = 16
    while size * 7 < capacity * 10 { size *= 2 }
    keys = Array(repeating: Self.empty, count: size)
    values = Array(repeating: 0, count: size)
    mask = size - 1
  }

  /// The key of an edge from `node` labelled `label`.
  @inline(__always)
  static func key(_ node: UInt32, _ label: UInt32) -> UInt64 { UInt64(node) << 32 | UInt64(label) }

  @inline(__always)
  private static func slot(_ key: UInt64, _ mask: Int) -> Int {
    // The splitmix64 finaliser: node and word numbers are small and dense, so they must be mixed.
    var x = key
    x = (x ^ (x >> 30)) &* 0xbf58_476d_1ce4_e5b9
    x = (x ^ (x >> 27)) &* 0x94d0_49bb_1331_11eb
    x ^= x >> 31
    return Int(truncatingIfNeeded: x) & mask
  }

  func find(_ key: UInt64) -> UInt32? {
    var index = Self.slot(key, mask)
    while true {
      let stored = keys[index]
      if stored == key { return values[index] }
      if stored == Self.empty { return nil }
      index = (index + 1) & mask
    }
  }

  /// Inserts `value` unless `key` is present; returns the value stored before, if any.
  @discardableResult
  mutating func insert(_ key: UInt64, _ value: UInt32) -> UInt32? {
    precondition(key != Self.empty, "IntegerHashMap: the key UInt64.max is reserved")
    if (count + 1) * 10 > keys.count * 7 { grow() }
    var index = Self.slot(key, mask)
    while true {
      let stored = keys[index]
      if stored == key { return values[index] }
      if stored == Self.empty {
        keys[index] = key
        values[index] = value
        count += 1
        return nil
      }
      index = (index + 1) & mask
    }
  }

  private mutating func grow() {
    let (oldKeys, oldValues) = (keys, values)
    let size = keys.count * 2
    keys = Array(repeating: Self.empty, count: size)
    values = Array(repeating: 0, count: size)
    mask = size - 1
    for (key, value) in zip(oldKeys, oldValues) where key != Self.empty {
      var index = Self.slot(key, mask)
      while keys[index] != Self.empty { index = (index + 1) & mask }
      keys[index] = key
      values[index] = value
    }
  }
}
