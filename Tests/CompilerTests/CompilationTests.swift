import Compiler
import Foundation
import IR
import Passes
import TestSupport
import Testing

@Suite struct CompilationTests {
  @Test func stopAfterANameOrACount() throws {
    let names = ["autodiff", "cse", "dce"]
    var manager = PassManager(passes: try Pipelines.passes(names))
    try StopPoint("cse", pipeline: names).apply(to: &manager)
    #expect(try Compilation(try TinyModel.forward(), manager: manager).stages.map(\.name) == ["input", "autodiff", "cse"])
    manager = PassManager(passes: try Pipelines.passes(names))
    try StopPoint("1", pipeline: names).apply(to: &manager)
    #expect(try Compilation(try TinyModel.forward(), manager: manager).stages.map(\.fileStem) == ["00-input", "01-autodiff"])
    #expect(throws: CompileError.self) { try StopPoint("fold", pipeline: names) }
    #expect(throws: CompileError.self) { try StopPoint("4", pipeline: names) }
  }

  @Test func verificationNamesTheBreakingPassUnlessSwitchedOff() throws {
    let breaking = Pass(name: "break-types", summary: "declares a wrong type") { graph in
      var copy = graph
      copy[copy.nodes[0].result].type = TensorType(.f32, [5])
      return copy
    }
    let graph = try TinyModel.forward()
    var manager = PassManager(passes: [try #require(PassRegistry.pass(named: "cse")), breaking, deadCodeElimination])
    var seen: [String] = []
    #expect {
      _ = try Compilation(graph, manager: manager) { seen.append($0.name) }
    } throws: { error in
      "\(error)".contains("after pass 'break-types'")
    }
    // The stages before the failure were reported (dumps keep them).
    #expect(seen == ["input", "cse"])
    manager.verifyAfterEachPass = false
    #expect(try Compilation(graph, manager: manager).stages.map(\.name) == ["input", "cse", "break-types", "dce"])
  }

  @Test func everyDumpedStageParsesBackToItsGraph() throws {
    try withTemporaryFolder { folder in
      let dump = DumpWriter(folder: folder)
      let compilation = try Compilation(try TinyModel.forward(), manager: PassManager(passes: try Pipelines.passes(Pipelines.training))) { stage in
        try dump.write(stage)
      }
      let symbols = ShapeBindings(batch: 1, seconds: 1).symbols
      try dump.finish(compilation.stages, summaries: StageSummary.summaries(compilation.stages, symbols: symbols), title: "test")
      for stage in compilation.stages {
        let text = try String(contentsOfFile: dump.path(stage, "ir"), encoding: .utf8)
        let parsed = try Parser.parseAndVerify(text, file: stage.fileStem)
        #expect(Printer.print(parsed) == Printer.print(stage.graph))
        #expect(try String(contentsOfFile: dump.path(stage, "dot"), encoding: .utf8).hasPrefix("digraph"))
        #expect(FileManager.default.fileExists(atPath: dump.path(stage, "svg")) == (Graphviz.executable != nil))
      }
      let page = try String(contentsOfFile: folder + "/index.html", encoding: .utf8)
      // Self-contained: no script, style or image is fetched.
      #expect(!page.contains("src=\"http") && !page.contains("href=\"http") && !page.contains("<link"))
      for stage in compilation.stages { #expect(page.contains("\"file\": \"\(stage.fileStem)\"")) }
      // The embedded data never closes the script element early.
      let script = try #require(page.range(of: "<script>"))
      #expect(page[script.upperBound...].components(separatedBy: "</script>").count == 2)
    }
  }

  @Test func memoryFiguresCountEveryIntermediateAndTheLivenessPeak() throws {
    let graph = try Parser.parseAndVerify("""
      graph @g {
        input %x: f32[B, 4]
        %a = exp(%x) : f32[B, 4]
        %b = neg(%a) : f32[B, 4]
        %c = tanh(%b) : f32[B, 4]
        output y = %c
      }
      """)
    let figures = try #require(MemoryFigures(graph, symbols: ["B": 2]))
    // Each value is 2 × 4 × 4 = 32 bytes, rounded up to the plan's 64-byte alignment. Each
    // op's operand dies where it is read, so the chain runs in place: one buffer in all.
    #expect(figures.unplannedBytes == 3 * 64)
    #expect(figures.plannedPeakBytes == 64 && figures.liveMaximumBytes == 64)
    #expect(figures.plan.buffers.map(\.inPlaceOf) == [nil, "a", "b"])
    #expect(figures.inputBytes == 32 && figures.parameterBytes == 0)
    #expect(MemoryFigures(graph, symbols: [:]) == nil)
  }

  @Test func planSizesParseAndNameTheirMistakes() throws {
    let defaults = ShapeBindings(batch: 8, seconds: 10)
    #expect(try ShapeBindings(parsing: "batch=2", option: "--plan-for", defaults: defaults) == ShapeBindings(batch: 2, seconds: 10))
    let parsed = try ShapeBindings(parsing: "batch=1,seconds=2.5,L=7", option: "--plan-for", defaults: defaults)
    #expect(parsed.symbols == ["B": 1, "S": 40000, "L": 7])
    for bad in ["batch", "batch=0", "seconds=-1", "batch=2,,seconds=1", "L=x"] {
      #expect(throws: CompileError.self) { try ShapeBindings(parsing: bad, option: "--plan-for", defaults: defaults) }
    }
  }
}

/// The per-pass table's fusion figures: the default pipeline leaves fewer top-level nodes (what a
/// backend runs) and fewer bytes moved than the graph it starts from, and counts the nodes
/// regions absorbed.
@Suite struct FusionReportTests {
  @Test(arguments: [false, true]) func fusionShrinksNodesAndTraffic(training: Bool) throws {
    let graph = try TinyModel.forward()
    let names = training ? Pipelines.training : Pipelines.inference
    let compilation = try Compilation(graph, manager: PassManager(passes: try Pipelines.passes(names)))
    let summaries = StageSummary.summaries(compilation.stages, symbols: ["B": 2, "S": 4000, "L": 8])
    let beforeFusion = try #require(summaries.last { $0.name == "dce" && $0.position < summaries.count - 1 })
    let final = try #require(summaries.last)
    #expect(final.nodesAfter < beforeFusion.nodesAfter, "top-level nodes \(beforeFusion.nodesAfter) → \(final.nodesAfter)")
    #expect(final.nodesInRegions > 0 && beforeFusion.nodesInRegions == 0)
    #expect(try #require(final.bytesMoved) < (try #require(beforeFusion.bytesMoved)))
    for (previous, next) in zip(summaries, summaries.dropFirst()) { #expect(next.nodesBefore == previous.nodesAfter) }
  }
}

/// A drawing Graphviz does not finish within the limit is stopped, and the dump goes on.
@Suite struct GraphvizTimeLimitTests {
  @Test func aLayoutPastTheLimitIsStopped() throws {
    guard Graphviz.executable != nil else { return }
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-dot-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    // A dense graph whose layout takes well over the 10 ms allowed.
    var dot = "digraph g {\n"
    for from in 0..<60 { for to in (from + 1)..<60 where (from * 7 + to) % 3 == 0 { dot += "  n\(from) -> n\(to);\n" } }
    try (dot + "}\n").write(toFile: folder + "/g.dot", atomically: true, encoding: .utf8)
    #expect(try Graphviz.renderSVG(dotFile: folder + "/g.dot", to: folder + "/g.svg", timeLimit: 0.01) == .timedOut(seconds: 0.01))
    #expect(!FileManager.default.fileExists(atPath: folder + "/g.svg"))
    #expect(try Graphviz.renderSVG(dotFile: folder + "/g.dot", to: folder + "/g.svg", timeLimit: 60) == .rendered)
  }
}
