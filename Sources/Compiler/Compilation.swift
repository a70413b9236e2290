import IR
import Passes

/// One graph of a compile: the input (position 0) or the graph after a pass.
public struct CompileStage: Sendable {
  /// `input` for position 0, else the pass's name.
  public var name: String
  public var position: Int
  public var graph: Graph
  /// Time and node counts; nil for the input.
  public var record: PassManager.Record?

  /// `00-input`, `03-cse`: the stem of the stage's dump files.
  public var fileStem: String { (position < 10 ? "0" : "") + "\(position)-\(name)" }
}

/// Runs a pipeline through the ``PassManager`` and keeps every intermediate graph, for dumps,
/// `--print-ir-after` and `--check`.
public struct Compilation: Sendable {
  public private(set) var stages: [CompileStage]

  public var output: Graph { stages[stages.count - 1].graph }

  /// Runs `manager` on `graph`; `afterStage` sees each stage as soon as it exists (the input first).
  public init(_ graph: Graph, manager: PassManager, afterStage: (CompileStage) throws -> Void = { _ in }) throws {
    let input = CompileStage(name: "input", position: 0, graph: graph, record: nil)
    try afterStage(input)
    var stages = [input]
    _ = try manager.run(graph) { record, graph in
      let stage = CompileStage(name: record.pass, position: record.position, graph: graph, record: record)
      stages.append(stage)
      try afterStage(stage)
    }
    self.stages = stages
  }
}

/// Where to stop a pipeline: after the first pass of a name, or after N passes.
public enum StopPoint: Equatable, Sendable {
  case pass(String)
  case count(Int)

  /// Reads `--stop-after NAME|N` against the pipeline, naming what is wrong.
  public init(_ text: String, pipeline: [String]) throws(CompileError) {
    if let count = Int(text) {
      guard (0...pipeline.count).contains(count) else {
        throw CompileError("--stop-after \(text): the pipeline has \(pipeline.count) passes (\(pipeline.joined(separator: ", ")))")
      }
      self = .count(count)
    } else {
      guard pipeline.contains(text) else {
        throw CompileError("--stop-after \(text): no pass of that name in the pipeline (\(pipeline.joined(separator: ", ")))")
      }
      self = .pass(text)
    }
  }

  public func apply(to manager: inout PassManager) {
    switch self {
    case .pass(let name): manager.stopAfter = name
    case .count(let count): manager.stopAfterCount = count
    }
  }
}

/// A compile refused or failed, in words.
public struct CompileError: Error, CustomStringConvertible, Sendable {
  public var description: String
  public init(_ description: String) { self.description = description }
}
