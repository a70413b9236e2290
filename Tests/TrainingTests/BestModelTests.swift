import Data
import Foundation
import Formats
import Tensor
import TestSupport
import Testing
import Training

/// --load-best-model-at-end, --metric-for-best-model and --greater-is-better: the final model is
/// the checkpoint whose evaluation was best by the chosen metric and direction, rotation never
/// removes that checkpoint, and trainer_state.json names it.
@Suite struct BestModelTests {
  let scratch = ScratchSpace()

  func run(metric: String, greaterIsBetter: Bool?, output: String) throws -> Trainer {
    let parity = TrainerParityTests()
    var arguments = parity.arguments(output: output)
    arguments.maxSteps = 4
    arguments.evalSteps = 1
    arguments.saveSteps = 1
    arguments.saveTotalLimit = 1
    arguments.loadBestModelAtEnd = true
    arguments.metricForBestModel = metric
    arguments.greaterIsBetter = greaterIsBetter
    #expect(arguments.problems.isEmpty, "\(arguments.problems)")
    let model = try ModelDirectory.load(TrainerParityTests.root.appendingPathComponent("initial").path)
    let data = Dataset.prepare(
      try CorpusReader.load(TrainerParityTests.root.appendingPathComponent("train.csv").path), tokenizer: model.tokenizer, model: model.configuration)
    let trainer = try Trainer(model: model, train: data, evaluation: data, arguments: arguments) { _ in }
    #expect(try trainer.run() == .finished)
    return trainer
  }

  @Test(arguments: [("loss", nil), ("eval_loss", true), ("wer", nil)] as [(String, Bool?)])
  func theFinalModelIsTheBestCheckpoints(metric: String, greaterIsBetter: Bool?) throws {
    let output = scratch.path("asrc-best")
    let trainer = try run(metric: metric, greaterIsBetter: greaterIsBetter, output: output)
    let key = metric.hasPrefix("eval_") ? metric : "eval_" + metric
    let evaluations = trainer.state.logHistory.filter { $0[key] != nil }
    #expect(evaluations.count == 4)
    // The first strictly best value, in the direction asked for (losses and error rates: lower).
    let greater = greaterIsBetter ?? false
    var best: (step: Int, value: Double)?
    for entry in evaluations where best.map({ greater ? entry[key]! > $0.value : entry[key]! < $0.value }) ?? true {
      best = (Int(entry["step"]!), entry[key]!)
    }
    let chosen = try #require(best)
    #expect(trainer.state.bestMetric == chosen.value)
    #expect(trainer.state.bestModelCheckpoint == output + "/checkpoint-\(chosen.step)")
    // Rotation kept the best beside the newest (limit 1: the newest stays for resuming).
    let left = Checkpoints.list(in: output).map(\.step)
    #expect(left == Array(Set([chosen.step, 4])).sorted(), "checkpoints left: \(left)")
    let final = try Safetensors.read(output + "/model.safetensors")
    let fromBest = try Safetensors.read(output + "/checkpoint-\(chosen.step)/model.safetensors")
    for (name, tensor) in fromBest { #expect(final[name]?.floats == tensor.floats, "\(name) differs from the best checkpoint's") }
    let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/trainer_state.json"))) as! [String: Any]
    #expect(state["best_model_checkpoint"] as? String == output + "/checkpoint-\(chosen.step)")
    #expect(state["best_global_step"] as? Int == chosen.step)
  }

  @Test func mismatchedStrategiesAreRefusedAsTheTrainerDoes() {
    var arguments = TrainingArguments(outputDir: "out")
    arguments.loadBestModelAtEnd = true
    arguments.evalStrategy = .epoch
    #expect(arguments.problems == ["--load-best-model-at-end needs --save-strategy to match --eval-strategy (or be best), not steps and epoch"])
    arguments.evalStrategy = .steps
    arguments.evalSteps = 300
    #expect(arguments.problems == ["--load-best-model-at-end needs --save-steps to be a multiple of --eval-steps, not 500 and 300"])
    arguments.saveStrategy = .best
    #expect(arguments.problems.isEmpty)
    arguments.metricForBestModel = "accuracy"
    #expect(arguments.problems == ["--metric-for-best-model must be one of loss, wer, cer (with or without eval_), not accuracy"])
    arguments.metricForBestModel = "wer"
    #expect(arguments.resolvedMetricForBestModel == "eval_wer" && !arguments.resolvedGreaterIsBetter)
    arguments.gradientAccumulationSteps = 0
    #expect(arguments.problems == ["--gradient-accumulation-steps must be positive, not 0"])
  }
}
