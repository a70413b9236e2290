import Foundation
import TestSupport
import Testing

/// Runs never overwrite or lose each other: the final step is saved, a finished run is not
/// trained again, a model folder is not taken for a checkpoint, and an earlier run's folder is
/// not trained into unless asked.
@Suite struct RunFolderTests {
  let scratch = ScratchSpace()
  static let trainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/trainer")

  func train(_ output: String, _ extra: String...) throws -> CLITests.Run {
    try CLITests().asrc(
      ["train", "--model", Self.trainer.appendingPathComponent("initial").path, "--train", Self.trainer.appendingPathComponent("train.csv").path,
       "--output-dir", output, "--per-device-train-batch-size", "2", "--logging-steps", "1"] + extra)
  }

  func contents(_ folder: String) throws -> [String: Data] {
    var files: [String: Data] = [:]
    for case let file as String in FileManager.default.enumerator(atPath: folder)! {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: folder + "/" + file, isDirectory: &isDirectory), !isDirectory.boolValue {
        files[file] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + file))
      }
    }
    return files
  }

  @Test func finishedRunsAreSavedAndNotTrainedAgain() throws {
    let output = scratch.path("asrc-run")
    let first = try train(output, "--max-steps", "5", "--save-steps", "5")
    #expect(first.status == 0, "\(first.error)")
    #expect(FileManager.default.fileExists(atPath: output + "/checkpoint-5/optimizer.safetensors"), "no checkpoint at the final step")
    let before = try contents(output)
    for _ in 0..<2 {
      let again = try train(output, "--max-steps", "5", "--save-steps", "5", "--resume-from-checkpoint", "last")
      #expect(again.status == 0, "\(again.error)")
      #expect(again.output.contains("is the end of this run") && !again.output.contains("step 5/"), "\(again.output)")
      #expect(try contents(output) == before, "resuming a finished run changed files")
    }
  }

  @Test func aModelFolderIsNotACheckpoint() throws {
    let output = scratch.path("asrc-run")
    let run = try train(output, "--max-steps", "5", "--save-steps", "0", "--resume-from-checkpoint", Self.trainer.appendingPathComponent("initial").path)
    #expect(run.status != 0)
    #expect(run.error.contains("a model folder, not a checkpoint") && run.error.contains("--model"), "\(run.error)")
    #expect(!FileManager.default.fileExists(atPath: output + "/model.safetensors"))
  }

  @Test func anEarlierRunsFolderIsRefusedUnlessAsked() throws {
    let output = scratch.path("asrc-run")
    #expect(try train(output, "--max-steps", "6", "--save-steps", "2").status == 0)
    let before = try contents(output)
    let refused = try train(output, "--max-steps", "3", "--save-steps", "1")
    #expect(refused.status != 0)
    #expect(refused.error.contains("holds an earlier run") && refused.error.contains("checkpoint-4, checkpoint-6"), "\(refused.error)")
    #expect(try contents(output) == before, "a refused run changed files")
    // Asked for: the new run keeps its own newest two and leaves the earlier run's alone.
    let beside = try train(output, "--max-steps", "3", "--save-steps", "1", "--overwrite-output-dir")
    #expect(beside.status == 0, "\(beside.error)")
    let names = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix("checkpoint-") }.sorted()
    #expect(names == ["checkpoint-2", "checkpoint-3", "checkpoint-4", "checkpoint-6"], "\(names)")
  }

  /// A finished run without checkpoints is an earlier run too; and --overwrite-output-dir never
  /// lets the new run's checkpoints land on the earlier run's.
  @Test func earlierFinalModelsAndClashingCheckpointsAreRefused() throws {
    let output = scratch.path("asrc-run")
    #expect(try train(output, "--max-steps", "2", "--save-steps", "0").status == 0)
    let before = try contents(output)
    let again = try train(output, "--max-steps", "2", "--save-steps", "0")
    #expect(again.status != 0 && again.error.contains("holds an earlier run (model.safetensors, trainer_state.json)"), "\(again.error)")
    #expect(try contents(output) == before)

    let second = scratch.path("asrc-run")
    #expect(try train(second, "--max-steps", "4", "--save-steps", "2").status == 0)
    let secondBefore = try contents(second)
    let clash = try train(second, "--max-steps", "3", "--save-steps", "2", "--overwrite-output-dir")
    #expect(clash.status != 0 && clash.error.contains("this run would save checkpoint-2"), "\(clash.error)")
    #expect(try contents(second) == secondBefore, "a refused run changed files")
  }
}
