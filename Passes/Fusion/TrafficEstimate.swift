import IR

/// An estimate of the memory traffic a graph's execution needs, for the compile report's
/// before/after fusion figures.
///
/// Every top-level node reads each distinct operand once and writes each result once; a fused
/// region counts only its operands and results (its body stays in registers or cache, which is
/// the point of fusion). `reshape` is a view and moves nothing. Sizes come from the value types
/// with the symbols bound (`B`, `S`, `L`, …).
public enum TrafficEstimate {
  /// Node counts and estimated bytes moved of one graph.
  public struct Figures: Equatable, Sendable {
    /// Top-level nodes (a fused region counts once).
    public var topLevelNodes: Int
    /// Every node, region bodies included.
    public var allNodes: Int
    /// Top-level `fused` nodes.
    public var regions: Int
    public var bytesMoved: Int
  }

  public struct UnboundSymbol: Error, CustomStringConvertible {
    public var value: String
    public var type: TensorType
    public var description: String { "cannot size %\(value): \(type) has a symbol the bindings do not give" }
  }

  /// Estimated bytes read and written by the top-level nodes of `graph` for the given symbol values.
  public static func bytesMoved(_ graph: Graph, bindings: [String: Int]) throws(UnboundSymbol) -> Int {
    var total = 0
    for node in graph.nodes where node.op != .reshape {
      var counted: Set<ValueID> = []
      for value in node.operands + node.results where counted.insert(value).inserted {
        total += try bytes(of: value, in: graph, bindings: bindings)
      }
    }
    return total
  }

  public static func figures(_ graph: Graph, bindings: [String: Int]) throws(UnboundSymbol) -> Figures {
    Figures(
      topLevelNodes: graph.nodes.count, allNodes: graph.allNodes.count, regions: graph.nodes.filter { $0.op == .fused }.count,
      bytesMoved: try bytesMoved(graph, bindings: bindings))
  }

  /// One line for a compile report: node counts and bytes moved before and after fusion.
  public static func summary(before: Graph, after: Graph, bindings: [String: Int]) throws(UnboundSymbol) -> String {
    let old = try figures(before, bindings: bindings)
    let new = try figures(after, bindings: bindings)
    let binding = bindings.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    let ratio = old.bytesMoved > 0 ? Double(new.bytesMoved) / Double(old.bytesMoved) : 1
    return "fusion: \(old.topLevelNodes) → \(new.topLevelNodes) top-level nodes (\(new.regions) region\(new.regions == 1 ? "" : "s"), \(new.allNodes) nodes in all); "
      + "estimated bytes moved \(megabytes(old.bytesMoved)) → \(megabytes(new.bytesMoved)) (\(percent(ratio))) for \(binding)"
  }

  static func bytes(of value: ValueID, in graph: Graph, bindings: [String: Int]) throws(UnboundSymbol) -> Int {
    let type = graph.type(of: value)
    var count = 1
    for dim in type.shape {
      guard let size = dim.evaluate(bindings) else { throw UnboundSymbol(value: graph.name(of: value), type: type) }
      count *= size
    }
    return count * type.dtype.byteSize
  }

  private static func megabytes(_ bytes: Int) -> String {
    let value = Double(bytes) / 1_000_000
    return value >= 100 ? "\(Int(value.rounded())) MB" : "\(Double(Int(value * 10)) / 10) MB"
  }

  private static func percent(_ ratio: Double) -> String { "\(Int((ratio * 100).rounded())) %" }
}
