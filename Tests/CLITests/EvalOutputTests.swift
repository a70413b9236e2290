import Foundation
import TestSupport
import Testing

/// asrc eval checks where it will write before it evaluates, prints the metrics before writing,
/// and writes into the current folder (or -o), never into the model folder.
@Suite struct EvalOutputTests {
  let scratch = ScratchSpace()
  static let reference = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")

  func manifest(in folder: String) throws -> String {
    let audio = Self.reference.appendingPathComponent("audio").path
    try "path,text\n\(audio)/a.wav,the cat\n\(audio)/b.wav,a big dog ran\n".write(toFile: folder + "/eval.csv", atomically: false, encoding: .utf8)
    return folder + "/eval.csv"
  }

  @Test func resultsGoToTheCurrentFolderNotTheModel() throws {
    let folder = scratch.folder("asrc-eval")
    let model = Self.reference.appendingPathComponent("group_postln_evenpos").path
    let before = try FileManager.default.contentsOfDirectory(atPath: model).sorted()
    let run = try CLITests().asrc(["eval", "--model", model, "--data", try manifest(in: folder)], in: folder)
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output.contains("WER ") && run.error.contains("per-utterance results in eval_results.jsonl"), "\(run.output)")
    #expect(FileManager.default.fileExists(atPath: folder + "/eval_results.jsonl"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: model).sorted() == before, "eval wrote into the model folder")
  }

  @Test func aFolderAsOutputIsRefusedBeforeTheWork() throws {
    let folder = scratch.folder("asrc-eval")
    let model = Self.reference.appendingPathComponent("group_postln_evenpos").path
    let run = try CLITests().asrc(["eval", "--model", model, "--data", try manifest(in: folder), "-o", folder])
    #expect(run.status != 0)
    #expect(run.error.contains("--output \(folder): is a directory, expected a file to write"), "\(run.error)")
    #expect(!run.output.contains("WER"), "it evaluated before checking the output")
  }
}
