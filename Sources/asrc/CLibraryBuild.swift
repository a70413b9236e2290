import CodegenC
import Compiler
import Foundation
import IR

/// `asrc compile`'s C output: the graph emitted as C and built into a library (or found in the
/// cache), ready to be copied beside compiled.ir.
struct CLibraryBuild {
  let build: CCompiler.Build
  let record: CompiledFolder.CBuild

  init(_ graph: Graph, compiler: CCompiler = CCompiler()) throws {
    let clock = ContinuousClock()
    let start = clock.now
    let source = try CEmitter.emit(graph)
    build = try compiler.build(source)
    record = CompiledFolder.CBuild(
      compiler: build.command.first ?? compiler.compiler, compilerVersion: build.compilerVersion, command: build.command, cacheKey: build.key,
      cached: build.cached, seconds: (clock.now - start) / .seconds(1))
  }

  /// Copies model.c, model.h and libmodel.so into `folder`, each through a temporary name, so a
  /// failure leaves no half-written file.
  func copyFiles(to folder: String) throws {
    for name in ["model.c", "model.h", "libmodel.so"] {
      let target = URL(fileURLWithPath: folder).appendingPathComponent(name)
      let staging = URL(fileURLWithPath: folder).appendingPathComponent(".\(name).partial-\(ProcessInfo.processInfo.processIdentifier)")
      try? FileManager.default.removeItem(at: staging)
      do {
        try FileManager.default.copyItem(at: build.directory.appendingPathComponent(name), to: staging)
        // rename(2) replaces an earlier file in one step.
        guard rename(staging.path, target.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
      } catch {
        try? FileManager.default.removeItem(at: staging)
        throw CompileError("\(target.path): cannot write: \(error.localizedDescription)")
      }
    }
  }
}
