import Foundation
import IR
import Passes

/// What the per-pass table of a compile shows for one stage.
public struct StageSummary: Sendable {
  public var name: String
  public var position: Int
  public var seconds: Double?
  /// Top-level nodes (each fused region once: what a backend runs) before and after the pass.
  public var nodesBefore: Int?
  public var nodesAfter: Int
  /// Nodes inside fused regions.
  public var nodesInRegions: Int
  /// The traffic estimate (`TrafficEstimate`): bytes read and written by the top-level nodes.
  public var bytesMoved: Int?
  public var memory: MemoryFigures?

  public init(_ stage: CompileStage, previous: StageSummary? = nil, symbols: [String: Int]) {
    name = stage.name
    position = stage.position
    seconds = stage.record?.seconds
    nodesBefore = previous?.nodesAfter
    nodesAfter = stage.graph.nodes.count
    nodesInRegions = stage.graph.allNodes.count - stage.graph.nodes.count
    bytesMoved = try? TrafficEstimate.bytesMoved(stage.graph, bindings: symbols)
    memory = MemoryFigures(stage.graph, symbols: symbols)
  }
}

extension StageSummary {
  /// One summary per stage, each knowing the stage before it.
  public static func summaries(_ stages: [CompileStage], symbols: [String: Int]) -> [StageSummary] {
    var result: [StageSummary] = []
    for stage in stages { result.append(StageSummary(stage, previous: result.last, symbols: symbols)) }
    return result
  }
}

/// The table `asrc compile` prints: one row per stage, then the total.
public enum CompileReport {
  public static func table(_ summaries: [StageSummary], sizes: ShapeBindings) -> String {
    var rows = [["#", "pass", "time", "nodes before", "nodes after", "in regions", "bytes moved", "planned peak (\(sizes))"]]
    for summary in summaries {
      rows.append([
        String(summary.position), summary.name, summary.seconds.map(formatSeconds) ?? "",
        summary.nodesBefore.map(String.init) ?? "", String(summary.nodesAfter), String(summary.nodesInRegions),
        summary.bytesMoved.map(formatBytes) ?? "", summary.memory.map { formatBytes($0.plannedPeakBytes) } ?? "unbound symbol",
      ])
    }
    let total = summaries.compactMap(\.seconds).reduce(0, +)
    rows.append(["", "total", formatSeconds(total), "", "", "", "", ""])
    let widths = rows[0].indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
    let rightAligned: Set<Int> = [0, 2, 3, 4, 5, 6, 7]
    return rows.map { row in
      row.indices.map { column in
        let padding = String(repeating: " ", count: widths[column] - row[column].count)
        return rightAligned.contains(column) ? padding + row[column] : row[column] + padding
      }.joined(separator: "  ")
    }.joined(separator: "\n") + "\n"
  }
}

/// `0.41 ms`, `12.3 ms`, `1.53 s`.
public func formatSeconds(_ seconds: Double) -> String {
  seconds < 1 ? String(format: "%.2f ms", seconds * 1000) : String(format: "%.2f s", seconds)
}
