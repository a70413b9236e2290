import Foundation
import Formats
import Tensor
import TestSupport
import Testing

/// `--backend c` against `--backend interp` through the binary, on a reference model: the same
/// logits and gradients within 1e-5 relative L2, the same transcripts and metrics.
@Suite struct BackendOptionTests {
  let scratch = ScratchSpace()
  let cli = CLITests()
  static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")
  static let model = fixtures.appendingPathComponent("reference/group_postln_evenpos").path
  static let audio = fixtures.appendingPathComponent("reference/audio").path

  func relativeL2(_ a: Tensor, _ b: Tensor) -> Double {
    let (x, y) = (a.doubles, b.doubles)
    var (difference, norm) = (0.0, 0.0)
    for (u, v) in zip(x, y) {
      difference += (u - v) * (u - v)
      norm += v * v
    }
    return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
  }

  func run(_ arguments: [String], in folder: String) throws -> CLITests.Run {
    let run = try cli.asrc(arguments, in: folder)
    #expect(run.status == 0, "asrc \(arguments.joined(separator: " ")): \(run.error)")
    return run
  }

  @Test func logitsAndGradientsAgree() throws {
    let home = scratch.folder("asrc-backends")
    for backend in ["interp", "c"] {
      _ = try run(["logits", "--model", Self.model, Self.audio + "/a.wav", "-o", "\(backend).npy", "--backend", backend], in: home)
      _ = try run(["grad", "--model", Self.model, "--audio", Self.audio + "/a.wav", "--text", "hello world", "-o", "\(backend).safetensors", "--backend", backend], in: home)
    }
    let (reference, compiled) = (try NumPy.read(home + "/interp.npy"), try NumPy.read(home + "/c.npy"))
    #expect(reference.shape == compiled.shape)
    // Measured: about 1e-7.
    #expect(relativeL2(compiled, reference) <= 1e-5, "logits differ by \(relativeL2(compiled, reference))")
    let (referenceGradients, compiledGradients) = (try Safetensors.read(home + "/interp.safetensors"), try Safetensors.read(home + "/c.safetensors"))
    #expect(Set(referenceGradients.keys) == Set(compiledGradients.keys) && !referenceGradients.isEmpty)
    for (name, gradient) in referenceGradients {
      guard let other = compiledGradients[name] else { continue }
      // Exactly-zero gradients (the attention key biases) are rounding noise on both sides.
      guard !name.hasSuffix("k_proj.bias") else { continue }
      #expect(relativeL2(other, gradient) <= 1e-5, "\(name): \(relativeL2(other, gradient))")
    }
  }

  @Test func transcriptsAndMetricsAgree() throws {
    let home = scratch.folder("asrc-backends-text")
    let train = Self.fixtures.appendingPathComponent("trainer/train.csv").path
    var transcripts: [String] = []
    var metrics: [String] = []
    for backend in ["interp", "c"] {
      transcripts.append(try run(["transcribe", "--model", Self.model, Self.audio + "/a.wav", Self.audio + "/b.wav", "--backend", backend], in: home).output)
      let evaluated = try run(["eval", "--model", Self.model, "--data", train, "--backend", backend, "-o", "\(backend).jsonl"], in: home).output
      // The metrics without the timing in parentheses.
      metrics.append(evaluated.components(separatedBy: "(").first ?? "")
    }
    #expect(transcripts[0] == transcripts[1] && !transcripts[0].isEmpty)
    #expect(metrics[0] == metrics[1] && metrics[0].hasPrefix("WER"), "\(metrics)")
  }
}
