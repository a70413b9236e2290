import Formats
import Foundation
import TestSupport
import Testing

/// The command line as users call it: exit status, standard output and standard error.
@Suite struct CLITests {
  struct Run {
    var status: Int32
    var output: String
    var error: String
  }

  static let executable: URL = {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidates = [products, products.deletingLastPathComponent(), products.deletingLastPathComponent().deletingLastPathComponent()]
    return candidates.map { $0.appendingPathComponent("asrc") }.first { FileManager.default.isExecutableFile(atPath: $0.path) }
      ?? products.appendingPathComponent("asrc")
  }()

  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/reference")

  func asrc(_ arguments: String...) throws -> Run { try asrc(arguments) }

  /// Runs asrc with `arguments`, in `folder` when given (else the test's working folder).
  /// Standard output and error are drained at once (a full pipe would stall the child), and a
  /// run that takes longer than `limit` seconds is killed and recorded as an issue.
  func asrc(_ arguments: [String], in folder: String? = nil, limit: Double = 600, environment: [String: String] = [:]) throws -> Run {
    let process = Process()
    process.executableURL = Self.executable
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    if let folder { process.currentDirectoryURL = URL(fileURLWithPath: folder) }
    let (out, err) = (Pipe(), Pipe())
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let errorText = Transcript()
    let errorReader = Thread { errorText.append(String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)) }
    errorReader.start()
    let killer = DispatchWorkItem { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
    DispatchQueue.global().asyncAfter(deadline: .now() + limit, execute: killer)
    let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    killer.cancel()
    while !errorReader.isFinished { Thread.sleep(forTimeInterval: 0.005) }
    if process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL {
      Issue.record("asrc \(arguments.joined(separator: " ")) did not finish within \(Int(limit)) s")
    }
    return Run(status: process.terminationStatus, output: output, error: errorText.text)
  }

  let scratchSpace = ScratchSpace()

  /// A new folder, removed after the test.
  func scratch() -> String { scratchSpace.folder("asrc-cli") }

  @Test func importThenTranscribeAndLogits() throws {
    let folder = scratch()
    let model = Self.fixtures.appendingPathComponent("group_postln_evenpos").path
    let imported = try asrc("import", model, "-o", folder + "/model")
    #expect(imported.status == 0, "\(imported.error)")
    for file in ["config.json", "model.safetensors", "vocab.json", "tokenizer_config.json", "preprocessor_config.json", "model.ir"] {
      #expect(FileManager.default.fileExists(atPath: folder + "/model/" + file), "\(file) missing")
    }
    let audio = Self.fixtures.appendingPathComponent("audio")
    let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("group_postln_evenpos/expected.json"))) as! [String: Any]
    let transcripts = (expected["audio"] as! [String: [String: Any]]).mapValues { $0["greedy_transcript"] as! String }
    let run = try asrc("transcribe", "--model", folder + "/model", audio.appendingPathComponent("a.wav").path, audio.appendingPathComponent("b.wav").path)
    #expect(run.status == 0, "\(run.error)")
    #expect(run.output == "\(audio.appendingPathComponent("a.wav").path)\t\(transcripts["a"]!)\n\(audio.appendingPathComponent("b.wav").path)\t\(transcripts["b"]!)\n")
    let logits = try asrc("logits", "--model", folder + "/model", audio.appendingPathComponent("c.wav").path, "-o", folder + "/c.npy")
    #expect(logits.status == 0, "\(logits.error)")
    #expect(logits.output.contains("[68, 30]"))
    let written = try NumPy.read(folder + "/c.npy")
    let reference = try NumPy.read(Self.fixtures.appendingPathComponent("group_postln_evenpos/logits_c.npy").path)
    #expect(written.shape == reference.shape)
    let scale = reference.floats.map(abs).max() ?? 1
    let error = zip(written.floats, reference.floats).map { abs($0 - $1) }.max() ?? .infinity
    // The same computation as HuggingFaceParityTests (measured 9.5e-7 of the largest logit).
    #expect(error <= 5e-6 * scale, "written logits differ from transformers' by \(error / scale) of the largest")
  }

  @Test func transcribeReportsBadFilesAndGoesOn() throws {
    let model = Self.fixtures.appendingPathComponent("layer_stable_oddpos").path
    let good = Self.fixtures.appendingPathComponent("audio/a.wav").path
    let run = try asrc("transcribe", "--model", model, "/nonexistent.wav", good)
    #expect(run.status != 0)
    #expect(run.error.contains("/nonexistent.wav: no such file"))
    #expect(run.output.hasPrefix(good + "\t"))
  }

  @Test func verifyReportsLocatedErrors() throws {
    let folder = scratch()
    try "graph @g {\n  input %x: f32[4]\n  %y = expp(%x) : f32[4]\n  output y = %y\n}\n".write(toFile: folder + "/bad.ir", atomically: true, encoding: .utf8)
    let run = try asrc("verify", folder + "/bad.ir")
    #expect(run.status != 0)
    #expect(run.error.contains("bad.ir:3:8: error: unknown op 'expp' (did you mean 'exp'?)"), "\(run.error)")
    #expect(try asrc("verify", folder + "/missing.ir").error.contains("missing.ir: no such file"))
  }

  @Test func presetsWriteVerifiableGraphs() throws {
    let folder = scratch()
    for preset in ["base", "large-lv60"] {
      let run = try asrc("model", "--config", preset, "-o", folder + "/\(preset).ir")
      #expect(run.status == 0, "\(run.error)")
      let verified = try asrc("verify", folder + "/\(preset).ir")
      #expect(verified.status == 0 && verified.output.contains(": ok"), "\(verified.error)")
    }
    let bad = try asrc("model", "--config", "nope.json", "-o", folder + "/x.ir")
    #expect(bad.status != 0 && bad.error.contains("nope.json: no such file"))
  }
}

