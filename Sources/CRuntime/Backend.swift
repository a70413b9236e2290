import Passes
import Runtime

extension CBackend: GraphExecutor {}

/// The backends a command can run a graph on (`--backend c|interp`).
public enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
  /// Generated C, built with the system compiler and cached (see ``CBackend``).
  case c
  /// The reference interpreter.
  case interp

  public var description: String { rawValue }

  /// A readable name for reports: "C backend" or "interpreter".
  public var displayName: String { self == .c ? "C backend" : "interpreter" }

  /// One executor per backend; the C backend's compiled models are shared by every caller in
  /// the process, so a graph is built (or loaded from the cache) once.
  public var executor: any GraphExecutor {
    switch self {
    case .c: Self.sharedC
    case .interp: Interpreter()
    }
  }

  /// The C backend behind `.c` (nil for the interpreter): its compiled models, and training
  /// steps that run the optimizer inside the library.
  public var compiled: CBackend? { self == .c ? Self.sharedC : nil }

  /// Graphs are cleaned up and fused first, as `asrc compile` does.
  private static let sharedC = CBackend(passes: Pipelines.optimization)
}
