import IR

/// Why the interpreter could not run a graph.
public enum InterpreterError: Error, CustomStringConvertible, Equatable {
  case missingInput(String)
  case missingParameter(String)
  case shapeMismatch(String)
  case unsupported(String)
  case invalidValue(String)

  public var description: String {
    switch self {
    case .missingInput(let name): "input %\(name) was not given"
    case .missingParameter(let name): "parameter %\(name) has no value (missing from the weights)"
    case .shapeMismatch(let message): message
    case .unsupported(let message): "not supported by the interpreter: \(message)"
    case .invalidValue(let message): message
    }
  }
}
