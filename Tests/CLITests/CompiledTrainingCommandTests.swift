import Formats
import Foundation
import TestSupport
import Testing

/// `asrc compile MODEL_DIR --training -o STEP_DIR`, then `asrc train --compiled STEP_DIR`: the
/// Trainer fixture's run (tools/make_trainer_reference.py) on the compiled step, a kill -9 and a
/// resume on it, and the errors for a step that does not fit.
@Suite struct CompiledTrainingCommandTests {
  static let trainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/trainer")
  let cli = CLITests()
  let scratch = ScratchSpace()

  var model: String { Self.trainer.appendingPathComponent("initial").path }

  /// The fixture's TrainingArguments (TrainerParityTests.arguments) as options.
  func trainOptions(step: String, output: String) -> [String] {
    [
      "train", "--compiled", step, "--model", model, "--train", Self.trainer.appendingPathComponent("train.csv").path, "--output-dir", output,
      "--per-device-train-batch-size", "2", "--learning-rate", "1e-3", "--weight-decay", "0.005", "--warmup-steps", "2", "--max-grad-norm", "1",
      "--num-train-epochs", "2", "--logging-steps", "1", "--eval-steps", "0", "--seed", "0", "--no-shuffle",
    ]
  }

  func compileStep(_ extra: [String] = []) throws -> String {
    let step = scratch.folder("asrc-step")
    let run = try cli.asrc(["compile", model, "--training", "-o", step] + extra)
    try #require(run.status == 0, "\(run.error)")
    #expect(FileManager.default.fileExists(atPath: step + "/training_step.json"))
    #expect(run.output.contains("libmodel.so"), "\(run.output)")
    // The evaluation graph is built here too, so that training's first evaluation finds it.
    let evaluationLine = try #require(run.output.split(separator: "\n").first { $0.hasPrefix("evaluation graph (asrc train --eval") })
    let library = try #require(evaluationLine.split(separator: " ").first { $0.hasSuffix("libmodel.so") })
    #expect(FileManager.default.fileExists(atPath: String(library)), "\(evaluationLine)")
    return step
  }

  func losses(_ output: String) throws -> [Double] {
    let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/trainer_state.json"))) as! [String: Any]
    return (state["log_history"] as! [[String: Any]]).compactMap { ($0["loss"] as? NSNumber)?.doubleValue }
  }

