import Foundation
import IR
import TestSupport
import Testing

/// A user's day with asrc, through the binary: import, transcribe, data, vocab, eval, train five
/// steps, resume, verify, print and dot; then the mistakes issue 12 collected. Every command's
/// exit status is checked, its standard output must hold only results (transcripts, metrics,
/// reports, IR; notes, progress and warnings go to standard error), and no failing command may
/// change a file that was already there.
@Suite(.serialized) struct EverydayTasksTests {
  let scratch = ScratchSpace()
  let cli = CLITests()
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  static func fixture(_ path: String) -> String { fixtures.appendingPathComponent(path).path }

  /// Every file under `folder` and its bytes.
  func snapshot(_ folder: String) throws -> [String: Data] { try RunFolderTests().contents(folder) }

  /// Runs asrc in `folder` and checks that every line of standard output matches one of `results`.
  @discardableResult
  func expectResults(_ arguments: [String], in folder: String, status: Int32 = 0, lines results: [String]) throws -> CLITests.Run {
    let run = try cli.asrc(arguments, in: folder)
    #expect(run.status == status, "asrc \(arguments.joined(separator: " ")): exit \(run.status)\n\(run.error)")
    for line in run.output.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
      let matched = results.contains { String(line).range(of: "^" + $0 + "$", options: .regularExpression) != nil }
      #expect(matched, "asrc \(arguments[0]): not a result on standard output: \(line)")
    }
    #expect(!run.output.contains("warning:") && !run.output.contains("error:"), "diagnostics on standard output:\n\(run.output)")
    return run
  }

  @Test func everydayTasks() throws {
    let home = scratch.folder("asrc-day")
    let (train, audio) = (Self.fixture("trainer/train.csv"), Self.fixture("reference/audio"))

    try expectResults(["import", Self.fixture("reference/group_postln_evenpos"), "-o", "model"], in: home, lines: [#"imported .* -> model: .*"#])
    let transcribed = try expectResults(["transcribe", "--model", "model", audio + "/a.wav", audio + "/b.wav"], in: home, lines: [#"/\S+\.wav\t[a-z' ]*"#])
    #expect(transcribed.output.split(separator: "\n").count == 2)
    try expectResults(
      ["data", "--data", train, "--model", "model"], in: home,
      lines: [#".*train\.csv \(manifest\): 6 utterances, .*"#, #"durations: .*"#])
    try expectResults(["vocab", "--data", train, "-o", "vocab.json"], in: home, lines: [#"wrote vocab\.json: 21 tokens from 6 transcripts: .*"#])
    let evaluated = try expectResults(["eval", "--model", "model", "--data", train], in: home, lines: [#"WER \d\.\d{4}  CER \d+\.\d{4}  loss \d+\.\d{4}  \(6 utterances in .*\)"#])
    #expect(evaluated.output.split(separator: "\n").count == 1 && evaluated.error.contains("per-utterance results in eval_results.jsonl"))

    let trainLines = [
      #"(train|eval): .*train\.csv \(manifest\): 6 utterances, .*"#, #"step \d+/\d+: loss \d+\.\d{4}, grad norm .*"#,
      #"step \d+: eval loss .*, WER .*, CER .* \(6 utterances, .*\)"#, #"(saved|removed) .*"#, #"resumed from .*"#, #"trained \d+ steps in .*"#,
    ]
    let common = ["--model", Self.fixture("trainer/initial"), "--train", train, "--output-dir", "run", "--per-device-train-batch-size", "2", "--save-steps", "2"]
    let first = try expectResults(["train"] + common + ["--eval", train, "--max-steps", "5", "--logging-steps", "2", "--eval-steps", "5"], in: home, lines: trainLines)
    #expect(first.output.contains("step 5/5:") && first.output.contains("saved run/checkpoint-5"), "\(first.output)")
    let resumed = try expectResults(["train"] + common + ["--max-steps", "6", "--resume-from-checkpoint", "last"], in: home, lines: trainLines)
    #expect(resumed.output.contains("resumed from run/checkpoint-5 at step 5") && resumed.output.contains("step 6/6:"), "\(resumed.output)")

    try expectResults(["model", "--config", Self.fixture("reference/group_postln_evenpos/config.json"), "-o", "model.ir"], in: home, lines: [#"wrote model\.ir: .*"#])
    try expectResults(["verify", "model.ir"], in: home, lines: [#"model\.ir: ok.*"#])
    let printed = try cli.asrc(["print", "model.ir"], in: home)
    #expect(printed.status == 0)
    #expect(try Parser.parseAndVerify(printed.output) == Parser.parseAndVerify(String(contentsOfFile: home + "/model.ir", encoding: .utf8)), "print's output is not the graph")
    let drawn = try cli.asrc(["dot", "model.ir", "-o", "model.dot"], in: home)
    let dot = try String(contentsOfFile: home + "/model.dot", encoding: .utf8)
    #expect(drawn.status == 0 && dot.hasPrefix("digraph"))
  }

  /// The mistakes: each fails with its exit status and reason, prints no result, and leaves every
  /// file that was there as it was.
  @Test func mistakesChangeNothing() throws {
    let home = scratch.folder("asrc-mistakes")
    let train = Self.fixture("trainer/train.csv")
    #expect(try cli.asrc(["import", Self.fixture("reference/group_postln_evenpos"), "-o", "model"], in: home).status == 0)
    let common = ["--model", "model", "--train", train, "--output-dir", "run", "--per-device-train-batch-size", "2", "--save-steps", "2", "--max-steps", "3"]
    #expect(try cli.asrc(["train"] + common, in: home).status == 0)
    #expect(try cli.asrc(["eval", "--model", "model", "--data", train, "-o", "results.jsonl"], in: home).status == 0)
    try "path,text\nmissing.wav,hello\n".write(toFile: home + "/missing.csv", atomically: true, encoding: .utf8)
    try "not a graph".write(toFile: home + "/broken.ir", atomically: true, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: home + "/afolder", withIntermediateDirectories: true)

    let mistakes: [(arguments: [String], status: Int32, reason: String)] = [
      (["eval", "--model", "model", "--data", "missing.csv", "-o", "results.jsonl"], 1, "zero utterances usable for evaluation"),
      (["eval", "--model", "model", "--data", train, "-o", "afolder"], 1, "afolder"),
      (["eval", "--model", "notamodel", "--data", train], 1, "notamodel"),
      (["train"] + common, 1, "holds an earlier run"),
      (["train"] + common + ["--resume-from-checkpoint", "model"], 1, "a model folder, not a checkpoint"),
      (["train"] + common.dropLast(2) + ["--output-dir", "results.jsonl"], 1, "it is a file, not a folder"),
      (["train"] + common + ["--learning-rate", "-1e-4"], 64, "--learning-rate must be positive, not -0.0001"),
      (["train"] + common + ["--per-device-train-batch-size", "0"], 64, "--per-device-train-batch-size must be positive"),
      (["train"] + common + ["--lr-scheduler-type", "cosin"], 64, "--lr-scheduler-type must be one of"),
      (["train"] + common + ["--gradient-accumulation-steps", "0"], 64, "--gradient-accumulation-steps must be positive"),
      (["train"] + common + ["--load-best-model-at-end"], 64, "needs an evaluation set (--eval)"),
      (["train"] + common + ["--eval-strategy", "sometimes"], 64, "sometimes"),
      (["vocab", "--data", "nosuch.csv", "-o", "results.jsonl"], 1, "nosuch.csv"),
      (["data", "--data", train, "--model", "model", "--vocab", "model/vocab.json"], 64, "--vocab"),
      (["verify", "broken.ir"], 1, "broken.ir:1:1"),
      (["model", "--config", "nosuch.json", "-o", "results.jsonl"], 1, "nosuch.json"),
      (["import", "notamodel", "-o", "model"], 1, "notamodel"),
    ]
    for mistake in mistakes {
      let before = try snapshot(home)
      let run = try cli.asrc(mistake.arguments, in: home)
      let command = "asrc " + mistake.arguments.joined(separator: " ")
      #expect(run.status == mistake.status, "\(command): exit \(run.status), wanted \(mistake.status)\n\(run.error)")
      #expect(run.error.contains(mistake.reason), "\(command): the error does not say \(mistake.reason):\n\(run.error)")
      #expect(!run.output.contains("WER") && !run.output.contains("step "), "\(command) printed results:\n\(run.output)")
      #expect(!run.error.contains("NSCocoaErrorDomain") && !run.error.contains("Error Domain"), "\(command): a Foundation error dump\n\(run.error)")
      #expect(try snapshot(home) == before, "\(command) changed files that were already there")
    }
  }
}