@Suite struct TrainCommandTests {
  static let trainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/trainer")

  /// Ctrl-C (or a scheduler's SIGTERM) during training: the step finishes, a checkpoint is
  /// saved, the exit status is the shell's for the signal, and a resumed run continues from
  /// the saved step rather than starting again.
  @Test(arguments: [SIGINT, SIGTERM])
  func signalSavesACheckpointAndTrainingContinues(_ signalNumber: Int32) throws {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("asrc-signal-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let common = [
      "train", "--model", Self.trainer.appendingPathComponent("initial").path, "--train", Self.trainer.appendingPathComponent("train.csv").path,
      "--output-dir", output, "--per-device-train-batch-size", "2", "--logging-steps", "1", "--save-steps", "0",
    ]
    let process = Process()
    process.executableURL = CLITests.executable
    process.arguments = common + ["--max-steps", "200"]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = Pipe()
    try process.run()
    // Wait for the second logged step (at most two minutes), then send the signal.
    let seen = Transcript()
    let reader = Thread {
      let handle = pipe.fileHandleForReading
      while true {
        let data = handle.availableData
        if data.isEmpty { break }
        seen.append(String(decoding: data, as: UTF8.self))
      }
    }
    reader.start()
    let deadline = Date().addingTimeInterval(120)
    while !seen.text.contains("step 2/") && process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
    guard seen.text.contains("step 2/") else {
      process.terminate()
      process.waitUntilExit()
      Issue.record("no second step within two minutes:\n\(seen.text)")
      return
    }
    kill(process.processIdentifier, signalNumber)
    let exitDeadline = Date().addingTimeInterval(120)
    while process.isRunning && Date() < exitDeadline { Thread.sleep(forTimeInterval: 0.05) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      Issue.record("asrc train did not stop within two minutes of the signal")
    }
    process.waitUntilExit()
    while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
    #expect(process.terminationStatus == 128 + signalNumber, "\(seen.text)")
    #expect(seen.text.contains("interrupted: saved"))
    let checkpoints = try FileManager.default.contentsOfDirectory(atPath: output).filter { $0.hasPrefix("checkpoint-") }
    try #require(checkpoints.count == 1, "checkpoints: \(checkpoints)")
    #expect(!checkpoints[0].hasSuffix(".partial"))
    #expect(FileManager.default.fileExists(atPath: output + "/" + checkpoints[0] + "/trainer_state.json"))
    let saved = try #require(Int(checkpoints[0].dropFirst("checkpoint-".count)))
    #expect(saved >= 2 && saved < 200)

    let resumed = try CLITests().asrc(common + ["--max-steps", "\(saved + 2)", "--resume-from-checkpoint", "last"])
    #expect(resumed.status == 0, "\(resumed.error)")
    #expect(resumed.output.contains("resumed from") && resumed.output.contains("at step \(saved)"), "\(resumed.output)")
    // The resumed run logs only the steps after the checkpoint.
    #expect(
      !resumed.output.contains("step \(saved)/") && resumed.output.contains("step \(saved + 1)/\(saved + 2): loss")
        && resumed.output.contains("step \(saved + 2)/\(saved + 2): loss"), "\(resumed.output)")
    // Not on a terminal, each log line carries the time left.
    #expect(resumed.output.contains(", ETA 0:00:"), "\(resumed.output)")
    let state = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/trainer_state.json"))) as! [String: Any]
    #expect(state["global_step"] as? Int == saved + 2)
    let logged = (state["log_history"] as! [[String: Any]]).compactMap { $0["loss"] != nil ? $0["step"] as? Int : nil }
    #expect(logged == Array(1...(saved + 2)), "log history steps \(logged)")
    #expect(FileManager.default.fileExists(atPath: output + "/training.svg"))
  }
}

/// Standard output collected on a reader thread while the test polls it.
final class Transcript: @unchecked Sendable {
  private let lock = NSLock()
  private var collected = ""
  var text: String { lock.withLock { collected } }
  func append(_ piece: String) { lock.withLock { collected += piece } }
}
