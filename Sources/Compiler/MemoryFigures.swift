import Foundation
import IR
import Passes

/// The memory figures of a graph at given sizes: the memory plan's arena (every intermediate
/// at an offset, `MemoryPlan`), the lower bound it is measured against (the most bytes alive at
/// once), and the sum of every intermediate as if nothing were reused ("without planning").
public struct MemoryFigures: Equatable, Sendable {
  public var plannedPeakBytes: Int
  public var liveMaximumBytes: Int
  public var unplannedBytes: Int
  public var parameterBytes: Int
  public var inputBytes: Int
  /// The plan itself (offsets per buffer): what plan.json holds and the C backend allocates from.
  public var plan: ResolvedMemoryPlan

  /// Nil when a symbol of some shape is not bound or the graph cannot be planned.
  public init?(_ graph: Graph, symbols: [String: Int]) {
    guard let plan = try? MemoryPlan(graph: graph).resolve(bindings: symbols),
      let parameters = Self.sum(graph.parameters.map { graph.type(of: $0) }, symbols),
      let inputs = Self.sum(graph.inputs.map { graph.type(of: $0) }, symbols)
    else { return nil }
    self.plan = plan
    plannedPeakBytes = plan.peakBytes
    liveMaximumBytes = plan.liveMaximumBytes
    unplannedBytes = plan.unplannedBytes
    parameterBytes = parameters
    inputBytes = inputs
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
