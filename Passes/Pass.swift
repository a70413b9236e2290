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
  /// The pass's argument for this example (`layers` for `checkpoint=layers`); nil for none.
  public let argument: String?
  public let before: String
  public let after: String

  public init(_ title: String, argument: String? = nil, before: String, after: String) {
    self.title = title
    self.argument = argument
    self.before = before
    self.after = after
  }
}

/// Every pass asrc knows, by name (`--passes dce,cse`).
public enum PassRegistry {
  public static let all: [Pass] = [
    deadCodeElimination, commonSubexpressionElimination, foldConstants, simplify, schedule, autodiff(), widenToF64,
    fuseReductions, fuseEpilogues, fuseElementwise, checkpoint(), mixedPrecision(), scaleLoss,
  ]

  public static func pass(named name: String) -> Pass? { all.first { $0.name == name } }

  /// A pass from its entry in a pass list: a name, or `name=ARGUMENT` for passes that take one
  /// (`checkpoint=budget:4GiB`). `bindings` are the sizes passes that plan memory plan for.
  public static func pass(spec: String, bindings: [String: Int] = CheckpointDefaults.bindings) throws(PassError) -> Pass {
    let parts = spec.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
    let name = String(parts[0])
    let argument = parts.count > 1 ? String(parts[1]) : nil
    if name == "checkpoint" { return checkpoint(try CheckpointStrategy(parsing: argument ?? ""), bindings: bindings) }
    if name == "mixed-precision" {
      guard let precision = LowPrecision(rawValue: argument ?? "bf16") else {
        throw PassError.badArgument(pass: name, argument ?? "", expected: "bf16 or fp16")
      }
      return mixedPrecision(precision)
    }
    guard let pass = pass(named: name) else { throw PassError.unknownPass(name, known: all.map(\.name)) }
    if let argument { throw PassError.badArgument(pass: name, argument, expected: "no argument") }
    return pass
  }

  /// The entries of a comma-separated pass list, trimmed (`cse, checkpoint=sqrt` → [cse, checkpoint=sqrt]).
  public static func entries(_ list: String) throws(PassError) -> [String] {
    try list.split(separator: ",", omittingEmptySubsequences: false).map { (entry) throws(PassError) -> String in
      let trimmed = entry.trimmingWhitespace()
      guard !trimmed.isEmpty else { throw PassError.malformedPipeline(list) }
      return trimmed
    }
  }

  /// Looks up a comma-separated pass list, naming any unknown pass or bad argument.
  public static func pipeline(_ list: String, bindings: [String: Int] = CheckpointDefaults.bindings) throws(PassError) -> [Pass] {
    try entries(list).map { (entry) throws(PassError) -> Pass in try pass(spec: entry, bindings: bindings) }
  }
}

public enum PassError: Error, CustomStringConvertible {
  case unknownPass(String, known: [String])
  case malformedPipeline(String)
  case verificationFailed(pass: String, DiagnosticList)
  case failed(pass: String, any Error)
  case unknownOutput([String], known: [String])
  case badArgument(pass: String, String, expected: String)

  public var description: String {
    switch self {
    case .unknownPass(let name, let known): "unknown pass '\(name)' (known: \(known.joined(separator: ", ")))"
    case .malformedPipeline(let list): "malformed pass list '\(list)': pass names separated by commas, none empty"
    case .verificationFailed(let pass, let problems): "the graph does not verify after pass '\(pass)':\n\(problems)"
    case .failed(let pass, let error): "pass '\(pass)' failed: \(error)"
    case .unknownOutput(let names, let known): "no output named \(names.joined(separator: ", ")) (outputs: \(known.joined(separator: ", ")))"
    case .badArgument(let pass, let argument, let expected): "pass '\(pass)': cannot take '\(argument)': expected \(expected)"
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
