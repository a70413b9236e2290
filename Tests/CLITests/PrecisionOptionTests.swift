import Foundation
import Formats
import SystemInfo
import Tensor
import TestSupport
import Testing

/// `--precision bf16|fp16` through the binary: logits and gradients close to fp32 (cosine
/// similarity ≥ 0.999 and ≥ 0.99, the attention key biases excepted), and the other commands
/// accept it.
@Suite struct PrecisionOptionTests {
  let scratch = ScratchSpace()
  let cli = CLITests()
  static let model = BackendOptionTests.model
  static let audio = BackendOptionTests.audio

  func cosine(_ a: Tensor, _ b: Tensor) -> Double { MixedCosine.of(a.doubles, b.doubles) }

  func run(_ arguments: [String], in folder: String) throws -> CLITests.Run {
    let run = try cli.asrc(arguments, in: folder)
    #expect(run.status == 0, "asrc \(arguments.joined(separator: " ")): \(run.error)")
    return run
  }

  @Test func logitsAndGradientsFollowFP32() throws {
    let home = scratch.folder("asrc-precision")
    for precision in ["fp32", "bf16", "fp16"] {
      _ = try run(["logits", "--model", Self.model, Self.audio + "/a.wav", "-o", "\(precision).npy", "--precision", precision], in: home)
      let grad = try run(
        ["grad", "--model", Self.model, "--audio", Self.audio + "/a.wav", "--text", "hello world", "-o", "\(precision).safetensors", "--precision", precision], in: home)
      #expect((precision == "fp16") == grad.error.contains("fp16 loss scale"), "\(grad.error)")
    }
    let reference = try NumPy.read(home + "/fp32.npy")
    let referenceGradients = try Safetensors.read(home + "/fp32.safetensors")
    for precision in ["bf16", "fp16"] {
      let logits = cosine(try NumPy.read(home + "/\(precision).npy"), reference)
      #expect(logits >= 0.999, "\(precision) logits cosine \(logits)")
      let gradients = try Safetensors.read(home + "/\(precision).safetensors")
      for (name, gradient) in referenceGradients where !name.hasSuffix("k_proj.bias") {
        let similarity = cosine(try #require(gradients[name]), gradient)
        #expect(similarity >= 0.99, "\(precision) \(name): cosine \(similarity)")
      }
    }
    let transcribed = try run(["transcribe", "--model", Self.model, Self.audio + "/a.wav", "--precision", "bf16"], in: home)
    #expect(transcribed.output.hasPrefix(Self.audio + "/a.wav\t"))
    let refused = try cli.asrc(["logits", "--model", Self.model, Self.audio + "/a.wav", "-o", "x.npy", "--precision", "fp8"], in: home)
    #expect(refused.status == 64 && refused.error.contains("fp8"))
  }

  /// The note on standard error says when a low precision cannot be faster than fp32 here:
  /// fp16 on every CPU, bf16 on a CPU without bf16 dot products, nothing for fp32.
  @Test func notesWhatTheLowPrecisionCostsOnThisCPU() throws {
    let home = scratch.folder("asrc-precision-note")
    var notes: [String: String] = [:]
    for precision in ["fp32", "bf16", "fp16"] {
      notes[precision] = try run(["logits", "--model", Self.model, Self.audio + "/a.wav", "-o", "\(precision).npy", "--precision", precision], in: home).error
    }
    #expect(notes["fp32"]?.contains("note:") == false, "\(notes["fp32"] ?? "")")
    #expect(notes["fp16"]?.contains("fp16 products run widened to f32") == true, "\(notes["fp16"] ?? "")")
    let bf16Noted = notes["bf16"]?.contains("no bf16 dot-product instructions") == true
    #expect(bf16Noted == !CPUFeatures.current.hasBF16DotProducts, "\(notes["bf16"] ?? "")")
  }
}

enum MixedCosine {
  static func of(_ a: [Double], _ b: [Double]) -> Double {
    var (dot, na, nb) = (0.0, 0.0, 0.0)
    for (x, y) in zip(a, b) {
      dot += x * y
      na += x * x
      nb += y * y
    }
    return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : (na == nb ? 1 : 0)
  }
}
