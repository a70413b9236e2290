import IR

/// What a checkpoint pass did, for the commands to print: the planned peak before and after at
/// given sizes, the operations recomputed against the forward pass's, and the largest values
/// the backward now recomputes.
public struct CheckpointReport: Sendable {
  public var peakBefore: Int
  public var peakAfter: Int
  public var recomputedValues: Int
  public var extraFlops: Double
  public var forwardFlops: Double
  /// The largest recomputed values (name without the `recompute.` prefix, bytes), largest first.
  public var largest: [(name: String, bytes: Int)]
  public var bindings: [String: Int]

  /// Compares the graph before the checkpoint pass with the graph after it.
  public init(before: Graph, after: Graph, bindings: [String: Int]) throws {
    self.bindings = bindings
    peakBefore = try MemoryPlan(graph: before).resolve(bindings: bindings).peakBytes
    peakAfter = try MemoryPlan(graph: after).resolve(bindings: bindings).peakBytes
    let split = Rematerialization.Split(before)
    forwardFlops = zip(before.nodes, split.isForward).reduce(0) { $0 + ($1.1 ? FlopEstimate.flops($1.0, in: before, bindings: bindings) : 0) }
    let copies = after.allNodes.filter { Rematerialization.isRecomputed(after.name(of: $0.result)) }
    recomputedValues = copies.count
    extraFlops = copies.reduce(0) { $0 + FlopEstimate.flops($1, in: after, bindings: bindings) }
    largest = copies.map { node -> (String, Int) in
      let type = after.type(of: node.result)
      let count = type.shape.reduce(1) { $0 * Swift.max($1.evaluate(bindings) ?? 0, 0) }
      return (String(after.name(of: node.result).dropFirst(Rematerialization.prefix.count)), count * type.dtype.byteSize)
    }.sorted { $0.1 > $1.1 }.prefix(5).map { ($0.0, $0.1) }
  }

  /// One paragraph: peak, extra work, and the largest recomputed values.
  public var summary: String {
    let sizes = bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    var text = "checkpoint: planned peak \(formatBytes(peakBefore)) → \(formatBytes(peakAfter)) at \(sizes); "
    text += "the backward recomputes \(recomputedValues) values, \(Self.operations(extraFlops)) more"
    if forwardFlops > 0 {
      let share = Int((100 * extraFlops / forwardFlops).rounded())
      text += " (\(share) % of the forward's \(Self.operations(forwardFlops)))"
    }
    if !largest.isEmpty {
      let names: [String] = largest.map { $0.name + " " + formatBytes($0.bytes) }
      text += "; largest: " + names.joined(separator: ", ")
    }
    return text
  }

  /// Operations in GFLOP, or MFLOP below a tenth of a GFLOP.
  static func operations(_ flops: Double) -> String {
    flops >= 1e8 ? tenths(flops / 1e9) + " GFLOP" : tenths(flops / 1e6) + " MFLOP"
  }

  /// A number with one decimal.
  static func tenths(_ value: Double) -> String { "\(Double((value * 10).rounded()) / 10)" }
}

/// `1.2 GiB`, `340 MiB`, `12 KiB`, `80 B`: binary units, one decimal below 100.
public func formatBytes(_ bytes: Int) -> String {
  let units = ["B", "KiB", "MiB", "GiB", "TiB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1024 && unit < units.count - 1 {
    value /= 1024
    unit += 1
  }
  if unit == 0 { return "\(bytes) B" }
  return value >= 100 ? "\(Int(value.rounded())) \(units[unit])" : "\(Double((value * 10).rounded()) / 10) \(units[unit])"
}
