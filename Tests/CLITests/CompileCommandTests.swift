import Foundation
import Passes
import TestSupport
import Testing

/// `asrc compile` as users call it, on the smallest reference model.
@Suite struct CompileCommandTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
  static let model = root.appendingPathComponent("Tests/Fixtures/reference/group_postln_evenpos").path

  func asrc(_ arguments: String...) throws -> CLITests.Run { try asrc(arguments) }

  func asrc(_ arguments: [String]) throws -> CLITests.Run { try CLITests().asrc(arguments) }

  func withScratch(_ body: (String) throws -> Void) throws { try withTemporaryFolder("asrc-compile", body) }

  static func json(_ path: String) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
  }

  @Test func compilesAModelFolderForInference() throws {
    try withScratch { folder in
      let run = try asrc("compile", Self.model, "-o", folder + "/out")
      #expect(run.status == 0, "\(run.error)")
      // The table: the input and every pass of the default pipeline, with the plan's sizes.
      let rows = run.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
      #expect(rows.first?.contains("pass") == true && run.output.contains("planned peak (batch 1 × 10 s)"))
      #expect(rows.compactMap { $0.count > 1 ? $0[1] : nil }.filter { (["input"] + Pipelines.inference).contains($0) } == ["input"] + Pipelines.inference)
      let verified = try asrc("verify", folder + "/out/compiled.ir")
      #expect(verified.status == 0, "\(verified.error)")
      let manifest = try Self.json(folder + "/out/manifest.json")
      #expect(manifest["pipeline"] as? [String] == Pipelines.inference && manifest["training"] as? Bool == false)
      #expect((manifest["outputs"] as? [[String: String]])?.map { $0["name"] } == ["logits", "loss"])
      #expect((manifest["inputs"] as? [[String: String]])?.first?["type"] == "f32[B, S]")
      #expect(manifest["asrc_version"] as? String != nil && (manifest["parameters"] as? [Any])?.isEmpty == false)
      let plan = try Self.json(folder + "/out/plan.json")
      let peak = try #require(plan["planned_peak_bytes"] as? Int)
      let unplanned = try #require(plan["unplanned_bytes"] as? Int)
      #expect(peak > 0 && peak <= unplanned)
      #expect((plan["symbols"] as? [String: Int])?["S"] == 160000)
      // The C backend's files, and how they were built.
      for name in ["model.c", "model.h", "libmodel.so"] { #expect(FileManager.default.fileExists(atPath: folder + "/out/" + name), "\(name)") }
      let build = try #require(manifest["c_backend"] as? [String: Any])
      #expect((build["command"] as? [String])?.contains("-march=native") == true && (build["compiler_version"] as? String)?.isEmpty == false)
      #expect(run.output.contains("wrote \(folder)/out/model.c, model.h, libmodel.so"))
      // The library's step is what the header declares, and the C names the IR's values.
      let code = try String(contentsOfFile: folder + "/out/model.c", encoding: .utf8)
      #expect(code.contains("asrc_model_step") && code.contains("logits"))
    }
  }

  @Test func theInterpreterBackendWritesNoC() throws {
    try withScratch { folder in
      let run = try asrc("compile", Self.model, "-o", folder + "/out", "--backend", "interp")
      #expect(run.status == 0, "\(run.error)")
      #expect(FileManager.default.fileExists(atPath: folder + "/out/compiled.ir") && !FileManager.default.fileExists(atPath: folder + "/out/model.c"))
      #expect(try Self.json(folder + "/out/manifest.json")["c_backend"] is NSNull)
    }
  }

  /// A C compiler that is missing or fails is named with its message, and the output folder
  /// gets nothing (not even compiled.ir without its library).
  @Test func aFailingCCompilerLeavesTheFolderEmpty() throws {
    try withScratch { folder in
      let failing = folder + "/failing-cc"
      try "#!/bin/sh\necho 'failing-cc: this compiler refuses everything' >&2\nexit 1\n".write(toFile: failing, atomically: true, encoding: .utf8)
      try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: failing)
      for (compiler, reason) in [(failing, "this compiler refuses everything"), (folder + "/no-such-cc", "no C compiler")] {
        let run = try CLITests().asrc(["compile", Self.model, "-o", folder + "/out"], environment: ["CC": compiler, "XDG_CACHE_HOME": folder + "/cache"])
        #expect(run.status == 1 && run.error.contains(reason), "\(run.error)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/out/compiled.ir"))
      }
    }
  }

  @Test func trainingDumpAndCheck() throws {
    try withScratch { folder in
      let run = try asrc(
        "compile", Self.model, "--training", "--freeze-feature-encoder", "-o", folder + "/out", "--dump-dir", folder + "/dump", "--check",
        "--plan-for", "batch=2,seconds=4")
      #expect(run.status == 0, "\(run.error)")
      #expect(run.output.contains("planned peak (batch 2 × 4 s)"))
      // --check compares every stage with the graph after autodiff.
      #expect(run.output.contains("each stage against stage 1"))
      for (index, pass) in (["input"] + Pipelines.training).enumerated() {
        let stage = String(format: "%02d  %@", index, pass)
        #expect(run.output.contains(stage), "\(stage) missing")
      }
      // The C library runs the final graph as the last row, within the tolerance.
      let cRow = try #require(run.output.split(separator: "\n").first { $0.contains("C backend") && !$0.contains("wrote") })
      #expect(cRow.hasPrefix(String(format: "%02d", Pipelines.training.count + 1)) && !cRow.contains("over"), "\(cRow)")
      let manifest = try Self.json(folder + "/out/manifest.json")
      let outputs = (manifest["outputs"] as? [[String: String]] ?? []).compactMap { $0["name"] }
      #expect(outputs.contains("grad.lm_head.weight") && !outputs.contains { $0.hasPrefix("grad.wav2vec2.feature_extractor.") })
      // Every stage's text verifies and parses back; the page holds every stage.
      let files = try FileManager.default.contentsOfDirectory(atPath: folder + "/dump").sorted()
      let texts = files.filter { $0.hasSuffix(".ir") }
      #expect(texts == (["input"] + Pipelines.training).enumerated().map { String(format: "%02d-%@.ir", $0.offset, $0.element) })
      for text in texts {
        let verified = try asrc("verify", folder + "/dump/" + text)
        #expect(verified.status == 0, "\(text): \(verified.error)")
        #expect(files.contains(text.replacingOccurrences(of: ".ir", with: ".dot")))
      }
      let page = try String(contentsOfFile: folder + "/dump/index.html", encoding: .utf8)
      for text in texts { #expect(page.contains("\"file\": \"\(text.dropLast(3))\"")) }
    }
  }

  /// The failure path with a registered pass: widen-to-f64 changes the numerics by float32's
  /// rounding, far above a tolerance of 1e-12.
  @Test func checkNamesThePassOverTheTolerance() throws {
    try withScratch { folder in
      let run = try asrc("compile", Self.model, "-o", folder + "/out", "--passes", "cse,widen-to-f64,dce", "--check", "--check-tolerance", "1e-12")
      #expect(run.status == 1, "\(run.error)")
      #expect(run.error.contains("--check: pass 'widen-to-f64' (stage 2) changes the results"), "\(run.error)")
      #expect(run.output.contains("01  cse                     0 (identical"), "\(run.output)")
      #expect(!FileManager.default.fileExists(atPath: folder + "/out/compiled.ir"))
    }
  }

  @Test func listsPassesAndPipelines() throws {
    let run = try asrc("compile", "--list-passes")
    #expect(run.status == 0, "\(run.error)")
    for name in ["dce", "cse", "autodiff", "widen-to-f64"] { #expect(run.output.contains("  \(name) "), "\(name) missing") }
    #expect(run.output.contains("inference: " + Pipelines.inference.joined(separator: ", ")))
    #expect(run.output.contains("training:  " + Pipelines.training.joined(separator: ", ")))
    let markdown = try asrc("compile", "--list-passes", "--markdown")
    #expect(markdown.output == (try String(contentsOf: Self.root.appendingPathComponent("docs/passes.md"), encoding: .utf8)))
  }

  @Test func badPipelinesAreRefusedBeforeAnyWork() throws {
    try withScratch { folder in
      let cases: [([String], String)] = [
        (["--passes", "cse,,dce"], "malformed pass list 'cse,,dce'"),
        (["--passes", "cse,fold"], "unknown pass 'fold'"),
        (["--stop-after", "nope"], "--stop-after nope: no pass of that name in the pipeline (\(Pipelines.inference.joined(separator: ", ")))"),
        (["--stop-after", "\(Pipelines.inference.count + 1)"], "--stop-after \(Pipelines.inference.count + 1): the pipeline has \(Pipelines.inference.count) passes"),
        (["--print-ir-after", "autodiff"], "--print-ir-after autodiff: no pass of that name"),
        (["--plan-for", "batch=0"], "--plan-for: batch must be a positive integer"),
      ]
      for (options, message) in cases {
        let run = try asrc(["compile", Self.model, "-o", folder + "/out"] + options)
        // Usage errors (exit 64, as the parser's own), found before the model is read.
        #expect(run.status == 64 && run.error.contains(message), "\(options): exit \(run.status), \(run.error)")
      }
      #expect(!FileManager.default.fileExists(atPath: folder + "/out"))
      try "x".write(toFile: folder + "/file", atomically: true, encoding: .utf8)
      let blocked = try asrc("compile", Self.model, "-o", folder + "/file")
      #expect(blocked.status != 0 && blocked.error.contains("is a file, expected a folder"), "\(blocked.error)")
    }
  }

  @Test func stopsAfterAPassAndPrintsItsIR() throws {
    try withScratch { folder in
      let run = try asrc(
        "compile", Self.model, "-o", folder + "/out", "--training", "--passes", "autodiff,cse,dce", "--stop-after", "cse", "--print-ir-after", "cse")
      #expect(run.status == 0, "\(run.error)")
      #expect(try Self.json(folder + "/out/manifest.json")["passes_run"] as? [String] == ["autodiff", "cse"])
      // The IR goes to standard error, the table to standard output.
      #expect(run.error.contains("// IR after pass 2 cse\ngraph @wav2vec2_for_ctc {"))
      #expect(!run.output.contains("graph @"))
      let compiled = try String(contentsOfFile: folder + "/out/compiled.ir", encoding: .utf8)
      #expect(run.error.hasSuffix(compiled))
    }
  }
}
