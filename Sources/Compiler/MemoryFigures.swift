import Foundation
import IR

/// The memory figures of a graph at given sizes: the planned peak of its intermediates, and
/// the sum of every intermediate as if nothing were reused (the "without planning" figure).
///
/// Until memory planning lands, the planned peak is the schedule's liveness peak: each
/// intermediate lives from its node to its last use, as the interpreter frees it. The memory
/// planner's arena peak replaces ``plannedPeakBytes(_:symbols:)`` (one function) at merge.
public struct MemoryFigures: Equatable, Sendable {
  public var plannedPeakBytes: Int
  public var unplannedBytes: Int
  public var parameterBytes: Int
  public var inputBytes: Int
  /// How the planned peak was found, for plan.json.
  public var method: String

  /// Nil when a symbol of some shape is not bound.
  public init?(_ graph: Graph, symbols: [String: Int]) {
    guard let planned = Self.plannedPeakBytes(graph, symbols: symbols),
      let unplanned = Self.unplannedBytes(graph, symbols: symbols),
      let parameters = Self.sum(graph.parameters.map { graph.type(of: $0) }, symbols),
      let inputs = Self.sum(graph.inputs.map { graph.type(of: $0) }, symbols)
    else { return nil }
    plannedPeakBytes = planned
    unplannedBytes = unplanned
    parameterBytes = parameters
    inputBytes = inputs
    method = Self.plannedPeakMethod
  }

  public static let plannedPeakMethod = "liveness: each intermediate from its node to its last use, nodes in schedule order"

  /// The peak bytes of intermediates alive at once when each is freed after its last use
  /// (outputs live to the end). Inputs and parameters are not counted.
  public static func plannedPeakBytes(_ graph: Graph, symbols: [String: Int]) -> Int? {
    var lastUse: [ValueID: Int] = [:]
    for (position, node) in graph.nodes.enumerated() { for operand in node.operands { lastUse[operand] = position } }
    for output in graph.outputs { lastUse[output.value] = Int.max }
    var freedAt: [Int: [Int]] = [:]
    var live = 0
    var peak = 0
    for (position, node) in graph.nodes.enumerated() {
      guard let bytes = graph.type(of: node.result).byteCount(symbols) else { return nil }
      live += bytes
      peak = max(peak, live)
      if let last = lastUse[node.result] {
        if last != Int.max { freedAt[last, default: []].append(bytes) }
      } else {
        live -= bytes  // never used: freed at once
      }
      for freed in freedAt.removeValue(forKey: position) ?? [] { live -= freed }
    }
    return peak
  }

  /// Every node's result, each in its own buffer (regions' inner values included: without
  /// planning each gets memory).
  public static func unplannedBytes(_ graph: Graph, symbols: [String: Int]) -> Int? {
    sum(graph.allNodes.map { graph.type(of: $0.result) }, symbols)
  }

  private static func sum(_ types: [TensorType], _ symbols: [String: Int]) -> Int? {
    var total = 0
    for type in types {
      guard let bytes = type.byteCount(symbols) else { return nil }
      total += bytes
    }
    return total
  }
}

/// `1.2 GiB`, `340 MiB`, `12 KiB`, `80 B`.
public func formatBytes(_ bytes: Int) -> String {
  let units = ["B", "KiB", "MiB", "GiB", "TiB"]
  var value = Double(bytes)
  var unit = 0
  while value >= 1024 && unit < units.count - 1 {
    value /= 1024
    unit += 1
  }
  if unit == 0 { return "\(bytes) B" }
  return value >= 100 ? "\(Int(value.rounded())) \(units[unit])" : String(format: "%.1f %@", value, units[unit])
}
