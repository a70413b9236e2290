/// A line diff (Myers' O(ND) algorithm on interned lines), for the text diff between the IR
/// before and after a pass. Common head and tail lines are stripped first, and the search keeps
/// only the diagonals each step reaches (2d + 1 of them), so a pass that changes a few hundred
/// lines of a 5,000-line graph costs little.
public enum LineDiff {
  public enum Kind: Sendable, Equatable {
    case same, removed, added
  }

  public struct Line: Sendable, Equatable {
    public var kind: Kind
    public var text: String
    public init(_ kind: Kind, _ text: String) {
      self.kind = kind
      self.text = text
    }
  }

  /// Every line of `old` and `new` in order, each marked same, removed or added; the fewest
  /// removals and additions that turn `old` into `new`.
  public static func diff(_ old: [String], _ new: [String]) -> [Line] {
    var ids: [String: Int32] = [:]
    let a = old.map { line in ids[line] ?? { ids[line] = Int32(ids.count); return Int32(ids.count - 1) }() }
    let b = new.map { line in ids[line] ?? { ids[line] = Int32(ids.count); return Int32(ids.count - 1) }() }
    var head = 0
    while head < a.count && head < b.count && a[head] == b[head] { head += 1 }
    var tail = 0
    while tail < a.count - head && tail < b.count - head && a[a.count - 1 - tail] == b[b.count - 1 - tail] { tail += 1 }
    var lines = old[..<head].map { Line(.same, $0) }
    let middle = myers(Array(a[head..<(a.count - tail)]), Array(b[head..<(b.count - tail)]))
    var (i, j) = (head, head)
    for kind in middle {
      switch kind {
      case .same:
        lines.append(Line(.same, old[i]))
        i += 1
        j += 1
      case .removed:
        lines.append(Line(.removed, old[i]))
        i += 1
      case .added:
        lines.append(Line(.added, new[j]))
        j += 1
      }
    }
    lines += old[(old.count - tail)...].map { Line(.same, $0) }
    return lines
  }

  /// The edit script of `a` into `b` as a sequence of kinds.
  private static func myers(_ a: [Int32], _ b: [Int32]) -> [Kind] {
    let (n, m) = (a.count, b.count)
    if n == 0 { return Array(repeating: .added, count: m) }
    if m == 0 { return Array(repeating: .removed, count: n) }
    let maxD = n + m
    // v[k + offset]: the furthest x on diagonal k; trace[d] keeps v's diagonals -d...d after step d.
    let offset = maxD + 1
    var v = [Int32](repeating: 0, count: 2 * maxD + 3)
    var trace: [[Int32]] = []
    var finalD = 0
    search: for d in 0...maxD {
      for k in stride(from: -d, through: d, by: 2) {
        var x: Int
        if k == -d || (k != d && v[k - 1 + offset] < v[k + 1 + offset]) {
          x = Int(v[k + 1 + offset])
        } else {
          x = Int(v[k - 1 + offset]) + 1
        }
        var y = x - k
        while x < n && y < m && a[x] == b[y] {
          x += 1
          y += 1
        }
        v[k + offset] = Int32(x)
        if x >= n && y >= m {
          trace.append(Array(v[(offset - d)...(offset + d)]))
          finalD = d
          break search
        }
      }
      trace.append(Array(v[(offset - d)...(offset + d)]))
    }
    // Walk back from (n, m) through the saved diagonals.
    var script: [Kind] = []
    script.reserveCapacity(n + m)
    var (x, y) = (n, m)
    for d in stride(from: finalD, to: 0, by: -1) {
      let previous = trace[d - 1]
      func furthest(_ k: Int) -> Int { Int(previous[k + d - 1]) }  // previous holds -(d-1)...(d-1)
      let k = x - y
      let down = k == -d || (k != d && furthest(k - 1) < furthest(k + 1))
      let previousK = down ? k + 1 : k - 1
      let previousX = furthest(previousK)
      let previousY = previousX - previousK
      while x > previousX && y > previousY {
        script.append(.same)
        x -= 1
        y -= 1
      }
      script.append(down ? .added : .removed)
      (x, y) = (previousX, previousY)
    }
    while x > 0 && y > 0 {
      script.append(.same)
      x -= 1
      y -= 1
    }
    return script.reversed()
  }

  /// The diff as unified hunks (`@@ -a,b +c,d @@`, then ` `, `-` and `+` lines) with `context`
  /// unchanged lines around each change; empty when nothing changed.
  public static func unified(_ lines: [Line], context: Int = 3) -> String {
    var changed: [Int] = []
    for (index, line) in lines.enumerated() where line.kind != .same { changed.append(index) }
    guard !changed.isEmpty else { return "" }
    // Old and new line numbers at each position.
    var oldNumber = [Int](repeating: 0, count: lines.count + 1)
    var newNumber = [Int](repeating: 0, count: lines.count + 1)
    for (index, line) in lines.enumerated() {
      oldNumber[index + 1] = oldNumber[index] + (line.kind == .added ? 0 : 1)
      newNumber[index + 1] = newNumber[index] + (line.kind == .removed ? 0 : 1)
    }
    var out = ""
    var start = 0
    while start < changed.count {
      var end = start
      while end + 1 < changed.count && changed[end + 1] - changed[end] <= 2 * context + 1 { end += 1 }
      let from = max(0, changed[start] - context)
      let to = min(lines.count, changed[end] + context + 1)
      let oldCount = oldNumber[to] - oldNumber[from]
      let newCount = newNumber[to] - newNumber[from]
      out += "@@ -\(oldNumber[from] + (oldCount > 0 ? 1 : 0)),\(oldCount) +\(newNumber[from] + (newCount > 0 ? 1 : 0)),\(newCount) @@\n"
      for line in lines[from..<to] {
        switch line.kind {
        case .same: out += " "
        case .removed: out += "-"
        case .added: out += "+"
        }
        out += line.text + "\n"
      }
      start = end + 1
    }
    return out
  }
}
