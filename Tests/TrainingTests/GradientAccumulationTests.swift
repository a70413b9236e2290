import CRuntime
import Foundation
import Formats
import Testing
@testable import Training

/// `--gradient-accumulation-steps 2` against the Trainer (tools/make_trainer_reference.py,
/// "gradient_accumulation"): 3 batches an epoch make 2 optimizer steps, the second from the one
/// batch left; micro-batch losses are summed, as the Trainer does for Wav2Vec2ForCTC.
@Suite struct GradientAccumulationTests {
  let parity = TrainerParityTests()

  /// On both backends: the C backend sums the micro-batches' gradients in the library.
  @Test(arguments: Backend.allCases) func accumulatedStepsMatchTheTrainer(backend: Backend) throws {
    let facts = try parity.expected()["gradient_accumulation"] as! [String: Any]
    let output = parity.scratch.path("asrc-accumulation-\(backend)")
    var arguments = parity.arguments(output: output)
    arguments.gradientAccumulationSteps = (facts["overrides"] as! [String: NSNumber])["gradient_accumulation_steps"]!.intValue
    let trainer = try parity.makeTrainer(arguments: arguments, backend: backend)
    #expect(trainer.state.maxSteps == (facts["max_steps"] as! NSNumber).intValue)
    #expect(try trainer.run() == .finished)
    let logged = trainer.state.logHistory.filter { $0["loss"] != nil }
    let column = { (key: String) in (facts[key] as! [NSNumber]).map(\.doubleValue) }
    #expect(logged.count == column("losses").count)
    for (index, entry) in logged.enumerated() where index < column("losses").count {
      let (loss, norm) = (column("losses")[index], column("grad_norms")[index])
      print("accumulation (\(backend)) step \(index + 1): loss \(entry["loss"]!) vs \(loss), grad norm \(entry["grad_norm"]!) vs \(norm)")
      // Measured: losses within 1.2e-6, grad norms within 4.1e-5 (relative).
      #expect(abs(entry["loss"]! - loss) / loss <= 2e-5, "step \(index + 1) loss")
      #expect(abs(entry["grad_norm"]! - norm) / norm <= 1e-4, "step \(index + 1) grad norm")
      #expect(abs(entry["learning_rate"]! - column("learning_rates")[index]) <= 1e-12, "step \(index + 1) learning rate")
      #expect(abs(entry["epoch"]! - column("epochs")[index]) <= 1e-12, "step \(index + 1) epoch")
    }
    let errors = try parity.finalWeightErrors(try Safetensors.read(output + "/model.safetensors"), reference: "final_accumulated.safetensors")
    let worst = errors.filter { !$0.key.hasSuffix("k_proj.bias") }.max { $0.value < $1.value }!
    print("accumulation (\(backend)): final weights worst relative L2 \(worst.value) (\(worst.key))")
    // Measured: 2.9e-7 (the key biases, whose exact gradient is zero, follow rounding noise).
    #expect(worst.value <= 1e-6, "\(worst.key): relative L2 \(worst.value)")
  }
}

/// When a run logs, evaluates and saves under each strategy, against the steps at which the
/// Trainer's DefaultFlowCallback did (fixture "strategy_events": 7 steps, 3 batches an epoch).
@Suite struct StrategyEventTests {
  static let cases = ["steps", "epoch", "eval_delay", "logging_first_step", "nothing"]

  @Test(arguments: cases) func eventsFollowTheTrainer(_ name: String) throws {
    let all = try TrainerParityTests().expected()["strategy_events"] as! [String: [String: Any]]
    let facts = try #require(all[name])
    let overrides = facts["overrides"] as! [String: Any]
    var arguments = TrainingArguments(outputDir: "unused")
    arguments.loggingSteps = (overrides["logging_steps"] as? NSNumber)?.intValue ?? 500
    arguments.loggingFirstStep = (overrides["logging_first_step"] as? Bool) ?? false
    arguments.loggingStrategy = try #require(.init(rawValue: overrides["logging_strategy"] as? String ?? "steps"))
    arguments.evalStrategy = try #require(.init(rawValue: overrides["eval_strategy"] as! String))
    arguments.evalSteps = (overrides["eval_steps"] as? NSNumber)?.intValue ?? 500
    arguments.evalDelay = (overrides["eval_delay"] as? NSNumber)?.doubleValue ?? 0
    arguments.saveStrategy = try #require(.init(rawValue: overrides["save_strategy"] as! String))
    arguments.saveSteps = (overrides["save_steps"] as? NSNumber)?.intValue ?? 500
    let (steps, perEpoch) = ((facts["max_steps"] as! NSNumber).intValue, (facts["batches_per_epoch"] as! NSNumber).intValue)
    var logged: [Int] = []
    var evaluated: [Int] = []
    var saved: [Int] = []
    for step in 1...steps {
      let events = StepEvents(
        arguments: arguments, step: step, epoch: Double(step) / Double(perEpoch), isLast: step == steps,
        endsEpoch: step == steps || step % perEpoch == 0)
      if events.log { logged.append(step) }
      if events.evaluate { evaluated.append(step) }
      if events.save { saved.append(step) }
    }
    var expectedLogged = (facts["logged"] as! [NSNumber]).map(\.intValue)
    // asrc's one documented difference: the steps strategy also logs the last step.
    if arguments.loggingStrategy == .steps && expectedLogged.last != steps { expectedLogged.append(steps) }
    #expect(logged == expectedLogged, "\(name): logged")
    #expect(evaluated == (facts["evaluated"] as! [NSNumber]).map(\.intValue), "\(name): evaluated")
    #expect(saved == (facts["saved"] as! [NSNumber]).map(\.intValue), "\(name): saved")
  }
}
