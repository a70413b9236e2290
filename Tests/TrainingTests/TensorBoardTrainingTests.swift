import Data
import Foundation
import Formats
import TestSupport
import Testing
import Training

/// `report_to: tensorboard` on short runs of the trainer fixture's model: the event files hold
/// the series transformers' TensorBoardCallback writes for the run's log_history, and a resumed
/// run continues them in the same folder without duplicated steps.
@Suite struct TensorBoardTrainingTests {
  let scratch = ScratchSpace()

  func arguments(output: String) -> TrainingArguments {
    var arguments = TrainerParityTests().arguments(output: output)
    arguments.maxSteps = 6
    arguments.evalSteps = 2
    arguments.saveSteps = 3
    arguments.reportTo = [.tensorboard]
    return arguments
  }

  func makeTrainer(_ arguments: TrainingArguments) throws -> Trainer {
    let model = try ModelDirectory.load(TrainerParityTests.root.appendingPathComponent("initial").path)
    let data = Dataset.prepare(
      try CorpusReader.load(TrainerParityTests.root.appendingPathComponent("train.csv").path), tokenizer: model.tokenizer, model: model.configuration)
    return try Trainer(model: model, train: data, evaluation: data, arguments: arguments) { _ in }
  }

  /// The folder's event files in name order (the order TensorBoard reads them), decoded.
  func eventFiles(in folder: String) throws -> [(name: String, events: [TensorBoardEvent])] {
    let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix("events.out.tfevents.") }.sorted()
    return try names.map { name in
      let path = folder + "/" + name
      return (name, try TFRecord.records(in: Array(try Data(contentsOf: URL(fileURLWithPath: path))), path: path).map(TensorBoardEvent.init(decoding:)))
    }
  }

  /// tag → (step, value bits) in order.
  typealias Series = [String: [Point]]
  struct Point: Equatable, CustomStringConvertible {
    var step: Int64
    var bits: UInt32
    var description: String { "\(step): \(Float(bitPattern: bits))" }
  }

  func series(_ events: [TensorBoardEvent]) -> Series {
    events.reduce(into: Series()) { series, event in
      if case .scalar(let tag, let value) = event.content { series[tag, default: []].append(Point(step: event.step, bits: value.bitPattern)) }
    }
  }

  /// What the callback writes for a log history: every value but the step, under rewrite_logs'
  /// name, at the entry's step, as a float32. The names are spelt out for the keys the trainer logs.
  func series(_ history: [[String: Double]]) -> Series {
    let names = [
      "loss": "train/loss", "learning_rate": "train/learning_rate", "grad_norm": "train/grad_norm", "epoch": "train/epoch", "eval_loss": "eval/loss",
      "eval_wer": "eval/wer", "eval_cer": "eval/cer", "eval_runtime": "eval/runtime", "elapsed_seconds": "train/elapsed_seconds",
    ]
    var series = Series()
    for entry in history {
      for (key, value) in entry where key != "step" {
        series[names[key] ?? "unexpected key \(key)", default: []].append(Point(step: Int64(entry["step"]!), bits: Float(value).bitPattern))
      }
    }
    return series
  }

  @Test func aShortRunWritesTheCallbacksSeries() throws {
    let output = scratch.path("asrc-tensorboard")
    let trainer = try makeTrainer(arguments(output: output))
    #expect(try trainer.run() == .finished)
    let folder = try #require(trainer.arguments.loggingDir)
    // transformers' default: runs/<Mon><DD>_<HH>-<MM>-<SS>_<host> in the output folder.
    let name = try #require(folder.hasPrefix(output + "/runs/") ? String(folder.dropFirst(output.count + 6)) : nil, "\(folder)")
    #expect(name.wholeMatch(of: /[A-Z][a-z]{2}[0-3][0-9]_[0-2][0-9]-[0-5][0-9]-[0-5][0-9]_.+/) != nil, "\(name)")
    let files = try eventFiles(in: folder)
    let events = try #require(files.count == 1 ? files[0].events : nil, "\(files.count) event files in \(folder)")
    #expect(events.prefix(2).map(\.content) == [.fileVersion("brain.Event:2", writer: "asrc"), .sessionStart])
    // The START of a new run is at step 0 (its first log can be an evaluation before training).
    #expect(events[1].step == 0 && events.filter { $0.content == .sessionStart }.count == 1)
    // The callback's texts at the start: the arguments (naming this folder) and the model's configuration.
    let texts = events.compactMap { event -> (String, String)? in if case .text(let tag, let text) = event.content, event.step == 0 { (tag, text) } else { nil } }
    #expect(texts.map(\.0) == ["args/text_summary", "model_config/text_summary"])
    let argumentsJSON = try JSONSerialization.jsonObject(with: Data(texts[0].1.utf8)) as? [String: Any]
    #expect(argumentsJSON?["logging_dir"] as? String == folder && argumentsJSON?["report_to"] as? [String] == ["tensorboard"])
    #expect((try JSONSerialization.jsonObject(with: Data(texts[1].1.utf8)) as? [String: Any])?["vocab_size"] != nil)

    let written = series(events)
    #expect(written == series(trainer.state.logHistory))
    #expect(written["train/loss"]?.map(\.step) == [1, 2, 3, 4, 5, 6])
    for tag in ["train/learning_rate", "train/grad_norm"] { #expect(written[tag]?.map(\.step) == [1, 2, 3, 4, 5, 6], "\(tag)") }
    for tag in ["eval/loss", "eval/wer", "eval/cer"] { #expect(written[tag]?.map(\.step) == [2, 4, 6], "\(tag)") }
    // train/epoch comes with every log line and every evaluation, as the Trainer's on_log sends it.
    #expect(written["train/epoch"]?.count == 9)
    // Checkpoints record the folder, so that a resumed run finds it.
    let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/checkpoint-3/training_args.json"))) as? [String: Any]
    #expect(saved?["logging_dir"] as? String == folder)
    // The plot beside the model, drawn as a PNG too when rsvg-convert is there.
    #expect(FileManager.default.fileExists(atPath: output + "/training.svg"))
    #expect(FileManager.default.fileExists(atPath: output + "/training.png") == (PlotImage.converter != nil))
  }

  @Test func aResumedRunContinuesTheSeriesWithoutDuplicatedSteps() throws {
    let output = scratch.path("asrc-tensorboard-resume")
    let first = try makeTrainer(arguments(output: output))
    #expect(try first.run() == .finished)
    // As if the run had been killed after logging step 6 but before saving it: it wrote the
    // events of steps 4 to 6, and only checkpoint-3 is left to resume from.
    try FileManager.default.removeItem(atPath: output + "/checkpoint-6")
    let second = try makeTrainer(arguments(output: output))
    try second.resume(from: output + "/checkpoint-3")
    #expect(try second.run() == .finished)
    let folder = try #require(first.arguments.loggingDir)
    #expect(second.arguments.loggingDir == folder)

    let files = try eventFiles(in: folder)
    try #require(files.count == 2, "\(files.map(\.name))")
    let resumed = files[1].events
    #expect(resumed.prefix(2).map(\.content) == [.fileVersion("brain.Event:2", writer: "asrc"), .sessionStart])
    #expect(resumed[1].step == 4)
    // The folder has the texts already.
    #expect(!resumed.contains { if case .text = $0.content { true } else { false } })
    #expect(resumed.dropFirst(2).allSatisfy { $0.step >= 4 })
    // Both files together, as TensorBoard's EventAccumulator takes them: the START drops every
    // earlier event at or past its step. What is left is the resumed run's history, once.
    let kept = files[0].events.filter { $0.step < 4 } + resumed
    #expect(series(kept) == series(second.state.logHistory))
    #expect(series(kept)["train/loss"]?.map(\.step) == [1, 2, 3, 4, 5, 6])
    // Without the START, steps 4 to 6 would be there twice.
    #expect(series(files[0].events + resumed)["train/loss"]?.count == 9)
  }
}
