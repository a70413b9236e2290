import IR

/// A graph-to-graph rewrite, registered by name.
///
/// A pass never mutates shared state: it receives a graph value and returns a new one. The
/// ``PassManager`` verifies, times and dumps around every pass, so passes do none of that.
public struct Pass: Sendable {
  public let name: String
  public let summary: String
  public let run: @Sendable (Graph) throws -> Graph

  public init(name: String, summary: String, run: @escaping @Sendable (Graph) throws -> Graph) {
    self.name = name
    self.summary = summary
    self.run = run
  }
}

/// Every pass asrc knows, by name (`--passes dce,cse`).
public enum PassRegistry {
  public static let all: [Pass] = [deadCodeElimination, commonSubexpressionElimination, autodiff(), widenToF64]

  public static func pass(named name: String) -> Pass? { all.first { $0.name == name } }

  /// Looks up a comma-separated pass list, naming any unknown pass.
  public static func pipeline(_ names: String) throws(PassError) -> [Pass] {
    try names.split(separator: ",").map { (name) throws(PassError) -> Pass in
      let trimmed = name.trimmingWhitespace()
      guard let pass = pass(named: trimmed) else {
        throw PassError.unknownPass(trimmed, known: all.map(\.name))
      }
      return pass
    }
  }
}

public enum PassError: Error, CustomStringConvertible {
  case unknownPass(String, known: [String])
  case verificationFailed(pass: String, DiagnosticList)
  case failed(pass: String, any Error)
  case unknownOutput([String], known: [String])

  public var description: String {
    switch self {
    case .unknownPass(let name, let known): "unknown pass '\(name)' (known: \(known.joined(separator: ", ")))"
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