  /// The Trainer parity bounds of the issue on the compiled step: per-step losses within 1e-4
  /// relative of transformers' Trainer, final weights within 1e-3 relative L2 per tensor of
  /// the float64 run (the attention key biases, whose exact gradient is zero, within 2e-3).
  @Test func theCompiledStepFollowsTheTrainer() throws {
    let step = try compileStep()
    let output = scratch.folder("asrc-compiled-run")
    let run = try cli.asrc(trainOptions(step: step, output: output))
    try #require(run.status == 0, "\(run.error)")
    #expect(run.error.contains("training step: \(step)/libmodel.so"), "\(run.error)")
    let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.trainer.appendingPathComponent("expected.json"))) as! [String: Any]
    let reference = (expected["steps"] as! [[String: Any]]).map { ($0["loss"] as! NSNumber).doubleValue }
    let ours = try losses(output)
    try #require(ours.count == reference.count, "losses \(ours)")
    let worstLoss = zip(ours, reference).map { abs($0 - $1) / abs($1) }.max() ?? .infinity
    let exact = try Safetensors.read(Self.trainer.appendingPathComponent("final_f64.safetensors").path)
    let trained = try Safetensors.read(output + "/model.safetensors")
    var worstWeight = 0.0
    for (name, reference) in exact {
      let tensor = try #require(trained[name], "\(name) missing")
      let values = reference.dtype == .f64 ? reference.doubles : reference.floats.map(Double.init)
      let difference = zip(tensor.floats.map(Double.init), values).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
      let norm = values.reduce(0) { $0 + $1 * $1 }.squareRoot()
      let relative = difference / Swift.max(norm, 1e-30)
      #expect(relative <= (name.hasSuffix("k_proj.bias") ? 2e-3 : 1e-3), "\(name): relative L2 \(relative) against the float64 run")
      if !name.hasSuffix("k_proj.bias") { worstWeight = Swift.max(worstWeight, relative) }
    }
    print("compiled step against the Trainer: worst loss \(worstLoss) relative; worst final weight \(worstWeight) relative L2 against float64")
    #expect(worstLoss <= 1e-4)
  }

  /// kill -9 after the checkpoint of step 4, then --resume-from-checkpoint last: the same
  /// losses and the same final weights, bit for bit, as a run that was never interrupted.
  @Test func resumingAfterAKillRepeatsTheRun() throws {
    let step = try compileStep()
    let straight = scratch.folder("asrc-compiled-straight")
    let options = { (output: String) in self.trainOptions(step: step, output: output) + ["--max-steps", "8", "--save-steps", "4"] }
    let plain = try cli.asrc(options(straight))
    try #require(plain.status == 0, "\(plain.error)")

    let killed = scratch.folder("asrc-compiled-killed")
    let process = Process()
    process.executableURL = CLITests.executable
    process.arguments = options(killed)
    process.standardOutput = Pipe()
    process.standardError = Pipe()
    try process.run()
    // Killed once checkpoint-4 is complete (its folder is renamed into place when whole).
    let deadline = Date().addingTimeInterval(300)
    while process.isRunning && Date() < deadline && !FileManager.default.fileExists(atPath: killed + "/checkpoint-4/trainer_state.json") {
      Thread.sleep(forTimeInterval: 0.01)
    }
    kill(process.processIdentifier, SIGKILL)
    process.waitUntilExit()
    #expect(process.terminationReason == .uncaughtSignal, "the run ended before it was killed")
    let resumed = try cli.asrc(options(killed) + ["--resume-from-checkpoint", "last"])
    try #require(resumed.status == 0, "\(resumed.error)")
    #expect(resumed.output.contains("resumed from"), "\(resumed.output)")
    #expect(try losses(killed) == losses(straight))
    let a = try Safetensors.read(straight + "/model.safetensors")
    let b = try Safetensors.read(killed + "/model.safetensors")
    #expect(Set(a.keys) == Set(b.keys))
    for (name, tensor) in a { #expect(tensor.floats == b[name]?.floats, "\(name) differs after the kill and resume") }
  }

  /// A step compiled for other options or another configuration is refused before any data is
  /// read, with every difference named, and the output folder is not created.
  @Test func aStepThatDoesNotFitIsRefused() throws {
    let step = try compileStep()
    let output = scratch.path("asrc-never-written")
    let precision = try cli.asrc(trainOptions(step: step, output: output) + ["--bf16", "--freeze-feature-encoder"])
    #expect(precision.status != 0)
    #expect(precision.error.contains("precision (--bf16, --fp16): compiled for fp32, this run asks for bf16"), "\(precision.error)")
    #expect(precision.error.contains("--freeze-feature-encoder: compiled for false, this run asks for true"), "\(precision.error)")
    #expect(!FileManager.default.fileExists(atPath: output))
    let partly = try cli.asrc(trainOptions(step: step, output: output) + ["--freeze-param", "wav2vec2.feature_extractor.conv_layers.0"])
    #expect(partly.status != 0)
    #expect(partly.error.contains("--freeze-param: compiled for none, this run asks for wav2vec2.feature_extractor.conv_layers.0"), "\(partly.error)")
    // A name that is no parameter or module of the model, to either command.
    let misspelt = try cli.asrc(trainOptions(step: step, output: output) + ["--freeze-param", "wav2vec2.feature_extractor.conv_layer.0"])
    #expect(misspelt.status != 0)
    #expect(misspelt.error.contains("--freeze-param wav2vec2.feature_extractor.conv_layer.0: no parameter of the model"), "\(misspelt.error)")
    let misspeltStep = scratch.path("asrc-misspelt-step")
    let compileMisspelt = try cli.asrc("compile", model, "--training", "--freeze-param", "lm_head.bais", "-o", misspeltStep)
    #expect(compileMisspelt.status != 0)
    #expect(compileMisspelt.error.contains("--freeze-param lm_head.bais: no parameter of the model"), "\(compileMisspelt.error)")
    #expect(!FileManager.default.fileExists(atPath: misspeltStep))
    let empty = try cli.asrc(trainOptions(step: step, output: output) + ["--freeze-param", ""])
    #expect(empty.status != 0 && empty.error.contains("--freeze-param must name a parameter or module, not be empty"), "\(empty.error)")
    #expect(!FileManager.default.fileExists(atPath: output))

    // The same weights under another configuration value.
    let other = scratch.folder("asrc-other-model")
    for file in try FileManager.default.contentsOfDirectory(atPath: model) {
      try FileManager.default.copyItem(atPath: model + "/" + file, toPath: other + "/" + file)
    }
    var config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: other + "/config.json"))) as! [String: Any]
    config["mask_time_prob"] = 0.3
    try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: other + "/config.json"))
    var options = trainOptions(step: step, output: output)
    options[options.firstIndex(of: "--model")! + 1] = other
    let configuration = try cli.asrc(options)
    #expect(configuration.status != 0)
    #expect(configuration.error.contains("config mask_time_prob: compiled for"), "\(configuration.error)")

    let interpreter = try cli.asrc(trainOptions(step: step, output: output) + ["--backend", "interp"])
    #expect(interpreter.status != 0 && interpreter.error.contains("--compiled runs the C backend's library"), "\(interpreter.error)")
    let missing = try cli.asrc(trainOptions(step: step + "/nope", output: output))
    #expect(missing.status != 0 && missing.error.contains("\(step)/nope: no such folder"), "\(missing.error)")
    // An inference compile has no training step.
    let inference = scratch.folder("asrc-inference-step")
    #expect(try cli.asrc("compile", model, "-o", inference).status == 0)
    let notTraining = try cli.asrc(trainOptions(step: inference, output: output))
    #expect(notTraining.status != 0 && notTraining.error.contains("it has no training_step.json"), "\(notTraining.error)")
    #expect(!FileManager.default.fileExists(atPath: output))
  }
}
