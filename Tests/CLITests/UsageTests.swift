import Foundation
import Testing

/// One exit status for every usage error (64, the parser's), and the small things a command line
/// is expected to have.
@Suite struct UsageTests {
  static let trainer = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/trainer")

  @Test func usageErrorsExit64() throws {
    let common = ["train", "--model", Self.trainer.appendingPathComponent("initial").path, "--train", Self.trainer.appendingPathComponent("train.csv").path, "--output-dir", "/nonexistent/never-written"]
    let cases: [([String], String)] = [
      (common + ["--no-such-option"], "Unknown option '--no-such-option'"),
      (common + ["--learning-rate", "-1e-4"], "--learning-rate must be positive, not -0.0001"),
      (common + ["--per-device-train-batch-size", "0"], "--per-device-train-batch-size must be positive, not 0"),
      (common + ["--lr-scheduler-type", "sometimes"], "--lr-scheduler-type must be"),
      (["data", "--model", "m", "--vocab", "v.json", "corpus"], "give --model or --vocab, not both"),
      (["data"], "give the corpus"),
      (common + ["--warmup-steps", "1e300"], "--warmup-steps must be"),
      (common + ["--num-train-epochs", "1e300"], "--num-train-epochs must be"),
      (["eval", "--model", "m", "--data", "d", "--batch-size", "0"], "--batch-size must be positive, not 0"),
      (["transcribe", "--model", "m", "--format", "srt", "a.wav", "b.wav"], "give --output-dir for 2 files"),
      (["transcribe", "--model", "m", "--output-dir", "out", "x/a.wav", "y/a.flac"], "would both be written as a.txt"),
    ]
    for (arguments, message) in cases {
      let run = try CLITests().asrc(arguments)
      #expect(run.status == 64, "\(arguments): exit \(run.status)")
      #expect(run.error.contains(message), "\(arguments): \(run.error)")
    }
  }

  @Test func versionAndSpellings() throws {
    let version = try CLITests().asrc(["--version"])
    #expect(version.status == 0 && version.output.range(of: #"^\d+\.\d+\.\d+\n$"#, options: .regularExpression) != nil, "\(version.output)")
    // The corpus is --data in vocab (as in eval and data); --train still works.
    let help = try CLITests().asrc(["vocab", "--help"])
    #expect(help.output.contains("--data") && help.output.contains("--train"))
    let bench = try CLITests().asrc(["bench", "--help"])
    for subcommand in ["inference", "train", "audio"] { #expect(bench.output.contains(subcommand), "bench help lacks \(subcommand)") }
  }
}
