import ArgumentParser
import CRuntime
import Foundation
import Passes

extension Backend: ExpressibleByArgument {}

/// `--backend c|interp`, shared by every command that runs a graph. The C backend is the default:
/// it passes the interpreter's parity tests (ops, fixture models, the Trainer) and ran base
/// inference 1.5× and a training step 1.2–1.4× faster than the interpreter (tools/bench-peers).
struct BackendOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "What runs the graph: c (generated C, built with the system compiler and cached under $XDG_CACHE_HOME/asrc/c; the first run of a new graph waits for the build) or interp (the reference interpreter).",
      valueName: "c|interp"))
  var backend: Backend = .c
}

/// The process's peak resident set size in bytes (getrusage: Linux reports kibibytes).
func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1024
}

/// `--precision fp32|bf16|fp16`, for the commands that run a model graph.
struct PrecisionOption: ParsableArguments {
  enum Precision: String, ExpressibleByArgument, CaseIterable {
    case fp32, bf16, fp16
  }

  @Option(
    help: ArgumentHelp(
      "fp32, or bf16/fp16 for the matrix products and convolutions (the mixed-precision pass: f32 accumulation, f32 norms, softmax and loss).",
      valueName: "fp32|bf16|fp16"))
  var precision: Precision = .fp32

  /// The low precision asked for; nil for fp32.
  var lowPrecision: LowPrecision? {
    switch precision {
    case .fp32: nil
    case .bf16: .bf16
    case .fp16: .fp16
    }
  }

  /// The low precision, after saying on standard error what it costs on this CPU when the C
  /// backend runs it (called where the command starts its work, after its own checks).
  func lowPrecision(noting backend: Backend) -> LowPrecision? {
    if backend == .c { LowPrecisionNote.emit(for: lowPrecision) }
    return lowPrecision
  }
}
