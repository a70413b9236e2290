import ArgumentParser
import SystemInfo

struct Version: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Print asrc's version and the system libraries it loaded.")

  static let asrcVersion = "0.1.0"

  func run() throws {
    print("asrc \(Self.asrcVersion)")
    for library in LinkedLibraries.all { print("  \(library.name): \(library.version)") }
    print("  OpenBLAS threads: \(LinkedLibraries.openBLASThreads)")
  }
}
