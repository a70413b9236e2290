import ArgumentParser
import CRuntime
import Foundation

extension Backend: ExpressibleByArgument {}

/// `--backend c|interp`, shared by every command that runs a graph.
struct BackendOption: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "What runs the graph: c (generated C, built with the system compiler and cached under $XDG_CACHE_HOME/asrc/c) or interp (the reference interpreter).",
      valueName: "c|interp"))
  var backend: Backend = .interp
}

/// The process's peak resident set size in bytes (getrusage: Linux reports kibibytes).
func peakResidentBytes() -> Int {
  var usage = rusage()
  getrusage(RUSAGE_SELF.rawValue, &usage)
  return usage.ru_maxrss * 1024
}
