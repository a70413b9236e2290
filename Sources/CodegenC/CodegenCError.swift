import IR

/// Why a graph could not be turned into C, or the C into a library.
public enum CodegenCError: Error, CustomStringConvertible, Equatable {
  /// An op the backend cannot lower, named with its value and the reason; found before the C
  /// compiler runs.
  case unsupported(op: Op, value: String, reason: String)
  /// No C compiler at the path given (`$CC` or `cc`).
  case compilerMissing(String)
  /// The compiler ran and failed; its own message is quoted.
  case compilerFailed(command: String, message: String)
  /// The library could not be loaded or is not the ABI this build expects.
  case loadFailed(String)
  /// The generated code reported an error at run time (a CTC length out of range, out of memory).
  case runtime(String)
  /// The inputs or parameters given do not match the graph.
  case badArguments(String)

  public var description: String {
    switch self {
    case .unsupported(let op, let value, let reason): "C backend: cannot lower \(op) (%\(value)): \(reason)"
    case .compilerMissing(let compiler):
      "C backend: no C compiler '\(compiler)' (install gcc or clang, or set CC to one)"
    case .compilerFailed(let command, let message): "C backend: the C compiler failed (\(command)):\n\(message)"
    case .loadFailed(let reason): "C backend: cannot load the model library: \(reason)"
    case .runtime(let message): "C backend: \(message)"
    case .badArguments(let message): "C backend: \(message)"
    }
  }
}
