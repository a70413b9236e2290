/// The order in which CPython iterates `set(np.where(row >= token_min_logp)[0]) | {argmax}`,
/// the classes pyctcdecode extends the beams with at each frame.
///
/// That order decides the order of the new beams, hence which of two merged beams keeps its
/// word frames, the order in which merged scores are summed, and how equal scores rank, so the
/// decoder follows it rather than ascending class order. A set of small non-negative integers
/// (their own hashes) is a table of `2^k` slots filled by `setobject.c`'s probing: the slot
/// `hash & mask`, up to nine slots after it when they fit, then `i = 5 i + 1 + perturb`; the table
/// grows (reinserting in slot order) when three fifths of it are used. `set | other` copies the
/// left set into a new one (`set_merge`), then adds the right side's items. Checked against
/// CPython 3.11 on random class subsets by the test that uses tools/make_lm_reference.py's list.
public enum PythonSetOrder {
  static let minimumSize = 8
  static let linearProbes = 9
  static let perturbShift = 5

  /// The iteration order of `set(ascending) | {extra}`; `ascending` are distinct and increasing.
  public static func union(_ ascending: [Int], _ extra: Int) -> [Int] {
    var first = PythonIntSet()
    for value in ascending { first.add(value) }
    var result = PythonIntSet()
    result.merge(first)
    var single = PythonIntSet()
    single.add(extra)
    result.merge(single)
    return result.table.compactMap { $0 }
  }
}

/// The parts of CPython's `PySetObject` that decide where an integer lands.
struct PythonIntSet {
  var table: [Int?] = Array(repeating: nil, count: PythonSetOrder.minimumSize)
  var fill = 0
  var used = 0
  var mask: Int { table.count - 1 }

  /// `set_add_entry`.
  mutating func add(_ key: Int) {
    let mask = self.mask
    var index = key & mask
    var perturb = key
    while true {
      let probes = index + PythonSetOrder.linearProbes <= mask ? PythonSetOrder.linearProbes : 0
      for slot in index...(index + probes) {
        guard let present = table[slot] else {
          table[slot] = key
          fill += 1
          used += 1
          if fill * 5 >= mask * 3 { resize(minimumUsed: used > 50_000 ? used * 2 : used * 4) }
          return
        }
        if present == key { return }
      }
      perturb >>= PythonSetOrder.perturbShift
      index = (index * 5 + 1 + perturb) & mask
    }
  }

  /// `set_table_resize`: the smallest power of two above `minimumUsed`, refilled in slot order.
  mutating func resize(minimumUsed: Int) {
    var size = PythonSetOrder.minimumSize
    while size <= minimumUsed { size <<= 1 }
    let old = table
    table = Array(repeating: nil, count: size)
    for case let key? in old { insertClean(key) }
  }

  /// `set_insert_clean`: no duplicates, no dummies.
  mutating func insertClean(_ key: Int) {
    let mask = self.mask
    var index = key & mask
    var perturb = key
    while true {
      if table[index] == nil {
        table[index] = key
        return
      }
      if index + PythonSetOrder.linearProbes <= mask {
        for slot in (index + 1)...(index + PythonSetOrder.linearProbes) where table[slot] == nil {
          table[slot] = key
          return
        }
      }
      perturb >>= PythonSetOrder.perturbShift
      index = (index * 5 + 1 + perturb) & mask
    }
  }

  /// `set_merge`.
  mutating func merge(_ other: PythonIntSet) {
    guard other.used > 0 else { return }
    if (fill + other.used) * 5 >= mask * 3 { resize(minimumUsed: (used + other.used) * 2) }
    if fill == 0 && mask == other.mask {
      table = other.table
      fill = other.fill
      used = other.used
      return
    }
    if fill == 0 {
      fill = other.used
      used = other.used
      for case let key? in other.table { insertClean(key) }
      return
    }
    for case let key? in other.table { add(key) }
  }
}
