import IR

/// A graph-to-graph rewrite, registered by name.
///
/// A pass never mutates shared state: it receives a graph value and returns a new one. The
/// ``PassManager`` verifies, times and dumps around every pass, so passes do none of that.
///
/// Each pass carries its documentation as data: a one-line summary, a paragraph saying what it
/// does and why, and worked examples (IR text before, and the exact text it prints after).
/// `PassExampleTests` runs every example, and `docs/passes.md` is generated from the registry
/// (`PassReference.markdown`), so the page shows only rewrites the tests have checked.
public struct Pass: Sendable {
  public let name: String
  public let summary: String
  public let details: String
  public let examples: [PassExample]
  public let run: @Sendable (Graph) throws -> Graph

  public init(
    name: String, summary: String, details: String = "", examples: [PassExample] = [],
    run: @escaping @Sendable (Graph) throws -> Graph
  ) {
    self.name = name
    self.summary = summary
    self.details = details
    self.examples = examples
    self.run = run
  }
}

/// One worked rewrite: IR text before a pass and the text `Printer` gives after it.
public struct PassExample: Sendable {
  public let title: String
  public let before: String
  public let after: String

  public init(_ title: String, before: String, after: String) {
    self.title = title
    self.before = before
    self.after = after
  }
}

/// Every pass asrc knows, by name (`--passes dce,cse`).
public enum PassRegistry {
  public static let all: [Pass] = [
    deadCodeElimination, commonSubexpressionElimination, foldConstants, simplify, autodiff(), widenToF64, fuseReductions, fuseEpilogues,
    fuseElementwise,
  ]

  public static func pass(named name: String) -> Pass? { all.first { $0.name == name } }

  /// Looks up a comma-separated pass list, naming any unknown pass.
  public static func pipeline(_ names: String) throws(PassError) -> [Pass] {
    try names.split(separator: ",", omittingEmptySubsequences: false).map { (name) throws(PassError) -> Pass in
      let trimmed = name.trimmingWhitespace()
      guard !trimmed.isEmpty else { throw PassError.malformedPipeline(names) }
      guard let pass = pass(named: trimmed) else {
        throw PassError.unknownPass(trimmed, known: all.map(\.name))
      }
      return pass
    }
  }
}

public enum PassError: Error, CustomStringConvertible {
  case unknownPass(String, known: [String])
  case malformedPipeline(String)
  case verificationFailed(pass: String, DiagnosticList)
  case failed(pass: String, any Error)
  case unknownOutput([String], known: [String])

  public var description: String {
    switch self {
    case .unknownPass(let name, let known): "unknown pass '\(name)' (known: \(known.joined(separator: ", ")))"
    case .malformedPipeline(let list): "malformed pass list '\(list)': pass names separated by commas, none empty"
    case .verificationFailed(let pass, let problems): "the graph does not verify after pass '\(pass)':\n\(problems)"
    case .failed(let pass, let error): "pass '\(pass)' failed: \(error)"
    case .unknownOutput(let names, let known): "no output named \(names.joined(separator: ", ")) (outputs: \(known.joined(separator: ", ")))"
    }
  }
}

extension Substring {
  func trimmingWhitespace() -> String {
    String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
  }
}

extension PassRegistry {
  /// The cleanup passes in the order that reaches a fixed point on the model graphs in one
  /// round (a second round changes nothing; `CleanupPipelineTests`).
  public static let cleanupPipeline = "fold-constants,simplify,cse,dce"
}
